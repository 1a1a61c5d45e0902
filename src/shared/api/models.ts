import { z } from 'zod';
import { Slot } from './router';
import { okShape } from './common';
import { RuntimeName } from './runtimes';
import { runtimeFlagsShape } from '../vllm-flags';

/** Where a model comes from, and which runtime serves it. */
/** where a model comes from: a model driver's provider id (`huggingface`, `ollama`, …; the driver registry knows which) */
export const ModelProvider = RuntimeName;
export type ModelProvider = z.infer<typeof ModelProvider>;
/** the runtime that serves a model: a runtime id (which ones exist is the driver registry's to say) */
export const ModelRuntime = RuntimeName;
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

/**
 * vLLM launch flags for one model (snake_case like vLLM's CLI); null/absent = not set. The flags and
 * their rules come from the one vLLM flag table (src/shared/vllm-flags/table.ts).
 */
export const RuntimeFlags = z
  .object({
    ...runtimeFlagsShape(),
    extra_args: z.array(z.string().max(500)).max(100),
  })
  .partial();
export type RuntimeFlags = z.infer<typeof RuntimeFlags>;

export const ModelTestResult = z.object({
  ok: z.boolean(),
  /** who answered: a local runtime ('vllm', 'ollama') or a remote endpoint's runtime */
  runtime: z.string(),
  model: z.string(),
  prompt: z.string(),
  answer: z.string().nullable(),
  /** the thinking streamed apart from the answer (`delta.reasoning` / `reasoning_content`), when any */
  reasoning: z.string().nullable().optional(),
  latency_ms: z.number(),
  ttft_ms: z.number().nullable(),
  prompt_tokens: z.number().nullable(),
  completion_tokens: z.number().nullable(),
  tokens_per_second: z.number().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  at: z.string(),
});
export type ModelTestResult = z.infer<typeof ModelTestResult>;

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
  /** installed here, found already installed, or imported from a file or folder on disk (`local`) */
  source: z.enum(['installed', 'discovered', 'local']),
  /** an import: the file or folder it came from, and whether it is still there */
  import_path: z.string().nullable().optional(),
  import_path_exists: z.boolean().optional(),
  /** a Hub model pinned to one of its snapshots: vLLM serves that commit whatever an update installs */
  pinned_revision: z.string().nullable().optional(),
  installed_at: z.string().nullable(),
  last_used: z.string().nullable(),
  capabilities: ModelCapabilities.nullable(),
  /** the model its runtime is set to (starting, loading or serving) */
  active: z.boolean(),
  /** the local slot it is in (the router's `chat` or `embeddings`), null when in none */
  slot: Slot.nullable(),
  /** the slots its runtime can serve it in (Ollama: both; vLLM: chat) */
  slots: z.array(Slot),
  /** files present and unchanged since their last verification */
  validated: z.boolean(),
  /** the runtime answers and advertises it in /v1/models */
  serving: z.boolean(),
  last_test: ModelTestResult.nullable(),
  /** per-model vLLM flags the user set (they win over the fit estimate and Settings) */
  runtime_flags: RuntimeFlags.nullable(),
  /** it ships its own code (config.json `auto_map`): vLLM serves it only once remote code is allowed for it */
  remote_code: z.boolean().optional(),
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

/**
 * A Hub revision: a branch, tag or commit as git allows them in a ref name (no spaces, control
 * characters, `..`, `~^:?*[\\`, `@{`, leading or trailing `/` or `.`, `.lock` at the end).
 * `refs/pr/N` included.
 */
export const Revision = z
  .string()
  .min(1)
  .max(200)
  .regex(/^(?!.*\.\.)(?!.*@\{)(?!.*\/\/)(?![/.])(?!.*[/.]$)(?!.*\.lock$)[A-Za-z0-9._\-/+]+$/, 'must be a branch, tag or commit (letters, digits and . _ - / +)');

export const InstallBody = z.object({
  name: z.string().min(1).max(300),
  provider: ModelProvider,
  runtime: ModelRuntime.optional(),
  revision: Revision.optional(),
  /** explicit file list (HF); overrides the default selection */
  files: z.array(z.string().min(1).max(500)).max(5000).optional(),
  /** GGUF repos: which quantization (e.g. `Q4_K_M`) */
  quantization: z.string().min(1).max(50).optional(),
});
export type InstallBody = z.infer<typeof InstallBody>;

export const PlanQuery = z.object({
  name: z.string().min(1).max(300),
  provider: ModelProvider,
  revision: Revision.optional(),
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
  /**
   * A GGUF repo from the Hub: the Ollama name that pulls the chosen quantization straight from the Hub
   * (`hf.co/{repo}:{quant}`) — the way to run it; vLLM refuses GGUF repos from the cache.
   */
  ollama_name: z.string().nullable().optional(),
});
export type InstallPlan = z.infer<typeof InstallPlan>;

export const InstallResponse = okShape({ operation_id: z.string(), message: z.string() });
export const OperationResponse = okShape({ operation: Operation });
export const OperationsQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(50) });
export const OperationsResponse = okShape({ operations: z.array(Operation), count: z.number() });
export const CancelBody = z.object({ cleanup: z.boolean().default(false) }).nullish();
export const RegistryQuery = z.object({ refresh: z.enum(['0', '1', 'true', 'false']).optional() });
/** An Ollama cloud model: listed by Ollama, run on ollama.com — no local files, never in `models`. */
export const CloudModel = z.object({ name: z.string(), remote_model: z.string(), remote_host: z.string() });
export type CloudModel = z.infer<typeof CloudModel>;
export const RegistryResponse = okShape({ models: z.array(InstalledModel), count: z.number(), cloud_models: z.array(CloudModel).optional() });
export const PlanResponse = okShape({ plan: InstallPlan });
export const CapabilitiesResponse = okShape({
  model_name: z.string(),
  capabilities: ModelCapabilities,
  detected: ModelCapabilities.nullable(),
  override: CapabilitiesOverride.nullable(),
});
export const CapabilitiesBody = z.object({ override: CapabilitiesOverride.nullable() });

export const ActivateBody = z.object({
  name: z.string().min(1).max(300),
  /** defaults to the model's runtime; a different one is refused */
  runtime: ModelRuntime.optional(),
  /** one-off vLLM flags for this activation, over the model's saved flags */
  flags: RuntimeFlags.optional(),
  /** the local slot: default from the model's capability (an embedding model → embeddings) */
  slot: Slot.optional(),
});
export type ActivateBody = z.infer<typeof ActivateBody>;
/** a slot, a model or a runtime; nothing: both slots */
export const DeactivateBody = z
  .object({ name: z.string().min(1).max(300).optional(), runtime: z.string().min(1).max(100).optional(), slot: Slot.optional() })
  .nullish();

export const Activation = z.object({
  model: z.string(),
  runtime: ModelRuntime,
  /** the local slot it serves in */
  slot: Slot,
  serving: z.boolean(),
  /** the runtime's own address (no version path) */
  base_url: z.string(),
  /** where OpenAI requests for it go, up to and including the version path */
  api_base: z.string(),
  /** the vLLM flags it was started with, and where each came from */
  flags: z.record(z.string(), z.unknown()).nullable(),
  flag_sources: z.record(z.string(), z.enum(['fit', 'settings', 'model', 'request'])).nullable(),
  load_ms: z.number(),
});
export type Activation = z.infer<typeof Activation>;
export const ActivationResponse = okShape({ activation: Activation, model: InstalledModel });
/** `runtime`: who served the model (null when nothing served and none was named) */
export const DeactivationResponse = okShape({ runtime: z.string().nullable(), model: z.string().nullable(), message: z.string() });

export const TestBody = z
  .object({ prompt: z.string().min(1).max(4000).optional(), max_tokens: z.number().int().min(1).max(1024).optional() })
  .nullish();
export const TestResponse = okShape({ result: ModelTestResult });

export const Validation = z.object({ kind: z.string(), ok: z.boolean(), details: z.unknown(), created_at: z.string() });
export const ValidationsResponse = okShape({ model_name: z.string(), validated: z.boolean(), validations: z.array(Validation) });
export const RuntimeFlagsBody = z.object({ flags: RuntimeFlags.nullable() });
export const RuntimeFlagsResponse = okShape({
  model_name: z.string(),
  /** what the user saved for this model */
  flags: RuntimeFlags.nullable(),
  /** what an activation now would use, with sources */
  effective: z.record(z.string(), z.unknown()),
  sources: z.record(z.string(), z.enum(['fit', 'settings', 'model', 'request'])),
});
