import { z } from 'zod';
import { okShape } from './common';

/** Where a model comes from, and which runtime serves it. */
export const ModelProvider = z.enum(['huggingface', 'ollama']);
export type ModelProvider = z.infer<typeof ModelProvider>;
export const ModelRuntime = z.enum(['vllm', 'ollama']);
export type ModelRuntime = z.infer<typeof ModelRuntime>;

export const ModelStatus = z.enum(['downloading', 'installed', 'failed', 'removed', 'missing']);
export type ModelStatus = z.infer<typeof ModelStatus>;

/** seed Venom `ModelCapabilities` */
export const ModelCapabilities = z.object({
  supports_system_role: z.boolean(),
  supports_function_calling: z.boolean(),
  allowed_roles: z.array(z.string()),
  prompt_template: z.string().nullable(),
  max_context_length: z.number().int().nullable(),
  quantization: z.string().nullable(),
});
export type ModelCapabilities = z.infer<typeof ModelCapabilities>;
export const CapabilitiesOverride = ModelCapabilities.partial();
export type CapabilitiesOverride = z.infer<typeof CapabilitiesOverride>;

export const ModelArtifact = z.object({
  path: z.string(),
  size: z.number(),
  sha256: z.string().nullable(),
  blob_id: z.string().nullable(),
  local_path: z.string().nullable(),
  status: z.enum(['pending', 'verified', 'missing']),
});
export type ModelArtifact = z.infer<typeof ModelArtifact>;

export const InstalledModel = z.object({
  name: z.string(),
  provider: ModelProvider,
  runtime: ModelRuntime,
  display_name: z.string(),
  size_bytes: z.number(),
  status: ModelStatus,
  revision: z.string().nullable(),
  commit_sha: z.string().nullable(),
  local_path: z.string().nullable(),
  source: z.enum(['installed', 'discovered']),
  installed_at: z.string().nullable(),
  last_used: z.string().nullable(),
  capabilities: ModelCapabilities.nullable(),
  active: z.boolean(),
});
export type InstalledModel = z.infer<typeof InstalledModel>;

export const OperationStatus = z.enum(['pending', 'in_progress', 'completed', 'failed', 'cancelled']);
export type OperationStatus = z.infer<typeof OperationStatus>;
export const OperationType = z.enum(['install', 'remove']);
export type OperationType = z.infer<typeof OperationType>;

/** seed Venom operation shape, extended with bytes/speed for progress bars. */
export const Operation = z.object({
  operation_id: z.string(),
  model_name: z.string(),
  operation_type: OperationType,
  provider: ModelProvider,
  runtime: ModelRuntime,
  status: OperationStatus,
  progress: z.number(),
  message: z.string(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  bytes_done: z.number(),
  bytes_total: z.number().nullable(),
  /** bytes per second over the last few seconds; null when not downloading */
  speed_bps: z.number().nullable(),
  eta_seconds: z.number().nullable(),
  created_at: z.string(),
  started_at: z.string().nullable(),
  updated_at: z.string(),
  finished_at: z.string().nullable(),
});
export type Operation = z.infer<typeof Operation>;

export const InstallBody = z.object({
  name: z.string().min(1).max(300),
  provider: ModelProvider,
  runtime: ModelRuntime.optional(),
  revision: z.string().min(1).max(200).optional(),
  /** explicit file list (HF); overrides the default selection */
  files: z.array(z.string().min(1).max(500)).max(5000).optional(),
  /** GGUF repos: which quantization (e.g. `Q4_K_M`) */
  quantization: z.string().min(1).max(50).optional(),
});
export type InstallBody = z.infer<typeof InstallBody>;

export const PlanQuery = z.object({
  name: z.string().min(1).max(300),
  provider: ModelProvider,
  revision: z.string().min(1).max(200).optional(),
  quantization: z.string().min(1).max(50).optional(),
});

export const PlanFile = z.object({ path: z.string(), size: z.number(), sha256: z.string().nullable(), cached: z.boolean() });
export const InstallPlan = z.object({
  name: z.string(),
  provider: ModelProvider,
  runtime: ModelRuntime,
  revision: z.string(),
  commit_sha: z.string().nullable(),
  gated: z.boolean(),
  files: z.array(PlanFile),
  /** GGUF repos: quantizations to choose from, and the one chosen */
  quantizations: z.array(z.string()),
  quantization: z.string().nullable(),
  total_bytes: z.number().nullable(),
  /** bytes still to fetch (files not already in the cache, minus partial downloads) */
  download_bytes: z.number().nullable(),
  disk: z.object({ path: z.string(), total_bytes: z.number(), free_bytes: z.number(), free_after_bytes: z.number().nullable() }),
  /** null when the install may start; otherwise why it would be refused */
  refusal: z.object({ code: z.string(), message: z.string() }).nullable(),
});
export type InstallPlan = z.infer<typeof InstallPlan>;

export const InstallResponse = okShape({ operation_id: z.string(), message: z.string() });
export const OperationResponse = okShape({ operation: Operation });
export const OperationsQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(50) });
export const OperationsResponse = okShape({ operations: z.array(Operation), count: z.number() });
export const CancelBody = z.object({ cleanup: z.boolean().default(false) }).optional();
export const RegistryQuery = z.object({ refresh: z.enum(['0', '1', 'true', 'false']).optional() });
export const RegistryResponse = okShape({ models: z.array(InstalledModel), count: z.number() });
export const PlanResponse = okShape({ plan: InstallPlan });
export const CapabilitiesResponse = okShape({
  model_name: z.string(),
  capabilities: ModelCapabilities,
  detected: ModelCapabilities.nullable(),
  override: CapabilitiesOverride.nullable(),
});
export const CapabilitiesBody = z.object({ override: CapabilitiesOverride.nullable() });
