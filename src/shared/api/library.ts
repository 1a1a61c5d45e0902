import { z } from 'zod';
import { okShape } from './common';
import { ModelProvider } from './models';

/** `POST /api/v1/models/registry/import`: a GGUF file (for Ollama) or a model folder (for vLLM) on this machine. */
export const ImportBody = z.object({
  /** an absolute path on the machine Switchyard runs on */
  path: z.string().min(1).max(4096),
  /** the model's name; default: from the file or folder name, made valid for its runtime */
  name: z.string().min(1).max(200).optional(),
});
export type ImportBody = z.infer<typeof ImportBody>;
export const ImportResponse = okShape({
  operation_id: z.string(),
  message: z.string(),
  name: z.string(),
  provider: ModelProvider,
  kind: z.enum(['gguf', 'folder']),
});

/** One snapshot of a Hub repo in the HF cache. */
export const ModelRevision = z.object({
  commit: z.string(),
  /** when the snapshot was written (its folder's time) */
  date: z.string(),
  /** bytes of the files it links to (blobs shared with other snapshots count in each) */
  size_bytes: z.number(),
  /** the refs that point at it (`main`, a tag) */
  refs: z.array(z.string()),
  /** the one the manifest lists as installed (the newest install) */
  installed: z.boolean(),
  /** the one the running vLLM was started with */
  served: z.boolean(),
  pinned: z.boolean(),
});
export type ModelRevision = z.infer<typeof ModelRevision>;
export const RevisionsResponse = okShape({
  model_name: z.string(),
  pinned: z.string().nullable(),
  revisions: z.array(ModelRevision),
});
export const PinBody = z.object({ revision: z.string().regex(/^[0-9a-f]{40}$/, 'a 40-hex commit from GET …/revisions').nullable() });
export const PinResponse = RevisionsResponse.extend({
  /** the model serves now: the pin applies at its next activation */
  applies_on_next_activation: z.boolean(),
  message: z.string(),
});

/** One disk that holds models, as the storage guard sees it. */
export const StorageDisk = z.object({
  /** what lives there: `hf-cache`, `ollama-models` (one disk may hold both) */
  holds: z.array(z.enum(['hf-cache', 'ollama-models'])),
  path: z.string(),
  total_bytes: z.number(),
  free_bytes: z.number(),
  used_percent: z.number(),
  alert: z.boolean(),
});
export type StorageDisk = z.infer<typeof StorageDisk>;
export const StorageUser = z.object({ name: z.string(), provider: ModelProvider, size_bytes: z.number() });
export const StorageStatus = z.object({
  alert_percent: z.number(),
  disks: z.array(StorageDisk),
  /** the models using the most space, biggest first */
  largest: z.array(StorageUser),
});
export type StorageStatus = z.infer<typeof StorageStatus>;
export const StorageResponse = okShape({ storage: StorageStatus });
