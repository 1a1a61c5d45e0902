import { z } from 'zod';
import { FitReport } from './catalog';
import { okShape } from './common';

/** Where the cluster gets the files: the storage initializer (`hf://`), the runtime itself, or a volume. */
export const KserveStorage = z.enum(['hf', 'runtime', 'pvc']);
export type KserveStorage = z.infer<typeof KserveStorage>;

/** `GET /api/v1/models/{name}/export/kserve` (and the catalog preview). */
export const KserveExportQuery = z.object({
  /** the InferenceService name (default: the model's, made unique among the installed models) */
  name: z
    .string()
    .max(63)
    .regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, 'a DNS-1123 label: lowercase letters, digits and -, starting with a letter and ending with a letter or digit')
    .optional(),
  namespace: z.string().min(1).max(63).optional(),
  /** GPUs per replica (the tensor-parallel size); default: the fewest the fit needs */
  gpus: z.coerce.number().int().min(1).max(8).optional(),
  /** the cluster's GPU memory in GiB; default: this machine's GPUs */
  gpu_memory_gib: z.coerce.number().gt(0).max(1024).optional(),
  storage: KserveStorage.default('hf'),
  /** `<claim>/<path>` for storage=pvc */
  pvc: z.string().min(3).max(500).optional(),
  service_account: z.string().min(1).max(253).optional(),
  /** a Secret holding `HF_TOKEN`, for gated or private repos (storage=runtime) */
  hf_token_secret: z.string().min(1).max(253).optional(),
  format: z.enum(['yaml', 'json']).default('yaml'),
});
export type KserveExportQuery = z.infer<typeof KserveExportQuery>;

export const KserveIssue = z.object({ rule: z.string(), path: z.string(), message: z.string() });
export type KserveIssue = z.infer<typeof KserveIssue>;
export const KserveValidation = z.object({ ok: z.boolean(), errors: z.array(KserveIssue), warnings: z.array(KserveIssue) });
export type KserveValidation = z.infer<typeof KserveValidation>;

export const KserveExportResponse = okShape({
  /** the InferenceService, as an object */
  manifest: z.record(z.string(), z.unknown()),
  /** the same, as the YAML `kubectl apply -f` takes */
  yaml: z.string(),
  validation: KserveValidation,
  /** the fit for the cluster's GPUs (up to 8 per replica) */
  fit: FitReport,
  /** the InferenceService's name, and the model it serves (the id clients send, as on this machine) */
  name: z.string(),
  model: z.string(),
  namespace: z.string().nullable(),
  gpus: z.number(),
  gpu_memory_gib: z.number(),
  max_model_len: z.number(),
  storage: KserveStorage,
  commit: z.string(),
  /** a file name and the command that deploys it */
  file_name: z.string(),
  kubectl: z.string(),
  /** where KServe's Hugging Face runtime serves the OpenAI API, under the service's URL */
  openai_path: z.string(),
});
export type KserveExportResponse = z.infer<typeof KserveExportResponse>;

/**
 * The remote provider that registers a deployed InferenceService back (`POST /api/v1/remote-providers`):
 * the service's URL (`kubectl get inferenceservice <name> -o jsonpath='{.status.url}'`) plus the path
 * where the Hugging Face runtime serves the OpenAI API, named after the service, listing its model.
 */
export function kserveProvider(exported: Pick<KserveExportResponse, 'name' | 'model' | 'openai_path'>, serviceUrl: string): { id: string; kind: 'kserve'; base_url: string; models: string[] } {
  const url = serviceUrl.trim().replace(/\/+$/, '');
  if (!/^https?:\/\/[^\s/]+/.test(url)) throw new Error(`"${serviceUrl}" is not the service's URL: it starts with http:// or https:// (kubectl get inferenceservice ${exported.name} -o jsonpath='{.status.url}').`);
  const base = url.endsWith(exported.openai_path) ? url : `${url}${exported.openai_path}`;
  return { id: exported.name, kind: 'kserve', base_url: base, models: [exported.model] };
}
