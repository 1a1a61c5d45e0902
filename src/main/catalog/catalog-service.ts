import { setMaxListeners } from 'node:events';
import { z } from 'zod';
import type { CatalogDetail, CatalogModel, CatalogProvider, FitReport, NewsItem } from '../../shared/api/catalog';
import { AppError, errorMessage } from '../../shared/errors';
import type { SettingsService } from '../config';
import type { EventBus } from '../events';
import type { Logger } from '../logger';
import { CatalogCache, emptyOnMissing, type Fresh, type Section } from './cache';
import { type CatalogRepo, ftsQuery, VRAM_BUCKETS } from './catalog-repo';
import type { CatalogEntry } from './entry';
import { estimateFit, type FitRequest, type GpuInventory } from './fit';
import { fitRequest, type GpuQuery, runnable, withFit } from './fitting';
import type { InstalledModelRef, InstalledModels } from './installed';
import { LocalIndex } from './local-index';
import { NewsClient } from './news';
import type { CatalogSort, CatalogSource, RefreshJob } from './source';
import { HuggingFaceSource } from './sources/huggingface-source';
import { OllamaSource } from './sources/ollama-source';

export type { Fresh } from './cache';
export type { GpuQuery } from './fitting';

const NewsList = z.array(z.object({ title: z.string(), url: z.string(), summary: z.string(), published_at: z.string().nullable(), authors: z.array(z.string()), source: z.string() }));

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

/**
 * Catalog, trending and news: one source per provider (sources/), the TTL cache they fetch through
 * (cache.ts), the local FTS index they fill (local-index.ts), and the fit every row gets (fitting.ts).
 * This class only routes a request to its source and attaches the fit for the asked GPUs.
 */
export class CatalogService {
  private readonly cache: CatalogCache;
  private readonly index: LocalIndex;
  private readonly hf: HuggingFaceSource;
  private readonly sources: Record<CatalogProvider, CatalogSource>;
  private readonly news: NewsClient;
  private readonly abort = new AbortController();

  constructor(private readonly o: CatalogServiceOptions) {
    // Every catalog request of the service listens on this one signal while it runs (and stops
    // listening when it ends): a search asks one page per pipeline, so a few searches at once pass
    // Node's default of 10, which would warn of a leak that is not there.
    setMaxListeners(0, this.abort.signal);
    const now = o.now ?? (() => new Date());
    this.cache = new CatalogCache({ repo: o.repo, events: o.events, logger: o.logger, now, offline: () => this.offline, ttlMinutes: () => this.settings().ttlMinutes });
    this.index = new LocalIndex(o.repo, now);
    const remoteFetch = o.remoteFetch ?? o.fetch ?? globalThis.fetch;
    const remote = () => ({ fetch: remoteFetch, connectTimeoutMs: this.settings().connectTimeoutMs, signal: this.abort.signal });
    const shared = { cache: this.cache, index: this.index, remote };
    this.hf = new HuggingFaceSource({
      ...shared,
      endpoint: () => this.endpoint(),
      token: () => (o.hubToken ? o.hubToken() : o.settings.get().hub.token),
      registryUrl: () => this.settings().vllmRegistryUrl,
    });
    const ollama = new OllamaSource({
      ...shared,
      logger: o.logger,
      libraryUrl: () => this.settings().ollamaLibraryUrl,
      fetch: o.fetch ?? globalThis.fetch,
      ollamaUrl: () => o.installed?.ollamaUrl?.() ?? null,
      connectTimeoutMs: () => this.settings().connectTimeoutMs,
      signal: this.abort.signal,
    });
    // the order the bundled lists are seeded and refreshes are reported in
    this.sources = { ollama, huggingface: this.hf };
    this.news = new NewsClient(() => ({ ...remote(), endpoint: this.endpoint() }));
    // a fresh install that was never online still has a catalog to search
    this.index.seed(Object.values(this.sources).flatMap((s) => s.bundled()));
  }

  close(): void {
    this.cache.close();
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

  // ---- lists ---------------------------------------------------------------------------------------

  /** A provider's search; `fits` and `max_size_gb` filter by the server's verdict, as the local search does. */
  async providers(q: { provider: CatalogProvider; q?: string; limit: number; filter?: 'vllm' | 'gguf'; sort?: CatalogSort; fits?: boolean; max_size_gb?: number } & GpuQuery, force = false) {
    const fresh = await this.sources[q.provider].search({ q: q.q, filter: q.filter, sort: q.sort ?? 'downloads', limit: q.limit }, force);
    const rows = this.rowsWithFit(fresh, q);
    const max = q.max_size_gb;
    return { ...rows, data: rows.data.filter((m) => (!q.fits || m.runnable) && (!max || (m.size_gb !== null && m.size_gb <= max))) };
  }

  async trending(q: { provider: CatalogProvider; limit: number } & GpuQuery, force = false) {
    return this.rowsWithFit(await this.sources[q.provider].trending(q.limit, force), q);
  }

  async newsItems(q: { type: 'blog' | 'papers'; month?: string; limit: number }, force = false): Promise<Fresh<NewsItem[]>> {
    const missing = (e: unknown) => emptyOnMissing<NewsItem>(e, this.offline);
    if (q.type === 'blog') {
      const r = await this.cache.get('news:blog', NewsList, () => this.news.blog(), { force, section: 'news', what: 'blog posts' }).catch(missing);
      return { ...r, data: r.data.slice(0, q.limit) };
    }
    const month = q.month ?? this.cache.now().toISOString().slice(0, 7);
    const r = await this.cache.get(`news:papers:${month}`, NewsList, () => this.news.papers(month, 100), { force, section: 'news', what: `papers of ${month}` }).catch(missing);
    return { ...r, data: r.data.slice(0, q.limit) };
  }

  // ---- local search and details ----------------------------------------------------------------

  search(q: { q?: string; source?: CatalogProvider; runtime?: 'vllm' | 'ollama'; max_size_gb?: number; fits?: boolean; limit: number; offset: number } & GpuQuery) {
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
    const { entries, total } = this.index.search({
      match: ftsQuery(q.q),
      provider: q.source ?? null,
      runtime: q.runtime ?? null,
      maxSizeGb: q.max_size_gb ?? null,
      maxVramGib,
      limit: q.limit,
      offset: q.offset,
    });
    let models = entries.map((e) => withFit(e, request));
    if (q.fits) models = models.filter((m) => m.runnable);
    return { models, total };
  }

  async detail(name: string, q: { provider?: CatalogProvider } & GpuQuery): Promise<Fresh<CatalogDetail> & { fit: FitReport }> {
    const installed = this.installedModel(name, q.provider);
    const provider = q.provider ?? installed?.provider ?? (name.includes('/') ? 'huggingface' : 'ollama');
    const request = this.fitRequest(q);
    const r = await this.sources[provider].detail(name, installed);
    const { entry, extra } = r.data;
    const fit = estimateFit(entry.shape, request);
    return { ...r, data: { ...entry.model, ...extra, fit: fit.summary, runnable: runnable(fit.summary, request) }, fit };
  }

  private installedModel(name: string, provider?: CatalogProvider): InstalledModelRef | null {
    try {
      const m = this.o.installed?.find(name) ?? null;
      return m && (!provider || m.provider === provider) ? m : null;
    } catch (error) {
      this.o.logger.warn({ name, error: errorMessage(error) }, 'installed-model lookup failed');
      return null;
    }
  }

  // ---- refresh, status ---------------------------------------------------------------------------

  async refresh(section: Section | 'all', provider?: CatalogProvider) {
    if (this.offline) throw new AppError('offline', 'Offline mode is on: turn it off (sidebar or Settings) to refresh from the network.');
    const jobs = new Map<string, RefreshJob['run']>();
    const add = (list: RefreshJob[]) => list.forEach((j) => !jobs.has(j.key) && jobs.set(j.key, j.run));
    const sources = Object.values(this.sources).filter((s) => !provider || s.provider === provider);
    for (const s of ['catalog', 'trending'] as const) if (section === s || section === 'all') for (const source of sources) add(source.refreshJobs(s));
    if ((section === 'news' || section === 'all') && (!provider || provider === 'huggingface')) {
      add([
        { key: 'news:blog', run: () => this.newsItems({ type: 'blog', limit: 200 }, true) },
        { key: 'news:papers', run: () => this.newsItems({ type: 'papers', limit: 200 }, true) },
      ]);
    }
    return Promise.all(
      [...jobs].map(async ([key, run]) => {
        try {
          const r = await run();
          const error = r.stale ? r.error : null;
          return { key, ok: error === null, error, count: r.data.length };
        } catch (error) {
          return { key, ok: false, error: errorMessage(error), count: 0 };
        }
      }),
    );
  }

  supportedArchitectures(): string[] {
    return this.hf.supportedArchitectures();
  }

  status() {
    return { offline: this.offline, sections: this.cache.sections(), cached_models: this.index.count() };
  }

  setOffline(offline: boolean): void {
    this.o.settings.update({ catalog: { offline } });
  }

  offlineForced(): boolean {
    return this.o.settings.overriddenPaths().includes('catalog.offline');
  }

  // ---- fit ---------------------------------------------------------------------------------------

  fitRequest(q: GpuQuery): FitRequest {
    return fitRequest(q, this.o.gpus, this.o.systemRamBytes?.());
  }

  private rowsWithFit(fresh: Fresh<CatalogEntry[]>, q: GpuQuery): Fresh<CatalogModel[]> {
    const request = this.fitRequest(q);
    return { ...fresh, data: fresh.data.map((e) => withFit(e, request)) };
  }
}
