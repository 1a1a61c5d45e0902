import type { StateCreator } from 'zustand';
import type { CatalogDetail, CatalogModel, CatalogProvider, FitReport, NewsItem, ProvidersResponse } from '../../../shared/api/catalog';
import type { LaunchPreview } from '../../../shared/api/runtimes';
import type { Out } from '../api/typed';
import { ApiError } from '../api/client';
import { sy } from '../api/endpoints';
import type { AppStore } from './index';

export const SEARCH_PAGE = 200;

export type CatalogSort = 'trending' | 'downloads' | 'likes' | 'updated';

export interface CatalogFilters {
  q: string;
  source: '' | CatalogProvider;
  /** `ollama`: GGUF models (Ollama library, GGUF repos on the Hub) */
  runtime: '' | 'vllm' | 'ollama';
  /** the order of a search (the Hub's order; local matches follow) */
  sort: CatalogSort;
  maxSizeGb: string;
  fits: boolean;
  /** what-if GPU size in GiB ('' = the detected GPUs) */
  vramGb: string;
  gpus: string;
}

/** Where a list came from (fresh, cache, bundled) and why it is stale: the API's freshness fields. */
export type Freshness = Pick<Out<typeof ProvidersResponse>, 'stale' | 'error' | 'fetched_at' | 'offline'>;

export interface ListState<T> extends Freshness {
  items: T[];
  loading: boolean;
  /** request error (the API itself failed), as opposed to `error` = stale reason */
  failure: string | null;
}

const emptyList = <T>(): ListState<T> => ({ items: [], loading: false, failure: null, stale: false, error: null, fetched_at: null, offline: false });

/** The live Hub search for the current words: its results, or why there are none. */
export interface HubSearch {
  key: string;
  items: CatalogModel[];
  loading: boolean;
  /** the Hub did not answer: what was said (results then come from the cache, if any) */
  error: string | null;
}

export interface CatalogSlice {
  catalogFilters: CatalogFilters;
  hubSearch: HubSearch;
  /** whether the Hub answered the last request that went to it (null: none yet) */
  hubAnswered: boolean | null;
  /** searches the Hub for the current words; a newer search cancels the one in flight */
  searchHub(): Promise<void>;
  noteHubAnswer(answered: boolean): void;
  /** sparse pages of the local search result, index → model */
  catalogRows: (CatalogModel | undefined)[];
  catalogTotal: number;
  catalogLoading: boolean;
  catalogError: string | null;
  trending: Record<CatalogProvider, ListState<CatalogModel>>;
  news: { blog: ListState<NewsItem>; papers: ListState<NewsItem>; month: string };
  modelPage: { name: string; detail: CatalogDetail | null; fit: FitReport | null; launch: LaunchPreview | null; loading: boolean; failure: string | null } & Freshness;
  refreshing: Record<string, boolean>;
  offline: { offline: boolean; forced: boolean } | null;
  /** the model page's card (README) */
  modelCard: { name: string; markdown: string | null; truncated: boolean; loading: boolean; failure: string | null } & Freshness;
  loadModelCard(name: string): Promise<void>;
  setCatalogFilters(patch: Partial<CatalogFilters>): void;
  searchCatalog(): Promise<void>;
  loadCatalogPage(index: number): Promise<void>;
  loadTrending(provider: CatalogProvider): Promise<void>;
  loadNews(type: 'blog' | 'papers', month?: string): Promise<void>;
  openModel(name: string): Promise<void>;
  refreshSection(section: 'catalog' | 'trending' | 'news'): Promise<string | null>;
  loadOffline(): Promise<void>;
  setOffline(offline: boolean): Promise<void>;
}

const message = (e: unknown) => (e instanceof ApiError ? e.message : String(e));

/** The what-if GPU part of a query, shared by lists and the model page ('' = the detected GPUs). */
export function gpuParams(f: Pick<CatalogFilters, 'vramGb' | 'gpus'>): { vram_gb?: string; gpus?: string } {
  return { vram_gb: Number(f.vramGb) > 0 ? f.vramGb : undefined, gpus: Number(f.gpus) > 0 ? f.gpus : undefined };
}

function searchQuery(f: CatalogFilters, offset: number) {
  return {
    limit: SEARCH_PAGE,
    offset,
    q: f.q.trim() || undefined,
    source: f.source || undefined,
    runtime: f.runtime || undefined,
    max_size_gb: Number(f.maxSizeGb) > 0 ? f.maxSizeGb : undefined,
    fits: f.fits ? ('true' as const) : undefined,
    ...gpuParams(f),
  };
}

/** The Hub query for the current filters; null when there is nothing to ask the Hub. */
export function hubQuery(f: CatalogFilters) {
  if (!f.q.trim() || f.source === 'ollama') return null;
  return {
    provider: 'huggingface' as const,
    q: f.q.trim(),
    limit: 40,
    sort: f.sort,
    filter: f.runtime ? (f.runtime === 'vllm' ? ('vllm' as const) : ('gguf' as const)) : undefined,
    // the server filters Hub results as it filters the local index: by its own `runnable` verdict
    max_size_gb: Number(f.maxSizeGb) > 0 ? f.maxSizeGb : undefined,
    fits: f.fits ? ('true' as const) : undefined,
    ...gpuParams(f),
  };
}

let hubController: AbortController | null = null;
let searchSeq = 0;
const pagesInFlight = new Set<number>();

export const createCatalogSlice: StateCreator<AppStore, [], [], CatalogSlice> = (set, get) => ({
  catalogFilters: { q: '', source: '', runtime: '', sort: 'downloads', maxSizeGb: '', fits: false, vramGb: '', gpus: '' },
  hubSearch: { key: '', items: [], loading: false, error: null },
  hubAnswered: null,

  noteHubAnswer(answered) {
    if (get().hubAnswered !== answered) set({ hubAnswered: answered });
  },

  async searchHub() {
    hubController?.abort();
    const query = hubQuery(get().catalogFilters);
    const key = query ? JSON.stringify(query) : '';
    if (!query || get().offline?.offline) {
      hubController = null;
      set({ hubSearch: { key, items: [], loading: false, error: null } });
      return;
    }
    const controller = (hubController = new AbortController());
    set((s) => ({ hubSearch: { ...s.hubSearch, key, loading: true } }));
    try {
      const r = await sy.catalog.providers(query, controller.signal);
      if (controller.signal.aborted) return;
      // stale with an error: the Hub did not answer and these came from the cache
      const failed = r.stale && r.error !== null;
      set({ hubSearch: { key, items: failed ? [] : r.models, loading: false, error: failed ? r.error : null } });
      get().noteHubAnswer(!failed);
    } catch (e) {
      if (controller.signal.aborted) return;
      set({ hubSearch: { key, items: [], loading: false, error: message(e) } });
    }
  },
  catalogRows: [],
  catalogTotal: 0,
  catalogLoading: false,
  catalogError: null,
  trending: { huggingface: emptyList(), ollama: emptyList() },
  news: { blog: emptyList(), papers: emptyList(), month: new Date().toISOString().slice(0, 7) },
  modelPage: { name: '', detail: null, fit: null, launch: null, loading: false, failure: null, stale: false, error: null, fetched_at: null, offline: false },
  refreshing: {},
  offline: null,
  modelCard: { name: '', markdown: null, truncated: false, loading: false, failure: null, stale: false, error: null, fetched_at: null, offline: false },

  async loadModelCard(name) {
    set({ modelCard: { name, markdown: null, truncated: false, loading: true, failure: null, stale: false, error: null, fetched_at: null, offline: false } });
    try {
      const r = await sy.catalog.card(name);
      if (get().modelCard.name !== name) return;
      set({ modelCard: { name, markdown: r.markdown, truncated: r.truncated, loading: false, failure: null, stale: r.stale, error: r.error, fetched_at: r.fetched_at, offline: r.offline } });
    } catch (e) {
      if (get().modelCard.name === name) set((s) => ({ modelCard: { ...s.modelCard, loading: false, failure: message(e) } }));
    }
  },

  setCatalogFilters(patch) {
    set((s) => ({ catalogFilters: { ...s.catalogFilters, ...patch } }));
  },

  async searchCatalog() {
    const seq = ++searchSeq;
    pagesInFlight.clear();
    set({ catalogLoading: true, catalogError: null });
    try {
      const r = await sy.catalog.search(searchQuery(get().catalogFilters, 0));
      if (seq !== searchSeq) return;
      const rows: (CatalogModel | undefined)[] = new Array(r.total);
      r.models.forEach((m, i) => (rows[i] = m));
      set({ catalogRows: rows, catalogTotal: r.total, catalogLoading: false });
    } catch (e) {
      if (seq === searchSeq) set({ catalogLoading: false, catalogError: message(e) });
    }
  },

  /** Loads the page holding row `index` (the virtual list asks as rows scroll into view). */
  async loadCatalogPage(index) {
    const page = Math.floor(index / SEARCH_PAGE);
    if (pagesInFlight.has(page)) return;
    pagesInFlight.add(page);
    const seq = searchSeq;
    try {
      const r = await sy.catalog.search(searchQuery(get().catalogFilters, page * SEARCH_PAGE));
      if (seq !== searchSeq) return;
      set((s) => {
        const rows = s.catalogRows.slice();
        r.models.forEach((m, i) => (rows[page * SEARCH_PAGE + i] = m));
        return { catalogRows: rows };
      });
    } catch (e) {
      pagesInFlight.delete(page);
      set({ catalogError: message(e) });
    }
  },

  async loadTrending(provider) {
    set((s) => ({ trending: { ...s.trending, [provider]: { ...s.trending[provider], loading: true, failure: null } } }));
    try {
      const r = await sy.catalog.trending({ provider, limit: 24, ...gpuParams(get().catalogFilters) });
      set((s) => ({ trending: { ...s.trending, [provider]: { items: r.models, loading: false, failure: null, stale: r.stale, error: r.error, fetched_at: r.fetched_at, offline: r.offline } } }));
      if (provider === 'huggingface' && !r.offline) get().noteHubAnswer(!(r.stale && r.error));
    } catch (e) {
      set((s) => ({ trending: { ...s.trending, [provider]: { ...s.trending[provider], loading: false, failure: message(e) } } }));
    }
  },

  async loadNews(type, month) {
    const m = month ?? get().news.month;
    set((s) => ({ news: { ...s.news, month: m, [type]: { ...s.news[type], loading: true, failure: null } } }));
    try {
      const r = await sy.catalog.news({ provider: 'huggingface', type, limit: 50, month: type === 'papers' ? m : undefined });
      set((s) => ({ news: { ...s.news, [type]: { items: r.items, loading: false, failure: null, stale: r.stale, error: r.error, fetched_at: r.fetched_at, offline: r.offline } } }));
    } catch (e) {
      set((s) => ({ news: { ...s.news, [type]: { ...s.news[type], loading: false, failure: message(e) } } }));
    }
  },

  async openModel(name) {
    set({ modelPage: { name, detail: null, fit: null, launch: null, loading: true, failure: null, stale: false, error: null, fetched_at: null, offline: false } });
    try {
      const r = await sy.catalog.detail(name, gpuParams(get().catalogFilters));
      if (get().modelPage.name !== name) return;
      set({ modelPage: { name, detail: r.model, fit: r.fit, launch: r.launch, loading: false, failure: null, stale: r.stale, error: r.error, fetched_at: r.fetched_at, offline: r.offline } });
      if (r.model.provider === 'huggingface' && !r.offline) get().noteHubAnswer(!(r.stale && r.error));
    } catch (e) {
      if (get().modelPage.name === name) set((s) => ({ modelPage: { ...s.modelPage, loading: false, failure: message(e) } }));
    }
  },

  /** Explicit refresh of one section; returns a failure message or null. */
  async refreshSection(section) {
    set((s) => ({ refreshing: { ...s.refreshing, [section]: true } }));
    try {
      const r = await sy.catalog.refresh({ section });
      const failed = r.results.filter((x) => !x.ok);
      if (section === 'trending') await Promise.all([get().loadTrending('huggingface'), get().loadTrending('ollama')]);
      if (section === 'news') await Promise.all([get().loadNews('blog'), get().loadNews('papers')]);
      if (section === 'catalog') await get().searchCatalog();
      return failed.length ? failed.map((f) => f.error).join('; ') : null;
    } catch (e) {
      return message(e);
    } finally {
      set((s) => ({ refreshing: { ...s.refreshing, [section]: false } }));
    }
  },

  async loadOffline() {
    const r = await sy.catalog.offline();
    set({ offline: { offline: r.offline, forced: r.forced } });
  },

  async setOffline(offline) {
    const r = await sy.catalog.setOffline({ offline });
    set({ offline: { offline: r.offline, forced: r.forced } });
  },
});
