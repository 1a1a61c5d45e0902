import { totalmem } from 'node:os';
import { z } from 'zod';
import {
  CatalogModel,
  type CatalogDetail,
  type FitReport,
  type FitSummary,
  type NewsItem,
} from '../../shared/api/catalog';
import { AppError, errorMessage } from '../../shared/errors';
import type { SettingsService } from '../config';
import type { EventBus } from '../events';
import type { Logger } from '../logger';
import { CatalogRepo, facetTokens, ftsQuery, VRAM_BUCKETS, type CatalogRow } from './catalog-repo';
import { estimateFit, kvBytesPerToken, MIN_CONTEXT, overheadGiB, overrideGpus, weightsGiB, type FitRequest, type GpuInventory, type ModelShape } from './fit';
import { localHfDetails, ollamaMetadataShape, type InstalledModelRef, type InstalledModels } from './installed';
import { HfConfig, HfModelInfo, HuggingFaceCatalog, hfShape, type HfSort, licenseOf, VLLM_ARCHITECTURES, VllmRegistryClient, vllmSupported, visibleTags } from './huggingface';
import { NewsClient } from './news';
import { bundledLibrary, defaultTag, LibraryList, ollamaShape, OllamaLibraryClient, type LibraryModel } from './ollama-library';
import { RemoteError } from './remote';
import bundledHf from '../../../resources/hf-popular.json';

/** A list entry as cached: the API fields plus what the fit estimate needs. */
const Shape = z.object({
  runtime: z.enum(['vllm', 'ollama']),
  parametersB: z.number().nullable(),
  weightsBytes: z.number().nullable(),
  dtype: z.string().nullable(),
  layers: z.number().nullable(),
  kvHeads: z.number().nullable(),
  headDim: z.number().nullable(),
  maxContext: z.number().nullable(),
  quantization: z.string().nullable(),
  attentionHeads: z.number().nullish(),
});
const Listed = z.object({ model: CatalogModel.omit({ fit: true }), shape: Shape });
type Listed = z.infer<typeof Listed>;
const ListedList = z.array(Listed);
const NewsList = z.array(z.object({ title: z.string(), url: z.string(), summary: z.string(), published_at: z.string().nullable(), authors: z.array(z.string()), source: z.string() }));
const HfDetailPayload = z.object({ info: HfModelInfo, config: HfConfig.nullable() });

export interface Fresh<T> {
  data: T;
  stale: boolean;
  error: string | null;
  fetched_at: string | null;
  offline: boolean;
}

export interface GpuQuery {
  vram_gb?: number;
  gpus?: number;
  context?: number;
}

export interface CatalogServiceOptions {
  repo: CatalogRepo;
  settings: SettingsService;
  /** the Hub token (Settings, HF_TOKEN, or the `hf auth login` file); default: Settings only */
  hubToken?: () => string | null;
  events: EventBus;
  logger: Logger;
  gpus: GpuInventory;
  /** total system RAM (default: os.totalmem), for Ollama's CPU verdicts */
  systemRamBytes?: () => number;
  /** local calls (Ollama's /api/show on this machine) */
  fetch?: typeof fetch;
  /** calls that leave the machine (Hub, Ollama library, blog, papers, vLLM's registry): the net layer */
  remoteFetch?: typeof fetch;
  now?: () => Date;
  /** the installed-model manifest: installed models get a fit from their local files, offline too */
  installed?: InstalledModels;
}

type Section = 'catalog' | 'trending' | 'news';
const VLLM_KEY = 'vllm:architectures';

/**
 * Catalog, trending and news with a TTL cache in SQLite. Within the TTL the cache answers; past it one
 * refresh is tried (short connect timeout); a failure answers the last cached data with `stale: true`
 * and `error`, or the bundled lists when nothing was ever fetched. Offline mode makes no request at all.
 */
/** The API's sort names, as the Hub's `/api/models?sort=` spells them. */
const HF_SORT: Record<'trending' | 'downloads' | 'likes' | 'updated', HfSort> = { trending: 'trendingScore', downloads: 'downloads', likes: 'likes', updated: 'lastModified' };

export class CatalogService {
  private readonly repo: CatalogRepo;
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => Date;
  private readonly hf: HuggingFaceCatalog;
  private readonly library: OllamaLibraryClient;
  private readonly news: NewsClient;
  private readonly vllmRegistry: VllmRegistryClient;
  /** bundled vLLM architectures plus the last list read from vLLM's registry */
  private archs: ReadonlySet<string> = VLLM_ARCHITECTURES;
  /** one request per key at a time: concurrent callers share it (no refresh storm) */
  private readonly inflight = new Map<string, Promise<unknown>>();
  private closed = false;
  private readonly abort = new AbortController();
  /** Ollama `/api/show` numbers per installed model (name@size) */
  private readonly ollamaMeta = new Map<string, Partial<ModelShape>>();

  constructor(private readonly o: CatalogServiceOptions) {
    this.repo = o.repo;
    this.fetchImpl = o.fetch ?? globalThis.fetch;
    this.now = o.now ?? (() => new Date());
    const remoteFetch = o.remoteFetch ?? this.fetchImpl;
    const remote = () => ({ fetch: remoteFetch, connectTimeoutMs: this.settings().connectTimeoutMs, signal: this.abort.signal });
    this.hf = new HuggingFaceCatalog(() => ({ ...remote(), endpoint: this.endpoint(), token: o.hubToken ? o.hubToken() : o.settings.get().hub.token }));
    this.library = new OllamaLibraryClient(() => ({ ...remote(), baseUrl: this.settings().ollamaLibraryUrl }));
    this.news = new NewsClient(() => ({ ...remote(), endpoint: this.endpoint() }));
    this.vllmRegistry = new VllmRegistryClient(() => ({ ...remote(), url: this.settings().vllmRegistryUrl }));
    const refreshed = this.repo.getCache(VLLM_KEY);
    const list = refreshed ? z.array(z.string()).safeParse(safeJson(refreshed.payload)) : null;
    if (list?.success) this.archs = new Set([...VLLM_ARCHITECTURES, ...list.data]);
    this.seedBundled();
  }

  close(): void {
    this.closed = true;
    this.abort.abort(new Error('catalog closed'));
  }

  private settings() {
    return this.o.settings.get().catalog;
  }

  private endpoint(): string {
    return this.o.settings.get().hub.endpoint.replace(/\/+$/, '');
  }

  get offline(): boolean {
    return this.settings().offline;
  }

  /** A fresh install that was never online still has a catalog to search. */
  private seedBundled(): void {
    const at = this.now().toISOString();
    const rows = [...libraryListed(bundledLibrary), ...bundledHfListed()].map((l) => toRow(l, 'bundled', at));
    this.repo.insertBundled(rows);
  }

  // ---- the cache policy -------------------------------------------------------------------------

  private async cached<T>(
    key: string,
    schema: z.ZodType<T>,
    fetcher: () => Promise<T>,
    options: { force?: boolean; fallback?: () => T | null; fallbackLabel?: string; onFresh?: (data: T) => void; section: Section; what: string },
  ): Promise<Fresh<T>> {
    const row = this.repo.getCache(key);
    let cached: T | null = null;
    if (row) {
      const parsed = schema.safeParse(safeJson(row.payload));
      if (parsed.success) cached = parsed.data;
    }
    const offline = this.offline;
    if (offline) {
      if (cached !== null) return { data: cached, stale: true, error: `Offline mode: showing ${options.what} fetched ${row!.fetched_at}.`, fetched_at: row!.fetched_at, offline };
      const fallback = options.fallback?.();
      if (fallback) return { data: fallback, stale: true, error: `Offline mode: showing ${options.fallbackLabel ?? `the bundled ${options.what}`}.`, fetched_at: null, offline };
      throw new AppError('offline', `Offline mode is on and nothing is cached yet for ${options.what}: turn offline mode off (sidebar or Settings) and refresh.`);
    }
    const ttlMs = this.settings().ttlMinutes * 60_000;
    if (cached !== null && !options.force && this.now().getTime() - Date.parse(row!.fetched_at) < ttlMs) {
      return { data: cached, stale: false, error: null, fetched_at: row!.fetched_at, offline };
    }
    try {
      const data = await this.once(key, fetcher);
      const at = this.now().toISOString();
      this.repo.putCache(key, data, at);
      options.onFresh?.(data);
      this.o.events.emit({ type: 'catalog.updated', section: options.section });
      return { data, stale: false, error: null, fetched_at: at, offline };
    } catch (error) {
      if (this.closed) throw new AppError('cancelled', 'Switchyard is shutting down.');
      const message = errorMessage(error);
      this.o.logger.warn({ key, error: message }, 'catalog refresh failed');
      if (row) this.repo.recordError(key, message, this.now().toISOString());
      if (cached !== null) return { data: cached, stale: true, error: `${message} — showing ${options.what} fetched ${row!.fetched_at}.`, fetched_at: row!.fetched_at, offline };
      const fallback = options.fallback?.();
      if (fallback) return { data: fallback, stale: true, error: `${message} — showing ${options.fallbackLabel ?? `the ${options.what} known locally`}.`, fetched_at: null, offline };
      if (error instanceof RemoteError && error.status === 404) throw new AppError('model_not_found', `${message}. Check the name.`);
      throw new AppError('upstream_error', `${message}. Check the network (or HF_ENDPOINT / the Ollama library URL in Settings) and refresh.`);
    }
  }

  private once<T>(key: string, fetcher: () => Promise<T>): Promise<T> {
    const running = this.inflight.get(key) as Promise<T> | undefined;
    if (running) return running;
    const p = fetcher().finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  // ---- providers, trending, news ----------------------------------------------------------------

  async providers(q: { provider: 'huggingface' | 'ollama'; q?: string; limit: number; filter?: 'vllm' | 'gguf'; sort?: 'trending' | 'downloads' | 'likes' | 'updated' } & GpuQuery, force = false) {
    const sort = HF_SORT[q.sort ?? 'downloads'];
    const fresh = q.provider === 'ollama' ? await this.ollamaList(q.q, q.limit, force) : await this.hfList({ q: q.q, filter: q.filter, sort, limit: q.limit }, force);
    return this.withFit(fresh, q);
  }

  async trending(q: { provider: 'huggingface' | 'ollama'; limit: number } & GpuQuery, force = false) {
    if (q.provider === 'ollama') {
      const lib = await this.libraryFresh(force);
      const data = libraryListed(lib.data.slice().sort((a, b) => (b.pulls ?? 0) - (a.pulls ?? 0)), true).slice(0, q.limit);
      return this.withFit({ ...lib, data }, q);
    }
    return this.withFit(await this.hfList({ sort: 'trendingScore', limit: q.limit }, force), q);
  }

  async newsItems(q: { type: 'blog' | 'papers'; month?: string; limit: number }, force = false): Promise<Fresh<NewsItem[]>> {
    if (q.type === 'blog') {
      const r = await this.cached('news:blog', NewsList, () => this.news.blog(), { force, section: 'news', what: 'blog posts' }).catch((e) => this.emptyOnMissing<NewsItem>(e));
      return { ...r, data: r.data.slice(0, q.limit) };
    }
    const month = q.month ?? this.now().toISOString().slice(0, 7);
    const r = await this.cached(`news:papers:${month}`, NewsList, () => this.news.papers(month, 100), { force, section: 'news', what: `papers of ${month}` }).catch((e) =>
      this.emptyOnMissing<NewsItem>(e),
    );
    return { ...r, data: r.data.slice(0, q.limit) };
  }

  /** News has no bundled fallback: nothing cached answers an empty list that says why. */
  private emptyOnMissing<T>(error: unknown): Fresh<T[]> {
    if (error instanceof AppError && (error.code === 'offline' || error.code === 'upstream_error')) {
      return { data: [], stale: true, error: error.message, fetched_at: null, offline: this.offline };
    }
    throw error;
  }

  private hfList(s: { q?: string; filter?: 'vllm' | 'gguf'; sort: HfSort; limit: number }, force: boolean): Promise<Fresh<Listed[]>> {
    // the historical keys (trending, downloads) stay as they were, so existing caches keep answering
    const kind = s.sort === 'trendingScore' ? 'trending' : s.sort === 'downloads' ? 'search' : `search-${s.sort}`;
    const key = `hf:${kind}:${s.filter ?? ''}:${(s.q ?? '').trim().toLowerCase()}:${s.limit}`;
    return this.cached(key, ListedList, async () => (await this.hf.search({ ...s, sort: s.sort }, this.archs)).map((m) => hfListed(m, null, this.archs)), {
      force,
      section: s.sort === 'trendingScore' ? 'trending' : 'catalog',
      what: s.sort === 'trendingScore' ? 'trending models' : 'search results',
      onFresh: (data) => this.index(data),
      fallback: () => {
        // Never online for this query: answer from the local index (bundled + anything fetched before).
        const rows = this.repo.search({ match: ftsQuery(s.q), provider: 'huggingface', runtime: null, maxSizeGb: null, maxVramGib: null, limit: s.limit, offset: 0 }).rows;
        const listed = rows.map(rowListed).filter((l) => !s.filter || (s.filter === 'gguf' ? l.model.tags.includes('gguf') : l.model.vllm_supported === true));
        return listed.length ? listed : null;
      },
    });
  }

  private libraryFresh(force: boolean): Promise<Fresh<LibraryModel[]>> {
    return this.cached('ollama:library', LibraryList, () => this.library.fetchLibrary(), {
      force,
      section: 'catalog',
      what: 'Ollama library',
      onFresh: (data) => this.index(libraryListed(data)),
      fallback: () => [...bundledLibrary],
    });
  }

  private async ollamaList(q: string | undefined, limit: number, force: boolean): Promise<Fresh<Listed[]>> {
    const lib = await this.libraryFresh(force);
    const words = (q ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    const matches = (m: Listed) => words.every((w) => `${m.model.model_name} ${m.model.description ?? ''} ${m.model.tags.join(' ')}`.toLowerCase().includes(w));
    return { ...lib, data: libraryListed(lib.data).filter(matches).slice(0, limit) };
  }

  private index(listed: Listed[]): void {
    const at = this.now().toISOString();
    this.repo.upsertModels(listed.map((l) => toRow(l, 'remote', at)));
  }

  // ---- local search and details -----------------------------------------------------------------

  search(q: { q?: string; source?: 'huggingface' | 'ollama'; runtime?: 'vllm' | 'ollama'; max_size_gb?: number; fits?: boolean; limit: number; offset: number } & GpuQuery) {
    const request = this.fitRequest(q);
    let maxVramGib: number | null = null;
    if (q.fits) {
      const gpus = request.gpus ?? [];
      if (!gpus.length) return { models: [], total: 0 };
      const perGpu = Math.min(...gpus.map((g) => g.memoryTotalMiB)) / 1024;
      // snapped down to an index bucket: the prefilter stays an index term, the verdict below is exact
      const budget = perGpu * Math.min(gpus.length, 8);
      maxVramGib = [...VRAM_BUCKETS].reverse().find((b) => b <= budget) ?? VRAM_BUCKETS[0]!;
    }
    const { rows, total } = this.repo.search({
      match: ftsQuery(q.q),
      provider: q.source ?? null,
      runtime: q.runtime ?? null,
      maxSizeGb: q.max_size_gb ?? null,
      maxVramGib,
      limit: q.limit,
      offset: q.offset,
    });
    let models = rows.map((r) => this.attachFit(rowListed(r), request));
    if (q.fits) models = models.filter((m) => runnable(m.fit, request));
    return { models, total };
  }

  async detail(name: string, q: { provider?: 'huggingface' | 'ollama' } & GpuQuery): Promise<Fresh<CatalogDetail> & { fit: FitReport }> {
    const installed = this.installedModel(name, q.provider);
    const provider = q.provider ?? installed?.provider ?? (name.includes('/') ? 'huggingface' : 'ollama');
    const request = this.fitRequest(q);
    if (provider === 'ollama') return this.ollamaDetail(name, request, installed);
    const id = name.replace(/^hf\.co\//, '');
    const indexed = this.repo.getModel('huggingface', id);
    // an installed model's snapshot: its config.json and file sizes when the Hub cannot be asked
    const local = installed?.local_path ? localHfDetails(id, installed.local_path) : null;
    const r = await this.cached(
      `hf:model:${id}`,
      HfDetailPayload,
      async () => {
        const [info, config] = await Promise.all([this.hf.model(id), this.hf.config(id)]);
        return { info, config };
      },
      {
        section: 'catalog',
        what: 'model details',
        onFresh: (d) => this.index([hfListed(d.info, d.config, this.archs)]),
        fallback: () => local ?? (indexed ? { info: { id, tags: JSON.parse(indexed.tags) as string[] }, config: null } : null),
        fallbackLabel: local ? 'the details of the installed copy (config.json and file sizes)' : undefined,
      },
    );
    const fromIndex = !r.fetched_at && !local && indexed ? rowListed(indexed) : null;
    // the Hub's details with the local config.json when the Hub gave none (gated repos)
    const config = r.data.config ?? local?.config ?? null;
    const listed = fromIndex ?? hfListed(r.data.info, config, this.archs);
    if (local && r.fetched_at) fillFromLocal(listed, hfListed(local.info, local.config, this.archs));
    const info = r.data.info;
    const fit = estimateFit(listed.shape, request);
    const siblings = info.siblings ?? [];
    const detail: CatalogDetail = {
      ...listed.model,
      fit: fit.summary,
      license: licenseOf(info),
      gated: info.gated ?? null,
      pipeline_tag: info.pipeline_tag ?? null,
      architectures: info.config?.architectures ?? [],
      capabilities: info.pipeline_tag ? [info.pipeline_tag] : [],
      context_length: listed.shape.maxContext,
      quantization: listed.shape.quantization ?? listed.shape.dtype,
      files: siblings.map((s) => ({ name: s.rfilename, size: s.size ?? null })),
      url: `${this.endpoint()}/${id}`,
      last_modified: info.lastModified ?? null,
    };
    return { ...r, data: detail, fit };
  }

  private async ollamaDetail(name: string, request: FitRequest, installed: InstalledModelRef | null): Promise<Fresh<CatalogDetail> & { fit: FitReport }> {
    const lib = await this.libraryFresh(false);
    const [base, tagName] = splitOllamaName(name);
    const known = lib.data.find((m) => m.name === base);
    if (!known && !installed) throw new AppError('model_not_found', `"${base}" is not in the Ollama library list. Check the name on ollama.com/library.`);
    // an installed model the library list does not have (a custom or hf.co/ model): its own entry
    const model: LibraryModel = known ?? { name: base, description: '', capabilities: [], pulls: null, context_length: null, quantization: null, updated: null, tags: [] };
    let tag = (tagName && tagName !== 'latest' ? model.tags.find((t) => t.tag === tagName) : model.tags.length ? defaultTag(model) : undefined) ?? null;
    if (!tag && installed) tag = { tag: tagName ?? 'latest', parameters_b: null, size_gb: null };
    if (!tag) throw new AppError('model_not_found', `${base} has no tag "${tagName}". Known tags: ${model.tags.map((t) => t.tag).join(', ')}.`);
    const listed = libraryEntry(model, tag);
    if (installed) listed.shape = { ...listed.shape, ...(await this.installedOllamaShape(installed)) };
    const fit = estimateFit(listed.shape, request);
    const detail: CatalogDetail = {
      ...listed.model,
      fit: fit.summary,
      license: null,
      gated: false,
      pipeline_tag: null,
      architectures: [],
      capabilities: model.capabilities,
      context_length: listed.shape.maxContext ?? model.context_length ?? null,
      quantization: listed.shape.dtype ?? model.quantization ?? null,
      files: model.tags.map((t) => ({ name: `${model.name}:${t.tag}`, size: t.size_gb === null ? null : Math.round(t.size_gb * 1e9) })),
      url: `${this.settings().ollamaLibraryUrl.replace(/\/+$/, '')}/library/${model.name}`,
      last_modified: model.updated ?? null,
    };
    return { ...lib, data: detail, fit };
  }

  private installedModel(name: string, provider?: 'huggingface' | 'ollama'): InstalledModelRef | null {
    try {
      const m = this.o.installed?.find(name) ?? null;
      return m && (!provider || m.provider === provider) ? m : null;
    } catch (error) {
      this.o.logger.warn({ name, error: errorMessage(error) }, 'installed-model lookup failed');
      return null;
    }
  }

  /**
   * An installed Ollama model's own numbers: its size on disk (exact weights), quantization and context
   * from the manifest, and layers / KV heads / head dim from Ollama's `/api/show` while Ollama runs
   * (local, so also in offline mode). Remembered per name and size.
   */
  private async installedOllamaShape(m: InstalledModelRef): Promise<Partial<ModelShape>> {
    const out: Partial<ModelShape> = {};
    if (m.size_bytes > 0) out.weightsBytes = m.size_bytes;
    if (m.capabilities?.quantization) out.dtype = m.capabilities.quantization;
    if (m.capabilities?.max_context_length) out.maxContext = m.capabilities.max_context_length;
    const key = `${m.name}@${m.size_bytes}`;
    let meta = this.ollamaMeta.get(key);
    const baseUrl = this.o.installed?.ollamaUrl?.() ?? null;
    if (!meta && baseUrl) {
      try {
        const res = await this.fetchImpl(`${baseUrl.replace(/\/+$/, '')}/api/show`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: m.name }),
          signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.settings().connectTimeoutMs)]),
        });
        if (res.ok) {
          meta = ollamaMetadataShape(await res.json());
          this.ollamaMeta.set(key, meta);
        }
      } catch (error) {
        this.o.logger.debug({ name: m.name, error: errorMessage(error) }, 'ollama /api/show for the fit failed');
      }
    }
    return { ...out, ...(meta ?? {}) };
  }

  // ---- refresh, status ---------------------------------------------------------------------------

  async refresh(section: Section | 'all', provider?: 'huggingface' | 'ollama') {
    if (this.offline) throw new AppError('offline', 'Offline mode is on: turn it off (sidebar or Settings) to refresh from the network.');
    const jobs: { key: string; run: () => Promise<{ count: number; error: string | null }> }[] = [];
    const add = (key: string, run: () => Promise<Fresh<unknown[]>>) =>
      jobs.push({ key, run: async () => { const r = await run(); return { count: r.data.length, error: r.stale ? r.error : null }; } }); // prettier-ignore
    const wants = (p: 'huggingface' | 'ollama') => !provider || provider === p;
    if (section === 'catalog' || section === 'all') {
      if (wants('huggingface')) add('hf:search', () => this.hfList({ sort: 'downloads', limit: 100 }, true));
      if (wants('ollama')) add('ollama:library', () => this.libraryFresh(true));
      if (wants('huggingface')) add(VLLM_KEY, () => this.refreshVllmArchitectures());
    }
    if (section === 'trending' || section === 'all') {
      if (wants('huggingface')) add('hf:trending', () => this.hfList({ sort: 'trendingScore', limit: 24 }, true));
      if (wants('ollama') && section !== 'all') add('ollama:library', () => this.libraryFresh(true));
    }
    if ((section === 'news' || section === 'all') && wants('huggingface')) {
      add('news:blog', () => this.newsItems({ type: 'blog', limit: 200 }, true));
      add('news:papers', () => this.newsItems({ type: 'papers', limit: 200 }, true));
    }
    const results = await Promise.all(
      jobs.map(async (j) => {
        try {
          const r = await j.run();
          return { key: j.key, ok: r.error === null, error: r.error, count: r.count };
        } catch (error) {
          return { key: j.key, ok: false, error: errorMessage(error), count: 0 };
        }
      }),
    );
    return results;
  }

  /** vLLM's supported architectures from its registry.py; the bundled list when that cannot be read. */
  private refreshVllmArchitectures(): Promise<Fresh<string[]>> {
    return this.cached(VLLM_KEY, z.array(z.string()), () => this.vllmRegistry.fetchArchitectures(), {
      force: true,
      section: 'catalog',
      what: 'vLLM architecture list',
      onFresh: (list) => (this.archs = new Set([...VLLM_ARCHITECTURES, ...list])),
      fallback: () => [...VLLM_ARCHITECTURES],
    });
  }

  supportedArchitectures(): string[] {
    return [...this.archs].sort();
  }

  status() {
    const ttlMs = this.settings().ttlMinutes * 60_000;
    const sections = this.repo
      .listCache()
      .filter((r) => !r.key.startsWith('hf:model:'))
      .map((r) => ({ key: r.key, fetched_at: r.fetched_at, stale: this.offline || !!r.last_error || this.now().getTime() - Date.parse(r.fetched_at) >= ttlMs, error: r.last_error }));
    return { offline: this.offline, sections, cached_models: this.repo.countModels() };
  }

  setOffline(offline: boolean): void {
    this.o.settings.update({ catalog: { offline } });
  }

  offlineForced(): boolean {
    return this.o.settings.overriddenPaths().includes('catalog.offline');
  }

  // ---- fit ---------------------------------------------------------------------------------------

  fitRequest(q: GpuQuery): FitRequest {
    // Ollama's CPU and partial-offload verdicts are checked against this machine's RAM, what-if or not
    const systemRamBytes = this.o.systemRamBytes?.() ?? totalmem();
    if (q.vram_gb) return { gpus: overrideGpus(q.vram_gb, q.gpus ?? 1), gpuSource: 'override', context: q.context, systemRamBytes };
    // a GPU whose memory nvidia-smi could not read says nothing about fit
    const detected = this.o.gpus.gpus()?.filter((g) => g.memoryTotalMiB > 0);
    if (detected && detected.length) return { gpus: q.gpus ? detected.slice(0, q.gpus) : detected, gpuSource: 'detected', context: q.context, systemRamBytes };
    return { gpus: null, gpuSource: 'none', context: q.context, systemRamBytes };
  }

  private attachFit(l: Listed, request: FitRequest): CatalogModel {
    return { ...l.model, fit: estimateFit(l.shape, request).summary };
  }

  private withFit(fresh: Fresh<Listed[]>, q: GpuQuery): Fresh<CatalogModel[]> {
    const request = this.fitRequest(q);
    return { ...fresh, data: fresh.data.map((l) => this.attachFit(l, request)) };
  }
}

function runnable(fit: FitSummary | null | undefined, request: FitRequest): boolean {
  if (!fit) return false;
  if (fit.verdict === 'fits' || fit.verdict === 'reduced_context') return true;
  return fit.verdict === 'needs_gpus' && fit.gpus_needed !== null && fit.gpus_needed <= (request.gpus?.length ?? 0);
}

const safeJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
};

const round1 = (x: number) => Math.round(x * 10) / 10;

/** What the Hub left unknown (no safetensors metadata, no config.json) from the installed copy's files. */
function fillFromLocal(listed: Listed, local: Listed): void {
  const shape = { ...listed.shape };
  for (const k of Object.keys(shape) as (keyof ModelShape)[]) {
    if (shape[k] == null && local.shape[k] != null) (shape as Record<string, unknown>)[k] = local.shape[k];
  }
  listed.shape = shape;
  listed.model.parameters_b ??= local.model.parameters_b;
  listed.model.size_gb ??= local.model.size_gb;
}

/** `llama3.1:8b` → [llama3.1, 8b]; `hf.co/org/repo:Q4_K_M` → [hf.co/org/repo, Q4_K_M] */
function splitOllamaName(name: string): [string, string | undefined] {
  const i = name.lastIndexOf(':');
  return i > name.lastIndexOf('/') && i > 0 ? [name.slice(0, i), name.slice(i + 1)] : [name, undefined];
}

export function hfListed(info: HfModelInfo, config: HfConfig | null = null, supported: ReadonlySet<string> = VLLM_ARCHITECTURES): Listed {
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

function libraryEntry(m: LibraryModel, tag: LibraryModel['tags'][number]): Listed {
  const name = `${m.name}:${tag.tag}`;
  return {
    model: {
      provider: 'ollama',
      model_name: name,
      display_name: name,
      size_gb: tag.size_gb,
      runtime: 'ollama',
      tags: [...m.capabilities, tag.tag.toUpperCase()],
      downloads: m.pulls,
      likes: null,
      parameters_b: tag.parameters_b,
      description: m.description,
      vllm_supported: false,
    },
    shape: ollamaShape(m, tag),
  };
}

/** One row per tag, or with `defaultOnly` one row per model (its most likely tag), for trending. */
export function libraryListed(list: readonly LibraryModel[], defaultOnly = false): Listed[] {
  return list.flatMap((m) => (defaultOnly ? [libraryEntry(m, defaultTag(m))] : m.tags.map((t) => libraryEntry(m, t))));
}

const BundledHf = z.object({
  models: z.array(z.object({ id: z.string(), parameters_b: z.number(), dtype: z.string(), downloads: z.number(), likes: z.number(), tags: z.array(z.string()), architecture: z.string() })),
});

function bundledHfListed(): Listed[] {
  return BundledHf.parse(bundledHf).models.map((m) =>
    hfListed({
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

function toRow(l: Listed, origin: 'bundled' | 'remote', at: string): CatalogRow {
  const w = weightsGiB(l.shape);
  const kv = kvBytesPerToken(l.shape);
  const minVram = w !== null && kv ? w + overheadGiB(w) + (kv.bytes * MIN_CONTEXT) / 1024 ** 3 : null;
  const m = l.model;
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
    vllm_supported: m.vllm_supported === null || m.vllm_supported === undefined ? null : m.vllm_supported ? 1 : 0,
    tags: JSON.stringify(m.tags),
    description: m.description ?? null,
    shape: JSON.stringify(l.shape),
    origin,
    updated_at: at,
    facets: facetTokens({ provider: m.provider, runtime: m.runtime, size_gb: m.size_gb, min_vram_gib: minVram }),
  };
}

/** Rows are written by this module only; a cheap structural check instead of zod keeps 100-row pages fast. */
function parseStoredShape(text: string): ModelShape | null {
  const v = safeJson(text) as Record<string, unknown> | null;
  if (!v || typeof v !== 'object' || (v.runtime !== 'vllm' && v.runtime !== 'ollama')) return null;
  const n = (k: string) => (typeof v[k] === 'number' ? (v[k] as number) : null);
  const str = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : null);
  return {
    runtime: v.runtime,
    parametersB: n('parametersB'),
    weightsBytes: n('weightsBytes'),
    dtype: str('dtype'),
    layers: n('layers'),
    kvHeads: n('kvHeads'),
    headDim: n('headDim'),
    maxContext: n('maxContext'),
    quantization: str('quantization'),
  };
}

function parseStoredTags(text: string): string[] {
  const v = safeJson(text);
  return Array.isArray(v) ? v.filter((t): t is string => typeof t === 'string') : [];
}

function rowListed(r: CatalogRow): Listed {
  const shape = parseStoredShape(r.shape);
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
    shape: shape ?? { runtime: r.runtime, parametersB: r.parameters_b, weightsBytes: null, dtype: null, layers: null, kvHeads: null, headDim: null, maxContext: null, quantization: null },
  };
}
