import { useVirtualizer } from '@tanstack/react-virtual';
import { lazy, useEffect, useMemo, useRef, useState } from 'react';
import type { CatalogModel } from '../../../shared/api/catalog';
import { FitBadge, formatCount } from '../components/CatalogBadges';
import { formatGb } from '../components/format';
import { NextStep, useInstalledAs } from '../components/NextStep';
import { useStore } from '../store';
import { mergeSearch, type MergedRow } from '../store/catalog-merge';

/** `#/catalog?model=<name>` opens a model page; the list otherwise. */
function hashParam(name: string): string | null {
  const query = window.location.hash.split('?')[1] ?? '';
  return new URLSearchParams(query).get(name);
}

// a model page (and markdown-it, for its card) loads when one is opened, not with the list
const ModelPage = lazy(() => import('./catalog/ModelPage').then((m) => ({ default: m.ModelPage })));

export const modelHref = (name: string) => `#/catalog?model=${encodeURIComponent(name)}`;

export function CatalogScreen() {
  const [model, setModel] = useState(() => hashParam('model'));
  useEffect(() => {
    const onHash = () => setModel(hashParam('model'));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return model ? <ModelPage name={model} /> : <CatalogList />;
}

const ROW_HEIGHT = 44;
/** the index's size buckets (catalog-repo SIZE_BUCKETS): these filters are index terms, hence instant */
const SIZE_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500];

function CatalogList() {
  const filters = useStore((s) => s.catalogFilters);
  const setFilters = useStore((s) => s.setCatalogFilters);
  const search = useStore((s) => s.searchCatalog);
  const rows = useStore((s) => s.catalogRows);
  const total = useStore((s) => s.catalogTotal);
  const loading = useStore((s) => s.catalogLoading);
  const error = useStore((s) => s.catalogError);
  const loadPage = useStore((s) => s.loadCatalogPage);
  const refresh = useStore((s) => s.refreshSection);
  const refreshing = useStore((s) => s.refreshing.catalog);
  const offline = useStore((s) => s.offline?.offline ?? false);
  const [refreshError, setRefreshError] = useState<string | null>(null);
  const parentRef = useRef<HTMLDivElement>(null);
  const searchHub = useStore((s) => s.searchHub);
  // rows of installed models say so and offer Activate / Chat
  const loadInstalled = useStore((s) => s.loadInstalled);
  useEffect(() => void loadInstalled().catch(() => {}), [loadInstalled]);
  const searching = filters.q.trim() !== '';

  // Local search is instant; a short debounce keeps typing from queueing requests.
  useEffect(() => {
    const t = setTimeout(() => void search(), 120);
    return () => clearTimeout(t);
  }, [filters, search]);
  // The Hub is asked once typing pauses; a newer search cancels the one in flight (searchHub aborts it).
  useEffect(() => {
    const t = setTimeout(() => void searchHub(), 350);
    return () => clearTimeout(t);
  }, [filters, offline, searchHub]);

  const virtualizer = useVirtualizer({ count: total, getScrollElement: () => parentRef.current, estimateSize: () => ROW_HEIGHT, overscan: 12 });
  const items = virtualizer.getVirtualItems();
  useEffect(() => {
    const missing = items.find((i) => !rows[i.index]);
    if (missing) void loadPage(missing.index);
  }, [items, rows, loadPage]);

  return (
    <section className="screen catalog-screen">
      <header className="row">
        <h1>Catalog</h1>
        {!searching && (
          <span className="muted" data-testid="catalog-total">
            {total >= 5000 ? '5000+' : total} models{loading ? ' …' : ''}
          </span>
        )}
        <span className="spacer" />
        <button
          data-testid="catalog-refresh"
          disabled={refreshing || offline}
          title={offline ? 'Offline mode: go online to refresh' : 'Fetch the Hugging Face and Ollama lists again'}
          onClick={() => void refresh('catalog').then(setRefreshError)}
        >
          {refreshing ? 'Refreshing…' : 'Refresh'}
        </button>
      </header>
      <div className="catalog-filters row">
        <input
          className="grow"
          placeholder={offline ? 'Search cached and bundled models (offline)…' : 'Search the Hugging Face Hub and the Ollama library…'}
          value={filters.q}
          onChange={(e) => setFilters({ q: e.target.value })}
          data-testid="catalog-search"
          aria-label="Search"
        />
        <select value={filters.source} onChange={(e) => setFilters({ source: e.target.value as typeof filters.source })} data-testid="catalog-source" aria-label="Source">
          <option value="">All sources</option>
          <option value="huggingface">Hugging Face</option>
          <option value="ollama">Ollama library</option>
        </select>
        <select value={filters.runtime} onChange={(e) => setFilters({ runtime: e.target.value as typeof filters.runtime })} data-testid="catalog-runtime" aria-label="Runtime">
          <option value="">Any runtime</option>
          <option value="vllm">Runs on vLLM</option>
          <option value="ollama">GGUF (Ollama)</option>
        </select>
        <select
          value={filters.sort}
          onChange={(e) => setFilters({ sort: e.target.value as typeof filters.sort })}
          data-testid="catalog-sort"
          aria-label="Sort"
          disabled={!searching}
          title={searching ? undefined : 'Type to search: the full list is ordered by downloads'}
        >
          <option value="trending">Trending</option>
          <option value="downloads">Most downloads</option>
          <option value="likes">Most likes</option>
          <option value="updated">Recently updated</option>
        </select>
        <select value={filters.maxSizeGb} onChange={(e) => setFilters({ maxSizeGb: e.target.value })} aria-label="Max size" data-testid="catalog-max-size">
          <option value="">Any size</option>
          {SIZE_STEPS.map((gb) => (
            <option key={gb} value={gb}>
              ≤ {gb} GB
            </option>
          ))}
        </select>
        <label className="check">
          <input type="checkbox" checked={filters.fits} onChange={(e) => setFilters({ fits: e.target.checked })} data-testid="catalog-fits" /> fits my GPU
        </label>
        <span className="what-if">
        <input
          className="narrow"
          type="number"
          min="0"
          placeholder="GiB"
          title="What-if: check the fit against this GPU size instead of the detected GPUs"
          value={filters.vramGb}
          onChange={(e) => setFilters({ vramGb: e.target.value })}
          aria-label="GPU memory GiB (what-if)"
          data-testid="catalog-vram"
        />
        <input className="narrow" type="number" min="1" placeholder="GPUs" value={filters.gpus} onChange={(e) => setFilters({ gpus: e.target.value })} aria-label="GPU count (what-if)" />
        </span>
      </div>
      {error && <p className="error">{error}</p>}
      {refreshError && <p className="hint">Refresh: {refreshError}</p>}
      {searching && <HubNotice offline={offline} />}
      {searching ? <SearchResults /> : (
      <>
      <div className="catalog-head row muted">
        <span className="col-name">Model</span>
        <span className="col-size">Size</span>
        <span className="col-dl">Downloads</span>
        <span className="col-fit">Fit</span>
      </div>
      <div ref={parentRef} className="catalog-list" data-testid="catalog-list">
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {items.map((item) => (
            <div key={item.key} className="catalog-row-wrap" style={{ position: 'absolute', top: 0, left: 0, right: 0, height: ROW_HEIGHT, transform: `translateY(${item.start}px)` }}>
              <CatalogRow model={rows[item.index]} />
            </div>
          ))}
        </div>
        {!loading && total === 0 && (
          <p className="muted empty" data-testid="catalog-empty">
            {filters.fits && !filters.vramGb
              ? 'Nothing fits — or no GPU was detected: enter a GPU size (GiB) to check against.'
              : 'No cached model matches. Try fewer words, or Refresh when online.'}
          </p>
        )}
      </div>
      </>
      )}
    </section>
  );
}

/** Why the Hub results are missing, when they are: offline mode, or the Hub did not answer. */
function HubNotice({ offline }: { offline: boolean }) {
  const hub = useStore((s) => s.hubSearch);
  const source = useStore((s) => s.catalogFilters.source);
  if (source === 'ollama') return null;
  if (offline) return <p className="notice" data-testid="catalog-hub-notice">Offline mode: showing cached and bundled models only.</p>;
  if (hub.error) {
    return (
      <p className="notice" data-testid="catalog-hub-notice">
        The Hugging Face Hub did not answer, so these are cached and bundled models only. {hub.error}
      </p>
    );
  }
  return null;
}

/** A search: live Hub results merged with the local matches (first page), each model once. */
function SearchResults() {
  const filters = useStore((s) => s.catalogFilters);
  const rows = useStore((s) => s.catalogRows);
  const total = useStore((s) => s.catalogTotal);
  const loading = useStore((s) => s.catalogLoading);
  const hub = useStore((s) => s.hubSearch);
  const local = useMemo(() => rows.filter((m): m is CatalogModel => m !== undefined), [rows]);
  const merged = useMemo(() => mergeSearch(hub.items, local, filters.sort), [hub.items, local, filters.sort]);
  const busy = loading || hub.loading;
  return (
    <>
      <p className="muted small" data-testid="catalog-total">
        {merged.length} models{busy ? ' …' : ''}
        {hub.loading ? ' — searching the Hub' : ''}
        {total > local.length ? ` (the best ${local.length} of ${total} local matches: add words to narrow it)` : ''}
      </p>
      <div className="catalog-head row muted">
        <span className="col-name">Model</span>
        <span className="col-size">Size</span>
        <span className="col-dl">{filters.sort === 'likes' ? 'Likes' : 'Downloads'}</span>
        <span className="col-fit">Fit</span>
      </div>
      <div className="catalog-list catalog-results" data-testid="catalog-list">
        {merged.map((r) => (
          <div key={r.model.model_name} style={{ height: ROW_HEIGHT }}>
            <CatalogRow model={r.model} origin={r.origin} count={filters.sort === 'likes' ? 'likes' : 'downloads'} />
          </div>
        ))}
        {!busy && merged.length === 0 && (
          <p className="muted empty" data-testid="catalog-empty">
            No model matches. Try fewer words{filters.runtime || filters.maxSizeGb || filters.fits ? ', or fewer filters' : ''}.
          </p>
        )}
      </div>
    </>
  );
}

function CatalogRow({ model, origin, count = 'downloads' }: { model: CatalogModel | undefined } & Partial<Pick<MergedRow, 'origin'>> & { count?: 'downloads' | 'likes' }) {
  if (!model) return <div className="catalog-row muted">…</div>;
  return (
    <div className="catalog-row-line">
      <a className="catalog-row" href={modelHref(model.model_name)} data-testid="catalog-row" data-model={model.model_name} data-origin={origin ?? 'local'} data-count={model[count] ?? ''}>
        <span className="col-name">
          <span className="model-name" title={model.model_name}>
            {model.model_name}
          </span>
          <span className={`badge badge-idle src-${model.provider}`}>{model.provider === 'huggingface' ? 'HF' : 'Ollama'}</span>
          {model.provider === 'huggingface' && <span className="badge badge-idle">{model.runtime === 'vllm' ? 'vLLM' : 'Ollama'}</span>}
          {model.parameters_b ? <span className="muted small params">{model.parameters_b}B</span> : null}
          {origin === 'hub' && (
            <span className="badge badge-active" title="Found on the Hub just now; not in the local catalog yet">
              Hub
            </span>
          )}
        </span>
        <span className="col-size">{formatGb(model.size_gb)}</span>
        <span className="col-dl">{formatCount(model[count])}</span>
        <span className="col-fit">
          <FitBadge fit={model.fit} runnable={model.runnable} />
        </span>
      </a>
      <InstalledActions name={model.model_name} />
    </div>
  );
}

/** An installed model's row offers what comes next (outside the row's link: a button is no link content). */
function InstalledActions({ name }: { name: string }) {
  const installedAs = useInstalledAs(name);
  return <span className="col-next">{installedAs && <NextStep name={installedAs} compact />}</span>;
}
