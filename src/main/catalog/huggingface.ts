import { z } from 'zod';
import vllmArchitectures from '../../../resources/vllm-architectures.json';
import { attentionHeads, derivedMaxModelLen } from '../drivers/hf-vllm/model-config';
import { parametersFromName, safetensorsDtypeBytes, type ModelShape } from './fit';
import { getJson, getText, RemoteError, type RemoteOptions } from './remote';

/** vLLM's natively supported architectures (resources/vllm-architectures.json). */
export const VLLM_ARCHITECTURES: ReadonlySet<string> = new Set([...vllmArchitectures.text_generation, ...vllmArchitectures.multimodal]);

/** One item of `GET /api/models` (with `expand=`) or `GET /api/models/{id}`; unknown keys are ignored. */
export const HfModelInfo = z.object({
  id: z.string(),
  downloads: z.number().nullish(),
  likes: z.number().nullish(),
  trendingScore: z.number().nullish(),
  tags: z.array(z.string()).nullish(),
  pipeline_tag: z.string().nullish(),
  library_name: z.string().nullish(),
  gated: z.union([z.boolean(), z.string()]).nullish(),
  lastModified: z.string().nullish(),
  createdAt: z.string().nullish(),
  config: z
    .object({
      architectures: z.array(z.string()).nullish(),
      model_type: z.string().nullish(),
      quantization_config: z.object({ quant_method: z.string().nullish() }).passthrough().nullish(),
    })
    .passthrough()
    .nullish(),
  cardData: z.object({ license: z.union([z.string(), z.array(z.string())]).nullish() }).passthrough().nullish(),
  safetensors: z.object({ parameters: z.record(z.string(), z.number()).nullish(), total: z.number().nullish() }).nullish(),
  siblings: z.array(z.object({ rfilename: z.string(), size: z.number().nullish() })).nullish(),
});
export type HfModelInfo = z.infer<typeof HfModelInfo>;

/** The parts of config.json the fit estimate reads. */
export const HfConfig = z
  .object({
    num_hidden_layers: z.number().nullish(),
    num_attention_heads: z.number().nullish(),
    num_key_value_heads: z.number().nullish(),
    hidden_size: z.number().nullish(),
    head_dim: z.number().nullish(),
    max_position_embeddings: z.number().nullish(),
    torch_dtype: z.string().nullish(),
    dtype: z.string().nullish(),
    quantization_config: z.object({ quant_method: z.string().nullish() }).passthrough().nullish(),
    text_config: z.record(z.string(), z.unknown()).nullish(),
  })
  .passthrough();
export type HfConfig = z.infer<typeof HfConfig>;

/** Hub pipelines of the models vLLM's registry serves (text generation and its multimodal models). */
export const VLLM_PIPELINES = ['text-generation', 'image-text-to-text', 'video-text-to-text', 'audio-text-to-text', 'any-to-any'] as const;
/** Every pipeline Switchyard can serve: vLLM's, which also covers the chat GGUF repos Ollama runs. */
export const SERVED_PIPELINES: readonly string[] = VLLM_PIPELINES;

/** The filter sets one search asks the Hub for, one request each (see HuggingFaceCatalog.search). */
export function searchPages(filter: 'vllm' | 'gguf' | undefined): string[][] {
  if (filter === 'vllm') return VLLM_PIPELINES.map((p) => [p]);
  if (filter === 'gguf') return [['gguf']];
  return [...SERVED_PIPELINES.map((p) => [p]), ['gguf']];
}

/** A chat model Switchyard can serve: a served pipeline, or a GGUF repo that names no pipeline. */
export function servable(m: Pick<HfModelInfo, 'pipeline_tag' | 'tags'>): boolean {
  if (m.pipeline_tag) return SERVED_PIPELINES.includes(m.pipeline_tag);
  return m.tags?.includes('gguf') ?? false;
}

const EXPAND = ['downloads', 'likes', 'trendingScore', 'tags', 'pipeline_tag', 'library_name', 'gated', 'lastModified', 'safetensors', 'config'];

export type HfSort = 'downloads' | 'trendingScore' | 'likes' | 'lastModified';

/** The number a merged page is ordered by (dates as milliseconds). */
function sortValue(m: HfModelInfo, key: HfSort): number {
  if (key === 'lastModified') return m.lastModified ? Date.parse(m.lastModified) || 0 : 0;
  return m[key] ?? 0;
}

export interface HfSearch {
  q?: string;
  filter?: 'vllm' | 'gguf';
  sort: HfSort;
  limit: number;
}

/** Reads the Hub's model API (HF_ENDPOINT honoured through settings.hub.endpoint). */
export class HuggingFaceCatalog {
  constructor(private readonly options: () => RemoteOptions & { endpoint: string; token: string | null }) {}

  private remote(): RemoteOptions {
    const o = this.options();
    return { ...o, headers: o.token ? { authorization: `Bearer ${o.token}` } : {} };
  }

  private url(path: string): string {
    return `${this.options().endpoint.replace(/\/+$/, '')}${path}`;
  }

  /**
   * One page of `/api/models` with the fields lists need. The Hub ANDs repeated filters, so one request
   * cannot ask for several pipelines: each pipeline Switchyard serves is asked once and the pages are
   * merged by the sort key. GGUF repos are also asked without a pipeline, because many carry none (or
   * one like `image-text-to-text`); any other pipeline (embeddings, diffusion…) is dropped. "Runs on vLLM"
   * is then decided from config.architectures.
   */
  async search(params: HfSearch, supported: ReadonlySet<string> = VLLM_ARCHITECTURES): Promise<HfModelInfo[]> {
    const pages = await Promise.all(searchPages(params.filter).map((filters) => this.page(params, filters)));
    const seen = new Set<string>();
    const key = params.sort;
    const items = pages
      .flat()
      .filter((m) => !seen.has(m.id) && seen.add(m.id) && servable(m))
      .sort((a, b) => sortValue(b, key) - sortValue(a, key));
    const filtered = params.filter === 'vllm' ? items.filter((m) => vllmSupported(m, supported) === true) : items;
    return filtered.slice(0, params.limit);
  }

  private async page(params: HfSearch, filters: readonly string[]): Promise<HfModelInfo[]> {
    const qs = new URLSearchParams();
    if (params.q) qs.set('search', params.q);
    for (const f of filters) qs.append('filter', f);
    qs.set('sort', params.sort);
    qs.set('direction', '-1');
    // items are dropped after the answer ("runs on vLLM", GGUF of other pipelines): fetch more to fill the page
    const dropsSome = params.filter === 'vllm' || !filters.some((f) => (SERVED_PIPELINES as readonly string[]).includes(f));
    qs.set('limit', String(dropsSome ? Math.min(params.limit * 2, 1000) : params.limit));
    for (const e of EXPAND) qs.append('expand', e);
    const { json } = await getJson(this.url(`/api/models?${qs}`), this.remote());
    const list = z.array(z.unknown()).safeParse(json);
    if (!list.success) throw new RemoteError('the Hub returned an unexpected model list (not an array)', this.url('/api/models'));
    return list.data.flatMap((raw) => {
      const parsed = HfModelInfo.safeParse(raw);
      return parsed.success ? [parsed.data] : [];
    });
  }

  /** `/api/models/{id}?blobs=true`: files with sizes, safetensors counts, config summary, card data. */
  async model(id: string): Promise<HfModelInfo> {
    const { json } = await getJson(this.url(`/api/models/${encodeRepo(id)}?blobs=true`), this.remote());
    const parsed = HfModelInfo.safeParse(json);
    if (!parsed.success) throw new RemoteError(`the Hub returned unexpected details for ${id}`, this.url(`/api/models/${id}`));
    return parsed.data;
  }

  /** config.json (layers, KV heads…); null when the repo has none or it is gated. */
  async config(id: string): Promise<HfConfig | null> {
    try {
      const { json } = await getJson(this.url(`/${encodeRepo(id)}/resolve/main/config.json`), this.remote());
      const parsed = HfConfig.safeParse(json);
      return parsed.success ? parsed.data : null;
    } catch (error) {
      if (error instanceof RemoteError && error.status !== null) return null;
      throw error;
    }
  }
}

/**
 * Architecture names from vLLM's registry.py: the keys of `_TEXT_GENERATION_MODELS` and
 * `_MULTIMODAL_MODELS`. Throws when the file no longer looks like the registry.
 */
export function parseVllmRegistry(source: string, url = 'registry.py'): string[] {
  const out = new Set<string>();
  for (const dict of ['_TEXT_GENERATION_MODELS', '_MULTIMODAL_MODELS']) {
    const start = source.indexOf(`${dict} = {`);
    if (start < 0) continue;
    const end = source.indexOf('\n}', start);
    const body = source.slice(start, end < 0 ? undefined : end);
    // indentation is spaces or tabs, never `\s+`: that spans lines and is quadratic on a run of blank ones
    for (const m of body.matchAll(/^[ \t]+"([A-Za-z]\w*)":\s*\(/gm)) out.add(m[1]!);
  }
  if (out.size < 20) throw new RemoteError(`vLLM's registry changed (found ${out.size} architectures): keeping the bundled list`, url);
  return [...out].sort();
}

export class VllmRegistryClient {
  constructor(private readonly options: () => RemoteOptions & { url: string }) {}

  async fetchArchitectures(): Promise<string[]> {
    const o = this.options();
    const { text } = await getText(o.url, o);
    return parseVllmRegistry(text, o.url);
  }
}

const encodeRepo = (id: string) => id.split('/').map(encodeURIComponent).join('/');

export function vllmSupported(m: Pick<HfModelInfo, 'config' | 'tags'>, supported: ReadonlySet<string> = VLLM_ARCHITECTURES): boolean | null {
  const archs = m.config?.architectures;
  if (archs && archs.length) return archs.some((a) => supported.has(a));
  if (m.tags?.includes('gguf')) return false;
  return null;
}

const HIDDEN_TAG = /^(region:|endpoints_compatible$|autotrain_compatible$|text-generation-inference$|deploy:|arxiv:|base_model:|dataset:)/;

/** Tags worth showing: drops routing and provenance tags. */
export function visibleTags(tags: readonly string[] | null | undefined): string[] {
  return (tags ?? []).filter((t) => !HIDDEN_TAG.test(t)).slice(0, 16);
}

/** Weight bytes and dominant dtype from `safetensors.parameters` ({BF16: n, F32: m}). */
export function safetensorsWeights(info: Pick<HfModelInfo, 'safetensors'>): { bytes: number; dtype: string; params: number } | null {
  const params = info.safetensors?.parameters;
  if (!params || !Object.keys(params).length) return null;
  let bytes = 0;
  let top: [string, number] = ['BF16', 0];
  for (const [dtype, count] of Object.entries(params)) {
    bytes += count * safetensorsDtypeBytes(dtype);
    if (count > top[1]) top = [dtype, count];
  }
  return { bytes, dtype: top[0], params: info.safetensors?.total ?? Object.values(params).reduce((a, b) => a + b, 0) };
}

/** What the fit estimate knows from a list item or details (+ config.json when fetched). */
export function hfShape(info: HfModelInfo, config: HfConfig | null = null): ModelShape {
  const st = safetensorsWeights(info);
  const quant = config?.quantization_config?.quant_method ?? info.config?.quantization_config?.quant_method ?? null;
  const isGguf = info.tags?.includes('gguf') ?? false;
  const ggufFile = isGguf ? pickGgufFile(info.siblings ?? []) : null;
  const text = (config?.text_config ?? null) as Record<string, unknown> | null;
  const num = (k: string): number | null => {
    const v = config?.[k] ?? text?.[k];
    return typeof v === 'number' ? v : null;
  };
  const heads = num('num_attention_heads');
  const hidden = num('hidden_size');
  let parametersB = st ? st.params / 1e9 : parametersFromName(info.id);
  if (quant && st && (quant === 'awq' || quant === 'gptq')) parametersB = parametersFromName(info.id) ?? parametersB; // packed int32 counts undercount
  return {
    runtime: isGguf ? 'ollama' : 'vllm',
    parametersB: parametersB ?? null,
    weightsBytes: ggufFile?.size ?? st?.bytes ?? null,
    dtype: ggufFile ? ggufQuant(ggufFile.rfilename) : isGguf ? 'Q4_K_M' : quant ? quant.toUpperCase() : (st?.dtype ?? config?.torch_dtype ?? config?.dtype ?? null),
    layers: num('num_hidden_layers'),
    kvHeads: num('num_key_value_heads') ?? heads,
    headDim: num('head_dim') ?? (hidden && heads ? hidden / heads : null),
    maxContext: config ? derivedMaxModelLen(config) : num('max_position_embeddings'),
    attentionHeads: config ? attentionHeads(config) : null,
    quantization: quant && ['awq', 'gptq', 'fp8', 'bitsandbytes', 'compressed-tensors', 'awq_marlin', 'gptq_marlin', 'mxfp4'].includes(quant) ? quant : null,
  };
}

/** The GGUF file a user would most likely pick: Q4_K_M, else the smallest. */
export function pickGgufFile(siblings: readonly { rfilename: string; size?: number | null }[]): { rfilename: string; size: number | null } | null {
  const ggufs = siblings.filter((s) => s.rfilename.toLowerCase().endsWith('.gguf'));
  if (!ggufs.length) return null;
  const q4 = ggufs.find((s) => /q4_k_m/i.test(s.rfilename));
  const pick = q4 ?? [...ggufs].sort((a, b) => (a.size ?? Infinity) - (b.size ?? Infinity))[0]!;
  return { rfilename: pick.rfilename, size: pick.size ?? null };
}

export function ggufQuant(filename: string): string | null {
  return /(IQ\d_[A-Z]+|Q\d_K_[SML]|Q\d_K|Q\d_\d|BF16|F16|F32)/i.exec(filename)?.[1]?.toUpperCase() ?? null;
}

export function licenseOf(info: HfModelInfo): string | null {
  const card = info.cardData?.license;
  if (typeof card === 'string') return card;
  if (Array.isArray(card) && card.length) return card[0]!;
  return info.tags?.find((t) => t.startsWith('license:'))?.slice('license:'.length) ?? null;
}
