import { z } from 'zod';
import { CatalogModel } from '../../shared/api/catalog';
import { facetTokens } from './catalog-repo';
import { kvBytesPerToken, MIN_CONTEXT, overheadGiB, weightsGiB } from './fit';

/**
 * The catalog's one model row. Every source (Hub, Ollama library, bundled lists, the local index) makes
 * a `CatalogEntry`: the API row without its per-request fit, plus the `ModelShape` the fit is computed
 * from. The cache stores entries as JSON, the index stores them as `CatalogRow` columns (toRow/fromRow
 * below), and the API row is an entry with the fit and `runnable` attached (see fitting.ts).
 */

/** Everything the fit estimate needs about a model; unknown fields are null. */
export const ModelShape = z.object({
  runtime: z.enum(['vllm', 'ollama']),
  parametersB: z.number().nullable(),
  /** exact weight bytes, when known */
  weightsBytes: z.number().nullable(),
  /** dtype or quantization name: BF16, Q4_K_M, AWQ, … */
  dtype: z.string().nullable(),
  layers: z.number().nullable(),
  kvHeads: z.number().nullable(),
  headDim: z.number().nullable(),
  /** the largest context vLLM accepts for it (derived as vLLM does, see drivers/hf-vllm/model-config.ts) */
  maxContext: z.number().nullable(),
  /** the checkpoint's quantization method (awq, gptq, fp8, …) from `quantization_config` */
  quantization: z.string().nullable(),
  /** attention heads: tensor-parallel sizes that do not divide them are never offered */
  attentionHeads: z.number().nullish(),
});
export type ModelShape = z.infer<typeof ModelShape>;

/** The API row minus what depends on the request (the fit for the asked GPUs, and whether it runs). */
export const EntryModel = CatalogModel.omit({ fit: true, runnable: true });
export type EntryModel = z.infer<typeof EntryModel>;

export const CatalogEntry = z.object({ model: EntryModel, shape: ModelShape });
export type CatalogEntry = z.infer<typeof CatalogEntry>;
export const CatalogEntryList = z.array(CatalogEntry);

/** An entry as stored in the local index (`catalog_models`): `tags` and `shape` are JSON, booleans are 0/1. */
export type CatalogRow = Pick<EntryModel, 'provider' | 'model_name' | 'display_name' | 'runtime' | 'size_gb' | 'downloads' | 'likes'> & {
  parameters_b: number | null;
  description: string | null;
  vllm_supported: number | null;
  tags: string;
  shape: string;
  /** the least VRAM it could run in (weights, overhead, the minimum context), for the "fits" prefilter */
  min_vram_gib: number | null;
  origin: 'bundled' | 'remote';
  updated_at: string;
  /** FTS filter tokens, see facetTokens() */
  facets: string;
};

export function toRow(e: CatalogEntry, origin: CatalogRow['origin'], at: string): CatalogRow {
  const w = weightsGiB(e.shape);
  const kv = kvBytesPerToken(e.shape);
  const minVram = w !== null && kv ? w + overheadGiB(w) + (kv.bytes * MIN_CONTEXT) / 1024 ** 3 : null;
  const m = e.model;
  return {
    provider: m.provider,
    model_name: m.model_name,
    display_name: m.display_name,
    runtime: m.runtime,
    size_gb: m.size_gb,
    parameters_b: m.parameters_b ?? null,
    min_vram_gib: minVram,
    downloads: m.downloads,
    likes: m.likes,
    vllm_supported: m.vllm_supported == null ? null : m.vllm_supported ? 1 : 0,
    tags: JSON.stringify(m.tags),
    description: m.description ?? null,
    shape: JSON.stringify(e.shape),
    origin,
    updated_at: at,
    facets: facetTokens({ provider: m.provider, runtime: m.runtime, size_gb: m.size_gb, min_vram_gib: minVram }),
  };
}

export function fromRow(r: CatalogRow): CatalogEntry {
  return {
    model: {
      provider: r.provider,
      model_name: r.model_name,
      display_name: r.display_name,
      size_gb: r.size_gb,
      runtime: r.runtime,
      tags: parseStoredTags(r.tags),
      downloads: r.downloads,
      likes: r.likes,
      parameters_b: r.parameters_b,
      description: r.description,
      vllm_supported: r.vllm_supported === null ? null : r.vllm_supported === 1,
    },
    shape: parseStoredShape(r.shape) ?? { ...unknownShape(r.runtime), parametersB: r.parameters_b },
  };
}

export function unknownShape(runtime: ModelShape['runtime']): ModelShape {
  return { runtime, parametersB: null, weightsBytes: null, dtype: null, layers: null, kvHeads: null, headDim: null, maxContext: null, quantization: null };
}

/** The shape's fields by the JSON type they hold, read off the schema so a new field needs no change here. */
const SHAPE_FIELDS = Object.entries(ModelShape.shape).flatMap(([key, schema]) => {
  if (key === 'runtime') return [];
  const kind = schema.safeParse(0).success ? 'number' : 'string';
  return [[key, kind] as const];
});

/**
 * Rows are written by toRow only: a structural check instead of zod keeps 100-row pages fast (the
 * search bench). Returns null for anything that is not a stored shape.
 */
function parseStoredShape(text: string): ModelShape | null {
  const v = safeJson(text) as Record<string, unknown> | null;
  if (!v || typeof v !== 'object' || (v.runtime !== 'vllm' && v.runtime !== 'ollama')) return null;
  const out: Record<string, unknown> = { runtime: v.runtime };
  for (const [key, kind] of SHAPE_FIELDS) out[key] = typeof v[key] === kind ? v[key] : null;
  return out as ModelShape;
}

function parseStoredTags(text: string): string[] {
  const v = safeJson(text);
  return Array.isArray(v) ? v.filter((t): t is string => typeof t === 'string') : [];
}

export const safeJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
};
