import type { CatalogProvider } from '../../shared/api/catalog';
import { type CatalogRepo, ftsQuery, type SearchFilter } from './catalog-repo';
import { type CatalogEntry, fromRow, toRow } from './entry';

/**
 * The local model index (SQLite FTS5) in catalog entries: every source writes what it fetched here, so
 * search works offline, over everything ever seen plus the bundled lists.
 */
export class LocalIndex {
  constructor(
    private readonly repo: CatalogRepo,
    private readonly now: () => Date,
  ) {}

  /** Bundled entries never overwrite what was fetched. */
  seed(entries: CatalogEntry[]): void {
    const at = this.now().toISOString();
    this.repo.insertBundled(entries.map((e) => toRow(e, 'bundled', at)));
  }

  put(entries: CatalogEntry[]): void {
    const at = this.now().toISOString();
    this.repo.upsertModels(entries.map((e) => toRow(e, 'remote', at)));
  }

  get(provider: CatalogProvider, name: string): CatalogEntry | null {
    const row = this.repo.getModel(provider, name);
    return row ? fromRow(row) : null;
  }

  /** A provider's entries matching the user's words, most downloaded first. */
  find(provider: CatalogProvider, words: string | undefined, limit: number): CatalogEntry[] {
    return this.search({ match: ftsQuery(words), provider, runtime: null, maxSizeGb: null, maxVramGib: null, limit, offset: 0 }).entries;
  }

  search(filter: SearchFilter): { entries: CatalogEntry[]; total: number } {
    const { rows, total } = this.repo.search(filter);
    return { entries: rows.map(fromRow), total };
  }

  count(): number {
    return this.repo.countModels();
  }
}
