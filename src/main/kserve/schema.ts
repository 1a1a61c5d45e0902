/**
 * The project's own JSON Schema for every InferenceService it renders. KServe's CRD leaves objects open
 * and marks nothing `additionalProperties: false`, so a typo such as `storageURI` passes the cluster's
 * schema and is silently dropped; here every object is closed, so a key we do not mean to write fails.
 */

export const ANNOTATION_MODEL = 'switchyard.dev/model';
export const ANNOTATION_COMMIT = 'switchyard.dev/commit';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'switchyard';

/** Kubernetes quantities as we write them: whole CPUs, memory in Gi, GPUs as a count. */
const quantity = { type: 'string', pattern: '^[1-9][0-9]*(Gi)?$' } as const;
const resourceList = {
  type: 'object',
  additionalProperties: false,
  required: ['cpu', 'memory', 'nvidia.com/gpu'],
  properties: { cpu: quantity, memory: quantity, 'nvidia.com/gpu': quantity },
} as const;

const envVar = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
    value: { type: 'string' },
    valueFrom: {
      type: 'object',
      additionalProperties: false,
      required: ['secretKeyRef'],
      properties: {
        secretKeyRef: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'key'],
          properties: { name: { type: 'string', minLength: 1 }, key: { type: 'string', minLength: 1 }, optional: { type: 'boolean' } },
        },
      },
    },
  },
  oneOf: [{ required: ['value'] }, { required: ['valueFrom'] }],
} as const;

export const MANIFEST_SCHEMA = {
  $id: 'https://switchyard.dev/schemas/kserve-inferenceservice.json',
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'serving.kserve.io/v1beta1' },
    kind: { const: 'InferenceService' },
    metadata: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'labels', 'annotations'],
      properties: {
        name: { type: 'string', minLength: 1 },
        namespace: { type: 'string', minLength: 1, maxLength: 63 },
        labels: {
          type: 'object',
          required: [MANAGED_BY_LABEL],
          properties: { [MANAGED_BY_LABEL]: { const: MANAGED_BY } },
          additionalProperties: { type: 'string' },
        },
        annotations: {
          type: 'object',
          required: [ANNOTATION_MODEL, ANNOTATION_COMMIT],
          properties: { [ANNOTATION_MODEL]: { type: 'string', minLength: 1 }, [ANNOTATION_COMMIT]: { type: 'string', pattern: '^[0-9a-f]{40}$' } },
          additionalProperties: { type: 'string' },
        },
      },
    },
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['predictor'],
      properties: {
        predictor: {
          type: 'object',
          additionalProperties: false,
          required: ['model'],
          properties: {
            serviceAccountName: { type: 'string', minLength: 1 },
            model: {
              type: 'object',
              additionalProperties: false,
              required: ['modelFormat', 'args', 'resources'],
              properties: {
                modelFormat: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { const: 'huggingface' } } },
                storageUri: { type: 'string', pattern: '^(hf://[^/:]+/[^/:]+:[0-9a-f]{40}|pvc://[a-z0-9][-a-z0-9.]*/.+)$' },
                args: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^--[a-z][a-z0-9_-]*(=.+)?$' } },
                env: { type: 'array', items: envVar },
                resources: { type: 'object', additionalProperties: false, required: ['requests', 'limits'], properties: { requests: resourceList, limits: resourceList } },
              },
            },
          },
        },
      },
    },
  },
} as const;
