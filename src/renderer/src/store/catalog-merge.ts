import type { CatalogModel } from '../../../shared/api/catalog';

export type SearchSort = 'trending' | 'downloads' | 'likes' | 'updated';
export interface MergedRow {
  model: CatalogModel;
  /** `hub`: came from the live Hub search and is not cached yet */
  origin: 'hub' | 'local';
}

/**
 * Live Hub results and local (cached + bundled) matches as one list, each model once. Both come filtered
 * by the server (size, and `fits` by its `runnable` verdict): nothing is judged here. Downloads and
 * likes order the whole list; trending and last-update are orders only the Hub knows, so its results
 * come first in its order, then the local matches in theirs.
 */
export function mergeSearch(hub: CatalogModel[], local: CatalogModel[], sort: SearchSort): MergedRow[] {
  const localNames = new Set(local.map((m) => m.model_name));
  const hubNames = new Set<string>();
  const rows: MergedRow[] = [];
  for (const m of hub) {
    if (hubNames.has(m.model_name)) continue;
    hubNames.add(m.model_name);
    rows.push({ model: m, origin: localNames.has(m.model_name) ? 'local' : 'hub' });
  }
  for (const m of local) if (!hubNames.has(m.model_name)) rows.push({ model: m, origin: 'local' });
  if (sort === 'downloads' || sort === 'likes') {
    const key = (r: MergedRow) => r.model[sort] ?? -1;
    // stable: equal counts keep the relevance order they arrived in
    return rows.map((r, i) => ({ r, i })).sort((a, b) => key(b.r) - key(a.r) || a.i - b.i).map((x) => x.r);
  }
  return rows;
}
