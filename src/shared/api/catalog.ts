import { z } from 'zod';
import { okShape } from './common';
import { RuntimeFlags } from './models';
import { LaunchPreview } from './runtimes';

/** Catalog, trending and news (seed Venom shapes, extended with freshness and "will it fit"). */

export const CatalogProvider = z.enum(['huggingface', 'ollama']);
export type CatalogProvider = z.infer<typeof CatalogProvider>;

/** `partial_offload` and `cpu` are Ollama's: layers that do not fit in VRAM run on the CPU from system RAM. */
export const FitVerdict = z.enum(['fits', 'reduced_context', 'needs_gpus', 'does_not_fit', 'no_gpu', 'partial_offload', 'cpu', 'unknown']);
export type FitVerdict = z.infer<typeof FitVerdict>;

/** One line per model in lists: enough to draw a badge. */
export const FitSummary = z.object({
  verdict: FitVerdict,
  /** VRAM the model needs at `context` tokens, all GPUs together (GiB) */
  required_gib: z.number().nullable(),
  /** GPUs needed with tensor parallelism (null when it cannot fit on any count we consider) */
  gpus_needed: z.number().nullable(),
  /** context length the verdict is for (reduced when the verdict is `reduced_context`) */
  context: z.number().nullable(),
  /** Ollama: system RAM the CPU part needs (GiB), for `partial_offload` and `cpu` */
  ram_gib: z.number().nullable().optional(),
  note: z.string(),
});
export type FitSummary = z.infer<typeof FitSummary>;

export const CatalogModel = z.object({
  provider: CatalogProvider,
  model_name: z.string(),
  display_name: z.string(),
  size_gb: z.number().nullable(),
  runtime: z.enum(['vllm', 'ollama']),
  tags: z.array(z.string()),
  downloads: z.number().nullable(),
  likes: z.number().nullable(),
  /** parameters in billions, when known */
  parameters_b: z.number().nullable().optional(),
  description: z.string().nullable().optional(),
  /** architecture is in vLLM's supported list (null: unknown) */
  vllm_supported: z.boolean().nullable().optional(),
  /** the fit for the GPUs asked about (the detected ones, or `vram_gb`/`gpus`); null: nothing to judge */
  fit: FitSummary.nullable(),
  /**
   * The server's verdict "runs on these GPUs": it fits (maybe at a reduced context), or needs tensor
   * parallelism over no more GPUs than there are. The UI shows and filters by this, never its own rule.
   */
  runnable: z.boolean(),
});
export type CatalogModel = z.infer<typeof CatalogModel>;

export const Freshness = {
  stale: z.boolean(),
  error: z.string().nullable(),
  /** when the data was fetched from the network (null: bundled data, never fetched) */
  fetched_at: z.string().nullable(),
  offline: z.boolean(),
};

const limit = (max: number, def: number) => z.coerce.number().int().min(1).max(max).default(def);
/** `?vram_gb=24&gpus=2` asks "would it fit on 2 × 24 GiB" instead of the detected GPUs. */
const GpuOverride = {
  vram_gb: z.coerce.number().positive().max(4096).optional(),
  gpus: z.coerce.number().int().min(1).max(64).optional(),
  context: z.coerce.number().int().min(256).max(10_485_760).optional(),
};

const BoolParam = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1')
  .optional();

export const ProvidersQuery = z.object({
  provider: CatalogProvider.default('huggingface'),
  q: z.string().max(200).optional(),
  limit: limit(500, 50),
  /** `vllm`: architecture vLLM supports; `gguf`: GGUF repositories */
  filter: z.enum(['vllm', 'gguf']).optional(),
  /** only models the server judges `runnable` on the asked GPUs (as the local search's `fits`) */
  fits: BoolParam,
  max_size_gb: z.coerce.number().positive().optional(),
  /** the Hub's order (huggingface only): trending score, downloads, likes, last update */
  sort: z.enum(['trending', 'downloads', 'likes', 'updated']).default('downloads'),
  ...GpuOverride,
});
export const ProvidersResponse = okShape({ provider: CatalogProvider, models: z.array(CatalogModel), count: z.number(), ...Freshness });

export const TrendingQuery = z.object({ provider: CatalogProvider.default('huggingface'), limit: limit(200, 24), ...GpuOverride });
export const TrendingResponse = ProvidersResponse;

export const NewsType = z.enum(['blog', 'papers']);
export const NewsQuery = z.object({
  provider: z.literal('huggingface').default('huggingface'),
  type: NewsType.default('blog'),
  month: z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'month is YYYY-MM')
    .optional(),
  limit: limit(200, 20),
});
export const NewsItem = z.object({
  title: z.string(),
  url: z.string(),
  summary: z.string(),
  published_at: z.string().nullable(),
  authors: z.array(z.string()),
  source: z.string(),
});
export type NewsItem = z.infer<typeof NewsItem>;
export const NewsResponse = okShape({ provider: z.literal('huggingface'), type: NewsType, items: z.array(NewsItem), count: z.number(), ...Freshness });

export const CatalogSearchQuery = z.object({
  q: z.string().max(200).optional(),
  source: CatalogProvider.optional(),
  runtime: z.enum(['vllm', 'ollama']).optional(),
  max_size_gb: z.coerce.number().positive().optional(),
  fits: BoolParam,
  limit: limit(1000, 100),
  offset: z.coerce.number().int().min(0).default(0),
  ...GpuOverride,
});
export const CatalogSearchResponse = okShape({ models: z.array(CatalogModel), count: z.number(), total: z.number(), offline: z.boolean() });

export const GpuInfo = z.object({ index: z.number(), name: z.string(), memory_total_mib: z.number(), memory_free_mib: z.number() });

export const FitOption = z.object({
  tensor_parallel_size: z.number(),
  verdict: FitVerdict,
  weights_gib_per_gpu: z.number(),
  kv_cache_gib_per_gpu: z.number(),
  overhead_gib_per_gpu: z.number(),
  required_gib_per_gpu: z.number(),
  budget_gib_per_gpu: z.number(),
  max_context: z.number(),
});

export const FitReport = z.object({
  summary: FitSummary,
  gpus: z.array(GpuInfo),
  gpu_source: z.enum(['detected', 'override', 'none']),
  inputs: z.object({
    parameters_b: z.number().nullable(),
    weights_gib: z.number().nullable(),
    bytes_per_param: z.number().nullable(),
    dtype: z.string().nullable(),
    layers: z.number().nullable(),
    kv_heads: z.number().nullable(),
    head_dim: z.number().nullable(),
    kv_bytes_per_token: z.number().nullable(),
    kv_estimated: z.boolean(),
    max_position_embeddings: z.number().nullable(),
    context: z.number(),
    gpu_memory_utilization: z.number(),
    /** total system RAM the Ollama verdicts were checked against (GiB) */
    system_ram_gib: z.number().nullable().optional(),
  }),
  options: z.array(FitOption),
  /** vLLM flags that make it fit (null for Ollama models or when nothing fits) */
  vllm_flags: z.array(z.string()).nullable(),
  /** the same flags, structured as `PUT /models/{name}/runtime-flags` takes them: what an activation starts from */
  runtime_flags: RuntimeFlags.nullable(),
  /** Ollama context length that fits (`num_ctx` / OLLAMA_CONTEXT_LENGTH) */
  ollama_num_ctx: z.number().nullable(),
  fits_now: z.boolean().nullable(),
  notes: z.array(z.string()),
});
export type FitReport = z.infer<typeof FitReport>;

export const CatalogFile = z.object({ name: z.string(), size: z.number().nullable() });

export const CatalogDetail = CatalogModel.extend({
  license: z.string().nullable(),
  gated: z.union([z.boolean(), z.string()]).nullable(),
  pipeline_tag: z.string().nullable(),
  architectures: z.array(z.string()),
  capabilities: z.array(z.string()),
  context_length: z.number().nullable(),
  quantization: z.string().nullable(),
  files: z.array(CatalogFile),
  url: z.string(),
  last_modified: z.string().nullable(),
});
export type CatalogDetail = z.infer<typeof CatalogDetail>;

export const CatalogDetailQuery = z.object({ provider: CatalogProvider.optional(), ...GpuOverride });
/** `launch`: the command line its runtime's driver would start it with now (fit < Settings), or null (no driver gives one) */
export const CatalogDetailResponse = okShape({ model: CatalogDetail, fit: FitReport, launch: LaunchPreview.nullable(), ...Freshness });

export const RefreshSection = z.enum(['catalog', 'trending', 'news', 'all']);
export const RefreshBody = z.object({ section: RefreshSection.default('all'), provider: CatalogProvider.optional() });
export const RefreshResponse = okShape({
  section: RefreshSection,
  results: z.array(z.object({ key: z.string(), ok: z.boolean(), error: z.string().nullable(), count: z.number() })),
  offline: z.boolean(),
});

export const OfflineResponse = okShape({
  offline: z.boolean(),
  /** where the value comes from: a flag or env var (SWITCHYARD_OFFLINE / --offline) cannot be switched off in the UI */
  forced: z.boolean(),
});
export const OfflineBody = z.object({ offline: z.boolean() });

export const CatalogStatusResponse = okShape({
  offline: z.boolean(),
  sections: z.array(z.object({ key: z.string(), fetched_at: z.string().nullable(), stale: z.boolean(), error: z.string().nullable() })),
  cached_models: z.number(),
});

export const ModelCardResponse = okShape({
  /** the repo's README.md without its front matter; null when it has none */
  markdown: z.string().nullable(),
  truncated: z.boolean(),
  ...Freshness,
});
