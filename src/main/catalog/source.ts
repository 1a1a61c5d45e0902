import type { CatalogDetail, CatalogProvider } from '../../shared/api/catalog';
import type { Fresh } from './cache';
import type { CatalogEntry, EntryModel } from './entry';
import type { InstalledModelRef } from './installed';

/** The Hub's orders (the API's names); sources without an order of their own ignore it. */
export type CatalogSort = 'trending' | 'downloads' | 'likes' | 'updated';

export interface SourceQuery {
  q?: string;
  /** `vllm`: runs on vLLM; `gguf`: GGUF repositories (Hub only) */
  filter?: 'vllm' | 'gguf';
  sort: CatalogSort;
  limit: number;
}

/** What a model page shows beyond the list row. */
export type DetailExtra = Omit<CatalogDetail, keyof EntryModel | 'fit' | 'runnable'>;

export interface SourceDetail {
  entry: CatalogEntry;
  extra: DetailExtra;
}

/** One network read a refresh runs, reported per key. */
export interface RefreshJob {
  key: string;
  run(): Promise<Fresh<unknown[]>>;
}

/**
 * One provider of models (the Hub, the Ollama library). A source fetches through the shared cache,
 * indexes what it fetched, and answers entries; the fit and `runnable` are the service's (fitting.ts),
 * the same for every source. A new provider is one more implementation registered in CatalogService.
 */
export interface CatalogSource {
  readonly provider: CatalogProvider;
  /** the bundled list that seeds the local index, so a machine that was never online can search */
  bundled(): CatalogEntry[];
  search(q: SourceQuery, force: boolean): Promise<Fresh<CatalogEntry[]>>;
  trending(limit: number, force: boolean): Promise<Fresh<CatalogEntry[]>>;
  /** one model's page; `installed` is the local copy, whose files answer what the network cannot */
  detail(name: string, installed: InstalledModelRef | null): Promise<Fresh<SourceDetail>>;
  /** the reads an explicit refresh of a section makes (same key across sections: run once) */
  refreshJobs(section: 'catalog' | 'trending'): RefreshJob[];
}
