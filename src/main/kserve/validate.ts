/**
 * Offline checks of a rendered InferenceService, in three layers: the project's own JSON Schema
 * (schema.ts: closed objects, so a typo fails), the rules KServe's admission webhook enforces that its
 * CRD cannot express (`pkg/apis/serving/v1beta1/inference_service_validation.go`, read upstream), and
 * semantic checks against the model itself. No network, ever.
 */
import { isDeepStrictEqual } from 'node:util';
import Ajv, { type ValidateFunction } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { ISVC_NAME_COMFORTABLE, ISVC_NAME_MAX, ISVC_NAME_PATTERN } from './name';
import type { ValidationContext } from './render';
import { ANNOTATION_COMMIT, MANIFEST_SCHEMA } from './schema';

export type ValidationRule =
  | 'schema'
  | 'name'
  | 'storage-exclusive'
  | 'blocked-env'
  | 'predictor-name'
  | 'storage'
  | 'commit'
  | 'max-model-len'
  | 'tensor-parallel'
  | 'remote-code'
  | 'token-inline'
  | 'round-trip'
  | 'advice';

export interface ValidationIssue {
  rule: ValidationRule;
  /** where in the manifest, as a JSON pointer (`/spec/predictor/model/args`) */
  path: string;
  message: string;
}

export interface ValidationResult {
  ok: boolean;
  errors: ValidationIssue[];
  warnings: ValidationIssue[];
}

/** Env vars KServe's webhook refuses in any container (`validation.DefaultBlockedEnvVars`). */
const BLOCKED_ENV = ['PYTHONPATH'];

// Compiled once on first use: the schema is a constant, and a compiled validator holds no state.
let compiled: ValidateFunction | null = null;
function schemaValidator(): ValidateFunction {
  compiled ??= new Ajv({ allErrors: true, strict: true, strictRequired: false }).compile(MANIFEST_SCHEMA);
  return compiled;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * The args as the runtime's parser sees them: `--key=value` (or a bare `--flag`), with `_` and `-` in
 * the key treated alike, the last one winning — as argparse does with the two spellings of a field.
 */
export function argMap(args: readonly unknown[]): Map<string, string | true> {
  const out = new Map<string, string | true>();
  for (const a of args) {
    if (typeof a !== 'string' || !a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    const key = (eq < 0 ? a.slice(2) : a.slice(2, eq)).replaceAll('-', '_');
    out.set(key, eq < 0 ? true : a.slice(eq + 1));
  }
  return out;
}

/** Checks a manifest (as rendered, or as edited) and, when given, the YAML text it was written as. */
export function validateManifest(manifest: unknown, context: ValidationContext, yamlText?: string): ValidationResult {
  const errors: ValidationIssue[] = [];
  const warnings: ValidationIssue[] = [];
  const error = (rule: ValidationRule, path: string, message: string) => errors.push({ rule, path, message });

  const validate = schemaValidator();
  if (!validate(manifest)) {
    for (const e of validate.errors ?? []) {
      const extra = e.keyword === 'additionalProperties' ? ` "${String((e.params as { additionalProperty?: string }).additionalProperty)}"` : '';
      error('schema', e.instancePath || '/', `${e.instancePath || 'the manifest'} ${e.message ?? 'is invalid'}${extra}: Switchyard never writes that; KServe would ignore or refuse it.`);
    }
  }

  const root = obj(manifest) ?? {};
  const metadata = obj(root.metadata) ?? {};
  const predictor = obj(obj(root.spec)?.predictor) ?? {};
  const model = obj(predictor.model) ?? {};
  const args = argMap(list(model.args));
  const annotations = obj(metadata.annotations) ?? {};

  // ---- KServe's admission rules ----
  const name = typeof metadata.name === 'string' ? metadata.name : '';
  if (!ISVC_NAME_PATTERN.test(name) || name.length > ISVC_NAME_MAX) {
    error('name', '/metadata/name', `"${name}" is not a valid InferenceService name: a DNS-1123 label (lowercase letters, digits and -, starting with a letter) of at most ${ISVC_NAME_MAX} characters.`);
  } else if (name.length > ISVC_NAME_COMFORTABLE) {
    warnings.push({ rule: 'name', path: '/metadata/name', message: `"${name}" is longer than ${ISVC_NAME_COMFORTABLE} characters: the predictor's Service "${name}-predictor" would exceed 63.` });
  }
  if (model.storageUri !== undefined && predictor.storageUris !== undefined) {
    error('storage-exclusive', '/spec/predictor/storageUris', 'storageUri and storageUris are both set; KServe refuses that ("Setting both StorageURI and StorageURIs is not supported").');
  }
  const containers: [string, Obj][] = [['/spec/predictor/model', model], ...list(predictor.containers).map((c, i) => [`/spec/predictor/containers/${i}`, obj(c) ?? {}] as [string, Obj])];
  for (const [path, container] of containers) {
    list(container.env).forEach((e, i) => {
      const envName = obj(e)?.name;
      if (typeof envName === 'string' && BLOCKED_ENV.includes(envName)) error('blocked-env', `${path}/env/${i}`, `${envName} may not be set in a container: KServe's webhook refuses it for security reasons.`);
    });
  }
  if (model.name !== undefined) error('predictor-name', '/spec/predictor/model/name', "spec.predictor.model.name is set: KServe refuses a 'name' field in a standard predictor.");

  // ---- semantic checks against the model ----
  const storageUri = typeof model.storageUri === 'string' ? model.storageUri : null;
  const modelId = args.get('model_id');
  if (!storageUri && typeof modelId !== 'string') error('storage', '/spec/predictor/model', 'Neither storageUri nor --model_id: the runtime would have nothing to load.');
  const commit = annotations[ANNOTATION_COMMIT];
  const commits: [string, string][] = [];
  if (storageUri?.startsWith('hf://')) commits.push(['/spec/predictor/model/storageUri', storageUri.slice(storageUri.lastIndexOf(':') + 1)]);
  for (const key of ['model_revision', 'tokenizer_revision']) {
    const v = args.get(key);
    if (typeof v === 'string') commits.push([`/spec/predictor/model/args (--${key})`, v]);
  }
  if (typeof modelId === 'string' && !args.has('model_revision')) error('commit', '/spec/predictor/model/args', '--model_id without --model_revision: the runtime would download whatever the branch points at now, not the commit tested here.');
  for (const [path, value] of commits) {
    if (value !== commit) error('commit', path, `The commit ${value} differs from the annotation ${ANNOTATION_COMMIT}=${String(commit)}: the cluster would serve other files than the ones tested here.`);
  }

  const maxLen = args.get('max_model_len');
  const maxLenNumber = typeof maxLen === 'string' && /^[1-9][0-9]*$/.test(maxLen) ? Number(maxLen) : null;
  if (maxLenNumber === null) error('max-model-len', '/spec/predictor/model/args', '--max_model_len is missing or not a positive integer: vLLM would size the context for the model, not for the GPUs.');
  else if (context.derivedMaxModelLen !== null && maxLenNumber > context.derivedMaxModelLen) {
    error('max-model-len', '/spec/predictor/model/args', `--max_model_len=${maxLenNumber} exceeds the ${context.derivedMaxModelLen} tokens vLLM derives from config.json; vLLM refuses to start.`);
  }

  const tpArg = args.get('tensor_parallel_size');
  const tp = tpArg === undefined ? 1 : typeof tpArg === 'string' && /^[1-9][0-9]*$/.test(tpArg) ? Number(tpArg) : null;
  const resources = obj(model.resources) ?? {};
  const gpuOf = (kind: string) => obj(resources[kind])?.['nvidia.com/gpu'];
  if (tp === null) error('tensor-parallel', '/spec/predictor/model/args', '--tensor-parallel-size is not a positive integer.');
  else {
    if (context.attentionHeads && context.attentionHeads % tp !== 0) {
      error('tensor-parallel', '/spec/predictor/model/args', `--tensor-parallel-size=${tp} does not divide the ${context.attentionHeads} attention heads; vLLM refuses it.`);
    }
    for (const kind of ['requests', 'limits']) {
      const gpus = gpuOf(kind);
      if (String(gpus) !== String(tp)) error('tensor-parallel', `/spec/predictor/model/resources/${kind}`, `nvidia.com/gpu is ${String(gpus)} but the tensor-parallel size is ${tp}: each GPU of the replica holds one shard.`);
    }
  }

  const trust = args.get('trust_remote_code') === true;
  if (context.remoteCodeNeeded && !trust) {
    error('remote-code', '/spec/predictor/model/args', 'The model ships its own Python code (config.json auto_map) and the runtime loads it only with --trust_remote_code. If you trust its authors, allow remote code for this model (Installed › the model › Allow remote code), then export again.');
  } else if (trust && !context.remoteCodeAllowed) {
    error('remote-code', '/spec/predictor/model/args', '--trust_remote_code is set but remote code was not allowed for this model: allow it first (Installed › the model › Allow remote code).');
  } else if (trust && !context.remoteCodeNeeded) {
    warnings.push({ rule: 'remote-code', path: '/spec/predictor/model/args', message: '--trust_remote_code is set but the model ships no code of its own (no auto_map); it is not needed.' });
  }

  for (const [path, container] of containers) {
    list(container.env).forEach((e, i) => {
      const env = obj(e);
      if (typeof env?.name === 'string' && /TOKEN|SECRET|PASSWORD|KEY/i.test(env.name) && env.value !== undefined) {
        error('token-inline', `${path}/env/${i}`, `${env.name} has its value written in the manifest: take it from a Secret (valueFrom.secretKeyRef) instead.`);
      }
    });
  }

  if (yamlText !== undefined) {
    let reparsed: unknown;
    try {
      reparsed = parseYaml(yamlText);
    } catch (e) {
      reparsed = e;
    }
    if (!isDeepStrictEqual(reparsed, manifest)) error('round-trip', '/', 'The YAML does not read back as the manifest it was written from: kubectl would apply something else.');
  }
  return { ok: errors.length === 0, errors, warnings };
}
