import { z } from 'zod';
import bundledHf from '../../../../resources/hf-popular.json';
import type { CatalogCache, Fresh } from '../cache';
import { type CatalogEntry, CatalogEntryList, type ModelShape } from '../entry';
import { weightsGiB } from '../fit';
import { HfConfig, HfModelInfo, HuggingFaceCatalog, hfShape, type HfSort, licenseOf, VLLM_ARCHITECTURES, VllmRegistryClient, vllmSupported, visibleTags } from '../huggingface';
import { localHfDetails, type InstalledModelRef } from '../installed';
import type { LocalIndex } from '../local-index';
import type { RemoteOptions } from '../remote';
import type { CatalogSort, CatalogSource, RefreshJob, SourceDetail, SourceQuery } from '../source';

/** The API's sort names, as the Hub's `/api/models?sort=` spells them. */
const HF_SORT: Record<CatalogSort, HfSort> = { trending: 'trendingScore', downloads: 'downloads', likes: 'likes', updated: 'lastModified' };
const VLLM_KEY = 'vllm:architectures';
const HfDetailPayload = z.object({ info: HfModelInfo, config: HfConfig.nullable() });

export interface HuggingFaceSourceOptions {
  cache: CatalogCache;
  index: LocalIndex;
  remote: () => RemoteOptions;
  /** the Hub's base URL (HF_ENDPOINT / Settings), no trailing slash */
  endpoint: () => string;
  token: () => string | null;
  /** where vLLM's registry.py is read from (Settings) */
  registryUrl: () => string;
}

/**
 * The Hugging Face Hub: searches, trending, model details (with config.json for the fit), and vLLM's
 * architecture registry, which decides "runs on vLLM" for every Hub entry.
 */
export class HuggingFaceSource implements CatalogSource {
  readonly provider = 'huggingface' as const;
  private readonly hub: HuggingFaceCatalog;
  private readonly registry: VllmRegistryClient;
  /** bundled vLLM architectures plus the last list read from vLLM's registry */
  private archs: ReadonlySet<string> = VLLM_ARCHITECTURES;

  constructor(private readonly o: HuggingFaceSourceOptions) {
    this.hub = new HuggingFaceCatalog(() => ({ ...o.remote(), endpoint: o.endpoint(), token: o.token() }));
    this.registry = new VllmRegistryClient(() => ({ ...o.remote(), url: o.registryUrl() }));
    const read = o.cache.peek(VLLM_KEY, z.array(z.string()));
    if (read) this.archs = new Set([...VLLM_ARCHITECTURES, ...read]);
  }

  bundled(): CatalogEntry[] {
    return BundledHf.parse(bundledHf).models.map((m) =>
      hfEntry({
        id: m.id,
        downloads: m.downloads,
        likes: m.likes,
        tags: m.tags,
        pipeline_tag: 'text-generation',
        config: { architectures: [m.architecture] },
        safetensors: { parameters: { [m.dtype]: Math.round(m.parameters_b * 1e9) }, total: Math.round(m.parameters_b * 1e9) },
      }),
    );
  }

  search(q: SourceQuery, force: boolean): Promise<Fresh<CatalogEntry[]>> {
    return this.list({ q: q.q, filter: q.filter, sort: HF_SORT[q.sort], limit: q.limit }, force);
  }

  trending(limit: number, force: boolean): Promise<Fresh<CatalogEntry[]>> {
    return this.list({ sort: 'trendingScore', limit }, force);
  }

  refreshJobs(section: 'catalog' | 'trending'): RefreshJob[] {
    if (section === 'trending') return [{ key: 'hf:trending', run: () => this.list({ sort: 'trendingScore', limit: 24 }, true) }];
    return [
      { key: 'hf:search', run: () => this.list({ sort: 'downloads', limit: 100 }, true) },
      { key: VLLM_KEY, run: () => this.refreshArchitectures() },
    ];
  }

  supportedArchitectures(): string[] {
    return [...this.archs].sort();
  }

  private list(s: { q?: string; filter?: 'vllm' | 'gguf'; sort: HfSort; limit: number }, force: boolean): Promise<Fresh<CatalogEntry[]>> {
    // the historical keys (trending, downloads) stay as they were, so existing caches keep answering
    const kind = s.sort === 'trendingScore' ? 'trending' : s.sort === 'downloads' ? 'search' : `search-${s.sort}`;
    const key = `hf:${kind}:${s.filter ?? ''}:${(s.q ?? '').trim().toLowerCase()}:${s.limit}`;
    return this.o.cache.get(key, CatalogEntryList, async () => (await this.hub.search(s, this.archs)).map((m) => hfEntry(m, null, this.archs)), {
      force,
      section: s.sort === 'trendingScore' ? 'trending' : 'catalog',
      what: s.sort === 'trendingScore' ? 'trending models' : 'search results',
      onFresh: (data) => this.o.index.put(data),
      fallback: () => {
        // Never online for this query: answer from the local index (bundled + anything fetched before).
        const found = this.o.index.find('huggingface', s.q, s.limit).filter((e) => !s.filter || (s.filter === 'gguf' ? e.model.tags.includes('gguf') : e.model.vllm_supported === true));
        return found.length ? found : null;
      },
    });
  }

  /** vLLM's supported architectures from its registry.py; the bundled list when that cannot be read. */
  private refreshArchitectures(): Promise<Fresh<string[]>> {
    return this.o.cache.get(VLLM_KEY, z.array(z.string()), () => this.registry.fetchArchitectures(), {
      force: true,
      section: 'catalog',
      what: 'vLLM architecture list',
      onFresh: (list) => (this.archs = new Set([...VLLM_ARCHITECTURES, ...list])),
      fallback: () => [...VLLM_ARCHITECTURES],
    });
  }

  async detail(name: string, installed: InstalledModelRef | null): Promise<Fresh<SourceDetail>> {
    const id = name.replace(/^hf\.co\//, '');
    const indexed = this.o.index.get('huggingface', id);
    // an installed model's snapshot: its config.json and file sizes when the Hub cannot be asked
    const local = installed?.local_path ? localHfDetails(id, installed.local_path) : null;
    const r = await this.o.cache.get(
      `hf:model:${id}`,
      HfDetailPayload,
      async () => {
        const [info, config] = await Promise.all([this.hub.model(id), this.hub.config(id)]);
        return { info, config };
      },
      {
        section: 'catalog',
        what: 'model details',
        onFresh: (d) => this.o.index.put([hfEntry(d.info, d.config, this.archs)]),
        fallback: () => local ?? (indexed ? { info: { id, tags: indexed.model.tags }, config: null } : null),
        fallbackLabel: local ? 'the details of the installed copy (config.json and file sizes)' : undefined,
      },
    );
    const fromIndex = !r.fetched_at && !local && indexed ? indexed : null;
    // the Hub's details with the local config.json when the Hub gave none (gated repos)
    const config = r.data.config ?? local?.config ?? null;
    const entry = fromIndex ?? hfEntry(r.data.info, config, this.archs);
    if (local && r.fetched_at) fillFromLocal(entry, hfEntry(local.info, local.config, this.archs));
    const info = r.data.info;
    return {
      ...r,
      data: {
        entry,
        extra: {
          license: licenseOf(info),
          gated: info.gated ?? null,
          pipeline_tag: info.pipeline_tag ?? null,
          architectures: info.config?.architectures ?? [],
          capabilities: info.pipeline_tag ? [info.pipeline_tag] : [],
          context_length: entry.shape.maxContext,
          quantization: entry.shape.quantization ?? entry.shape.dtype,
          files: (info.siblings ?? []).map((s) => ({ name: s.rfilename, size: s.size ?? null })),
          url: `${this.o.endpoint()}/${id}`,
          last_modified: info.lastModified ?? null,
        },
      },
    };
  }
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** A Hub list item or model page as a catalog entry. */
export function hfEntry(info: HfModelInfo, config: HfConfig | null = null, supported: ReadonlySet<string> = VLLM_ARCHITECTURES): CatalogEntry {
  const shape = hfShape(info, config);
  const w = weightsGiB(shape);
  return {
    model: {
      provider: 'huggingface',
      model_name: info.id,
      display_name: info.id.split('/').pop() ?? info.id,
      size_gb: shape.weightsBytes ? round1(shape.weightsBytes / 1e9) : w ? round1((w * 1024 ** 3) / 1e9) : null,
      runtime: shape.runtime,
      tags: visibleTags([...(info.pipeline_tag ? [info.pipeline_tag] : []), ...(info.tags ?? []).filter((t) => t !== info.pipeline_tag)]),
      downloads: info.downloads ?? null,
      likes: info.likes ?? null,
      parameters_b: shape.parametersB === null ? null : Math.round(shape.parametersB * 100) / 100,
      description: null,
      vllm_supported: vllmSupported(info, supported),
    },
    shape,
  };
}

/** What the Hub left unknown (no safetensors metadata, no config.json) from the installed copy's files. */
function fillFromLocal(entry: CatalogEntry, local: CatalogEntry): void {
  const shape: Record<string, unknown> = { ...entry.shape };
  for (const k of Object.keys(shape) as (keyof ModelShape)[]) if (shape[k] == null && local.shape[k] != null) shape[k] = local.shape[k];
  entry.shape = shape as ModelShape;
  entry.model.parameters_b ??= local.model.parameters_b;
  entry.model.size_gb ??= local.model.size_gb;
}

const BundledHf = z.object({
  models: z.array(z.object({ id: z.string(), parameters_b: z.number(), dtype: z.string(), downloads: z.number(), likes: z.number(), tags: z.array(z.string()), architecture: z.string() })),
});
