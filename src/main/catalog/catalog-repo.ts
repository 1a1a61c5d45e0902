import type { Db } from '../db/database';
import type { CatalogRow } from './entry';

export interface CacheRow {
  key: string;
  payload: string;
  fetched_at: string;
  last_error: string | null;
  last_error_at: string | null;
}

/** A model as stored in the local index: the catalog entry's columns (entry.ts, toRow/fromRow). */
export type { CatalogRow } from './entry';

export interface SearchFilter {
  /** FTS5 MATCH expression, already built from the user's words (null: no text filter) */
  match: string | null;
  provider: string | null;
  runtime: string | null;
  maxSizeGb: number | null;
  /** one-GPU-set budget in GiB for the "fits" prefilter */
  maxVramGib: number | null;
  limit: number;
  offset: number;
}

/** filtered totals stop counting here (the UI shows "5000+") */
export const COUNT_CAP = 5_000;
const COLUMNS = 'provider, model_name, display_name, runtime, size_gb, parameters_b, min_vram_gib, downloads, likes, vllm_supported, tags, description, shape, origin, updated_at, facets';
const FILTERS = `(@provider IS NULL OR m.provider = @provider)
  AND (@runtime IS NULL OR m.runtime = @runtime)
  AND (@maxSizeGb IS NULL OR m.size_gb <= @maxSizeGb)
  AND (@maxVramGib IS NULL OR m.min_vram_gib <= @maxVramGib)`;

/** The catalog's tables: the remote-answer cache and the local model index with its FTS5 table. */
export class CatalogRepo {
  private readonly getCacheStmt;
  private readonly putCacheStmt;
  private readonly putErrorStmt;
  private readonly listCacheStmt;
  private readonly upsertRemoteStmt;
  private readonly insertBundledStmt;
  private readonly getModelStmt;
  private readonly countStmt;
  private readonly searchTextStmt;
  private readonly countTextStmt;
  private readonly countMatchStmt;
  private readonly searchAllStmt;
  private readonly countAllStmt;
  private readonly topStmt;
  readonly upsertModels: (rows: CatalogRow[]) => void;
  readonly insertBundled: (rows: CatalogRow[]) => void;

  constructor(private readonly db: Db) {
    this.getCacheStmt = db.prepare<[string], CacheRow>('SELECT key, payload, fetched_at, last_error, last_error_at FROM catalog_cache WHERE key = ?');
    this.putCacheStmt = db.prepare(
      `INSERT INTO catalog_cache (key, payload, fetched_at, last_error, last_error_at) VALUES (?, ?, ?, NULL, NULL)
       ON CONFLICT (key) DO UPDATE SET payload = excluded.payload, fetched_at = excluded.fetched_at, last_error = NULL, last_error_at = NULL`,
    );
    this.putErrorStmt = db.prepare('UPDATE catalog_cache SET last_error = ?, last_error_at = ? WHERE key = ?');
    this.listCacheStmt = db.prepare<[], Omit<CacheRow, 'payload'>>('SELECT key, fetched_at, last_error, last_error_at FROM catalog_cache ORDER BY key');
    // A fetched answer may lack fields an earlier one had (a list page has no config): keep what we knew.
    this.upsertRemoteStmt = db.prepare(
      `INSERT INTO catalog_models (${COLUMNS}) VALUES (@provider, @model_name, @display_name, @runtime, @size_gb, @parameters_b, @min_vram_gib,
         @downloads, @likes, @vllm_supported, @tags, @description, @shape, @origin, @updated_at, @facets)
       ON CONFLICT (provider, model_name) DO UPDATE SET
         display_name = excluded.display_name, runtime = excluded.runtime,
         size_gb = coalesce(excluded.size_gb, size_gb), parameters_b = coalesce(excluded.parameters_b, parameters_b),
         min_vram_gib = coalesce(excluded.min_vram_gib, min_vram_gib),
         downloads = coalesce(excluded.downloads, downloads), likes = coalesce(excluded.likes, likes),
         vllm_supported = coalesce(excluded.vllm_supported, vllm_supported), tags = excluded.tags,
         description = coalesce(excluded.description, description),
         shape = CASE WHEN excluded.parameters_b IS NULL AND parameters_b IS NOT NULL THEN shape ELSE excluded.shape END,
         origin = excluded.origin, updated_at = excluded.updated_at, facets = excluded.facets`,
    );
    this.insertBundledStmt = db.prepare(
      `INSERT OR IGNORE INTO catalog_models (${COLUMNS}) VALUES (@provider, @model_name, @display_name, @runtime, @size_gb, @parameters_b,
         @min_vram_gib, @downloads, @likes, @vllm_supported, @tags, @description, @shape, @origin, @updated_at, @facets)`,
    );
    this.getModelStmt = db.prepare<[string, string], CatalogRow>(`SELECT ${COLUMNS} FROM catalog_models WHERE provider = ? AND model_name = ?`);
    this.countStmt = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM catalog_models');
    const cols = COLUMNS.split(', ')
      .map((c) => `m.${c}`)
      .join(', ');
    // FTS rowids are popularity keys (migration 003): walking matches in rowid order is "most downloaded
    // first" and stops at LIMIT; `rowid % 2^24` is the model's id. Counts stop at COUNT_CAP.
    const join = `catalog_fts f JOIN catalog_models m ON m.id = (f.rowid % 16777216)`;
    this.searchTextStmt = db.prepare<Record<string, unknown>, CatalogRow>(
      `SELECT ${cols} FROM ${join} WHERE catalog_fts MATCH @match AND ${FILTERS} ORDER BY f.rowid LIMIT @limit OFFSET @offset`,
    );
    this.countTextStmt = db.prepare<Record<string, unknown>, { n: number }>(
      `SELECT count(*) AS n FROM (SELECT 1 FROM ${join} WHERE catalog_fts MATCH @match AND ${FILTERS} LIMIT ${COUNT_CAP})`,
    );
    this.countMatchStmt = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM catalog_fts WHERE catalog_fts MATCH ?');
    this.searchAllStmt = db.prepare<Record<string, unknown>, CatalogRow>(
      `SELECT ${cols} FROM catalog_models m WHERE ${FILTERS} ORDER BY m.downloads DESC LIMIT @limit OFFSET @offset`,
    );
    this.countAllStmt = db.prepare<Record<string, unknown>, { n: number }>(`SELECT count(*) AS n FROM (SELECT 1 FROM catalog_models m WHERE ${FILTERS} LIMIT ${COUNT_CAP})`);
    this.topStmt = db.prepare<[string, number], CatalogRow>(`SELECT ${COLUMNS} FROM catalog_models WHERE provider = ? ORDER BY downloads DESC LIMIT ?`);
    this.upsertModels = db.transaction((rows: CatalogRow[]) => {
      for (const row of rows) this.upsertRemoteStmt.run(row);
    });
    this.insertBundled = db.transaction((rows: CatalogRow[]) => {
      for (const row of rows) this.insertBundledStmt.run(row);
    });
  }

  getCache(key: string): CacheRow | undefined {
    return this.getCacheStmt.get(key);
  }

  putCache(key: string, payload: unknown, fetchedAt: string): void {
    this.putCacheStmt.run(key, JSON.stringify(payload), fetchedAt);
  }

  recordError(key: string, error: string, at: string): void {
    this.putErrorStmt.run(error, at, key);
  }

  listCache(): Omit<CacheRow, 'payload'>[] {
    return this.listCacheStmt.all();
  }

  getModel(provider: string, name: string): CatalogRow | undefined {
    return this.getModelStmt.get(provider, name);
  }

  countModels(): number {
    return this.countStmt.get()!.n;
  }

  top(provider: string, limit: number): CatalogRow[] {
    return this.topStmt.all(provider, limit);
  }

  search(filter: SearchFilter): { rows: CatalogRow[]; total: number } {
    const params = {
      match: ftsMatch(filter),
      provider: filter.provider,
      runtime: filter.runtime,
      maxSizeGb: filter.maxSizeGb,
      maxVramGib: filter.maxVramGib,
      limit: filter.limit,
      offset: filter.offset,
    };
    if (params.match) {
      // Facet tokens narrow candidates in the index; the SQL filters only trim bucket edges.
      const { limit: _l, offset: _o, ...countParams } = params;
      const exact = filter.maxSizeGb === null || SIZE_BUCKETS.includes(filter.maxSizeGb);
      const exactVram = filter.maxVramGib === null || VRAM_BUCKETS.includes(filter.maxVramGib);
      const total = exact && exactVram ? this.countMatchStmt.get(params.match)!.n : this.countTextStmt.get(countParams)!.n;
      return { rows: this.searchTextStmt.all(params), total };
    }
    const { limit: _l, offset: _o, match: _m, ...countParams } = params;
    const { match: _m2, ...listParams } = params;
    return { rows: this.searchAllStmt.all(listParams), total: this.countAllStmt.get(countParams)!.n };
  }
}

/** Size buckets (GB) and VRAM buckets (GiB) that become `facets` tokens: a model gets every bucket ≥ its value. */
export const SIZE_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500];
export const VRAM_BUCKETS = [4, 6, 8, 12, 16, 20, 24, 32, 40, 48, 64, 80, 96, 128, 160, 192, 256, 320, 384, 512, 640];

export function facetTokens(row: Pick<CatalogRow, 'provider' | 'runtime' | 'size_gb' | 'min_vram_gib'>): string {
  const out = [`src${row.provider}`, `rt${row.runtime}`];
  if (row.size_gb !== null) for (const b of SIZE_BUCKETS) if (row.size_gb <= b) out.push(`sz${b}`);
  if (row.min_vram_gib !== null) for (const b of VRAM_BUCKETS) if (row.min_vram_gib <= b) out.push(`vr${b}`);
  return out.join(' ');
}

/** Text terms on the text columns, filters as facet terms; null when neither (plain popularity list). */
function ftsMatch(filter: SearchFilter): string | null {
  const facets: string[] = [];
  if (filter.provider) facets.push(`src${filter.provider}`);
  if (filter.runtime) facets.push(`rt${filter.runtime}`);
  if (filter.maxSizeGb !== null) {
    const b = SIZE_BUCKETS.find((x) => x >= filter.maxSizeGb!);
    if (b) facets.push(`sz${b}`);
  }
  if (filter.maxVramGib !== null) {
    const b = VRAM_BUCKETS.find((x) => x >= filter.maxVramGib!);
    if (b) facets.push(`vr${b}`);
  }
  if (!filter.match && !facets.length) return null;
  const parts: string[] = [];
  if (filter.match) parts.push(`{model_name display_name tags description}: (${filter.match})`);
  if (facets.length) parts.push(`facets: (${facets.join(' ')})`);
  return parts.join(' AND ');
}

/**
 * The user's words as an FTS5 expression: each word (split like the tokenizer splits) becomes a quoted
 * prefix term, all ANDed. "qwen2.5 7b" → `"qwen2"* "5"* "7b"*`. Quoting makes FTS syntax inert.
 */
export function ftsQuery(text: string | undefined | null): string | null {
  if (!text) return null;
  const words = text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .slice(0, 12);
  return words.length ? words.map((w) => `"${w}"*`).join(' ') : null;
}
