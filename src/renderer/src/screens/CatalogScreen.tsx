import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { CatalogModel } from '../../../shared/api/catalog';
import { FitBadge, formatCount, StaleBadge } from '../components/CatalogBadges';
import { formatBytes } from '../components/format';
import { InstallButton } from '../components/InstallDialog';
import { ModelCard } from '../components/ModelCard';
import { Linkified } from '../components/Linkified';
import { useStore } from '../store';
import { mergeSearch, type MergedRow } from '../store/catalog-merge';

/** `#/catalog?model=<name>` opens a model page; the list otherwise. */
function hashParam(name: string): string | null {
  const query = window.location.hash.split('?')[1] ?? '';
  return new URLSearchParams(query).get(name);
}

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
        <input
          className="narrow"
          type="number"
          min="0"
          placeholder="GPU GiB"
          title="What-if: check the fit against this GPU size instead of the detected GPUs"
          value={filters.vramGb}
          onChange={(e) => setFilters({ vramGb: e.target.value })}
          aria-label="GPU memory GiB (what-if)"
          data-testid="catalog-vram"
        />
        <input className="narrow" type="number" min="1" placeholder="× GPUs" value={filters.gpus} onChange={(e) => setFilters({ gpus: e.target.value })} aria-label="GPU count (what-if)" />
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
    <a className="catalog-row" href={modelHref(model.model_name)} data-testid="catalog-row" data-model={model.model_name} data-origin={origin ?? 'local'} data-count={model[count] ?? ''}>
      <span className="col-name">
        <span className="model-name">{model.model_name}</span>
        <span className={`badge badge-idle src-${model.provider}`}>{model.provider === 'huggingface' ? 'HF' : 'Ollama'}</span>
        <span className="badge badge-idle">{model.runtime}</span>
        {model.parameters_b ? <span className="muted small">{model.parameters_b}B</span> : null}
        {origin === 'hub' && (
          <span className="badge badge-active" title="Found on the Hub just now; not in the local catalog yet">
            Hub
          </span>
        )}
      </span>
      <span className="col-size">{model.size_gb !== null ? `${model.size_gb} GB` : '—'}</span>
      <span className="col-dl">{formatCount(model[count])}</span>
      <span className="col-fit">
        <FitBadge fit={model.fit} />
      </span>
    </a>
  );
}

function ModelPage({ name }: { name: string }) {
  const page = useStore((s) => s.modelPage);
  const open = useStore((s) => s.openModel);
  const filters = useStore((s) => s.catalogFilters);
  const setFilters = useStore((s) => s.setCatalogFilters);
  useEffect(() => {
    void open(name);
  }, [name, open, filters.vramGb, filters.gpus]);
  const d = page.name === name ? page.detail : null;
  const fit = page.name === name ? page.fit : null;
  const [quantization, setQuantization] = useState<string | undefined>(undefined);
  useEffect(() => setQuantization(undefined), [name]);
  return (
    <section className="screen model-page" data-testid="model-page">
      <p>
        <a href="#/catalog" data-testid="model-back">
          ← Catalog
        </a>
      </p>
      <header className="row">
        <h1 data-testid="model-title">{name}</h1>
        <StaleBadge freshness={page} testId="model-stale" />
        <span className="spacer" />
        {d && <InstallButton name={d.model_name} provider={d.provider} quantization={quantization} />}
      </header>
      {page.loading && <p className="muted">Loading…</p>}
      {page.failure && <p className="error">{page.failure}</p>}
      {d && (
        <>
          <p className="muted">{d.description}</p>
          <dl className="facts">
            <dt>Source</dt>
            <dd>
              <a href={d.url} target="_blank" rel="noreferrer">
                {d.provider === 'huggingface' ? 'Hugging Face' : 'Ollama library'} ↗
              </a>
            </dd>
            <dt>Runtime</dt>
            <dd>
              {d.runtime}
              {d.vllm_supported === true ? ' · architecture supported by vLLM' : d.vllm_supported === false && d.provider === 'huggingface' ? ' · architecture not in vLLM’s list' : ''}
            </dd>
            <dt>Parameters</dt>
            <dd>{d.parameters_b ? `${d.parameters_b} B` : '—'}</dd>
            <dt>Size</dt>
            <dd>{d.size_gb !== null ? `${d.size_gb} GB` : '—'}</dd>
            <dt>Quantization / dtype</dt>
            <dd>{d.quantization ?? '—'}</dd>
            <dt>Context length</dt>
            <dd>{d.context_length ?? '—'}</dd>
            <dt>License</dt>
            <dd>{d.license ?? '—'}</dd>
            {d.gated ? (
              <>
                <dt>Gated</dt>
                <dd className="hint">yes — accept the license on the Hub and set a token in Settings</dd>
              </>
            ) : null}
            {d.architectures.length > 0 && (
              <>
                <dt>Architecture</dt>
                <dd className="mono">{d.architectures.join(', ')}</dd>
              </>
            )}
            <dt>Tags</dt>
            <dd>{[...d.capabilities, ...d.tags].filter((t, i, a) => a.indexOf(t) === i).join(', ') || '—'}</dd>
          </dl>
        </>
      )}
      {d && <DownloadSection name={d.model_name} provider={d.provider} quantization={quantization} onQuantization={setQuantization} />}
      {fit && <FitSection name={name} runtime={d?.runtime ?? 'vllm'} fit={fit} vramGb={filters.vramGb} gpus={filters.gpus} onWhatIf={setFilters} />}
      {d && d.files.length > 0 && (
        <>
          <h2>Files</h2>
          <table className="files" data-testid="model-files">
            <thead>
              <tr>
                <th>{d.provider === 'ollama' ? 'Tag' : 'File'}</th>
                <th>Size</th>
              </tr>
            </thead>
            <tbody>
              {d.files.slice(0, 300).map((f) => (
                <tr key={f.name}>
                  <td className="mono">{f.name}</td>
                  <td>{f.size !== null ? formatBytes(f.size) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {d.files.length > 300 && <p className="muted">and {d.files.length - 300} more files</p>}
        </>
      )}
      {d?.provider === 'huggingface' && <CardSection name={d.model_name} />}
    </section>
  );
}

/**
 * What Install will download: the plan's file selection (the weights vLLM loads, or one GGUF
 * quantization), its size, and for GGUF repos the quantization to pick.
 */
function DownloadSection({ name, provider, quantization, onQuantization }: { name: string; provider: CatalogModel['provider']; quantization: string | undefined; onQuantization(q: string): void }) {
  const planInstall = useStore((s) => s.planInstall);
  const [plan, setPlan] = useState<Awaited<ReturnType<typeof planInstall>> | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    setError(null);
    planInstall({ name, provider, quantization }, controller.signal)
      .then(setPlan)
      .catch((e: unknown) => {
        if ((e as Error).name !== 'AbortError') setError(e instanceof Error ? e.message : String(e));
      });
    return () => controller.abort();
  }, [name, provider, quantization, planInstall]);
  if (error) return <p className="muted small">Install size: {error}</p>;
  if (!plan) return <p className="muted small">Working out what Install downloads…</p>;
  return (
    <div className="card download-card" data-testid="model-download">
      <header className="row">
        <h2>Install</h2>
        {plan.quantizations.length > 0 && (
          <label className="inline">
            Quantization for Ollama
            <select value={plan.quantization ?? ''} onChange={(e) => onQuantization(e.target.value)} data-testid="model-quantization">
              {plan.quantizations.map((q) => (
                <option key={q} value={q}>
                  {q}
                </option>
              ))}
            </select>
          </label>
        )}
      </header>
      <p data-testid="model-install-size">
        {plan.total_bytes !== null
          ? `Install downloads ${plan.files.length} file${plan.files.length === 1 ? '' : 's'}, ${formatBytes(plan.download_bytes ?? plan.total_bytes)}${plan.download_bytes !== null && plan.download_bytes !== plan.total_bytes ? ` (of ${formatBytes(plan.total_bytes)}; the rest is cached)` : ''}.`
          : 'Ollama reports the size when the pull starts.'}
        {plan.disk.free_after_bytes !== null ? ` ${formatBytes(plan.disk.free_after_bytes)} of disk stays free.` : ''}
      </p>
      {plan.refusal && (
        <p className="error small">
          <Linkified text={plan.refusal.message} />
        </p>
      )}
    </div>
  );
}

function CardSection({ name }: { name: string }) {
  const card = useStore((s) => s.modelCard);
  const load = useStore((s) => s.loadModelCard);
  useEffect(() => {
    void load(name);
  }, [name, load]);
  if (card.name !== name || card.loading) return <p className="muted">Loading the model card…</p>;
  return (
    <section className="card-section">
      <h2>Model card</h2>
      {card.failure && <p className="error">{card.failure}</p>}
      {card.stale && card.error && <p className="muted small">Shown from the cache: {card.error}</p>}
      {card.markdown === null && !card.failure && <p className="muted" data-testid="model-card-none">{card.error ?? 'This repo has no model card.'}</p>}
      {card.markdown !== null && <ModelCard markdown={card.markdown} />}
      {card.truncated && <p className="muted small">The card is long: only its beginning is shown. The full card is on the Hub.</p>}
    </section>
  );
}

/** Beyond this, a context length the model does not state is not worth showing as a number. */
const UNSTATED_MAX_CONTEXT = 131_072;

function contextText(tokens: number, modelMax: number | null): string {
  if (modelMax !== null && tokens >= modelMax) return `${modelMax.toLocaleString('en-US')} tokens (the model’s maximum)`;
  if (modelMax === null && tokens > UNSTATED_MAX_CONTEXT) return `over ${UNSTATED_MAX_CONTEXT.toLocaleString('en-US')} tokens`;
  return `${tokens.toLocaleString('en-US')} tokens`;
}

function FitSection({
  name,
  runtime,
  fit,
  vramGb,
  gpus,
  onWhatIf,
}: {
  name: string;
  runtime: 'vllm' | 'ollama';
  fit: NonNullable<ReturnType<typeof useStore.getState>['modelPage']['fit']>;
  vramGb: string;
  gpus: string;
  onWhatIf: (patch: { vramGb?: string; gpus?: string }) => void;
}) {
  const gpuText =
    fit.gpu_source === 'none'
      ? 'No GPU detected.'
      : fit.gpus.map((g) => `${g.name} (${(g.memory_total_mib / 1024).toFixed(1)} GiB, ${(g.memory_free_mib / 1024).toFixed(1)} free)`).join(' · ');
  return (
    <div className="card fit-card" data-testid="model-fit">
      <header className="row">
        <h2>Will it fit?</h2>
        <FitBadge fit={fit.summary} testId="model-fit-verdict" />
        {fit.fits_now === false && <span className="badge badge-warn">not enough free VRAM now</span>}
      </header>
      <p data-testid="model-fit-note">
        {fit.gpu_source === 'override' ? 'What if: ' : ''}
        {fit.summary.note}
        {fit.summary.verdict === 'no_gpu' ? ' Enter a GPU size below to check a card.' : ''}
      </p>
      <p className="muted small">
        {fit.gpu_source === 'override' ? '' : `${gpuText} `}
        <label className="inline" data-testid="model-whatif">
          What if the GPU had <input className="narrow" type="number" min="0" placeholder="GiB" value={vramGb} onChange={(e) => onWhatIf({ vramGb: e.target.value })} aria-label="What-if GPU GiB" data-testid="model-vram" /> GiB, and there were{' '}
          <input className="narrow" type="number" min="1" placeholder="1" value={gpus} onChange={(e) => onWhatIf({ gpus: e.target.value })} aria-label="What-if GPU count" /> of them?
        </label>
        {fit.gpu_source === 'override' && (
          <button type="button" className="small" onClick={() => onWhatIf({ vramGb: '', gpus: '' })}>
            Back to this machine
          </button>
        )}
      </p>
      <p className="muted small">
        Weights {fit.inputs.weights_gib ?? '—'} GiB
        {fit.inputs.bytes_per_param ? ` (${fit.inputs.parameters_b} B × ${fit.inputs.bytes_per_param} bytes, ${fit.inputs.dtype ?? 'BF16'})` : fit.inputs.dtype ? ` (${fit.inputs.dtype})` : ''} · KV cache{' '}
        {fit.inputs.kv_bytes_per_token ? `${Math.round(fit.inputs.kv_bytes_per_token / 1024)} KiB/token` : '—'}
        {fit.inputs.kv_estimated ? ' (estimated)' : ` (${fit.inputs.layers} layers × ${fit.inputs.kv_heads} KV heads × ${fit.inputs.head_dim})`} at {fit.inputs.context.toLocaleString('en-US')} tokens
        {runtime === 'vllm' ? ` · GPU memory utilization ${fit.inputs.gpu_memory_utilization}` : ''}
        {runtime === 'ollama' && fit.inputs.system_ram_gib ? ` · system RAM ${fit.inputs.system_ram_gib} GiB` : ''}
      </p>
      {runtime === 'vllm' && fit.options.length > 0 && (
        <>
          <table className="fit-table" data-testid="model-fit-table">
            <thead>
              <tr>
                <th>GPUs (TP)</th>
                <th>Weights / GPU</th>
                <th>KV cache / GPU</th>
                <th>Overhead / GPU</th>
                <th>Need / GPU</th>
                <th>Budget / GPU</th>
                <th>Max context</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {fit.options.map((o) => (
                <tr key={o.tensor_parallel_size} className={fit.summary.gpus_needed === o.tensor_parallel_size ? 'chosen' : ''}>
                  <td>{o.tensor_parallel_size}</td>
                  <td>{o.weights_gib_per_gpu} GiB</td>
                  <td>{o.kv_cache_gib_per_gpu} GiB</td>
                  <td>{o.overhead_gib_per_gpu} GiB</td>
                  <td>{o.required_gib_per_gpu} GiB</td>
                  <td>{o.budget_gib_per_gpu} GiB</td>
                  <td>{o.max_context > 0 ? contextText(o.max_context, fit.inputs.max_position_embeddings).replace(' tokens', '') : '—'}</td>
                  <td>{o.verdict === 'fits' ? '✓' : o.verdict === 'reduced_context' ? 'reduced' : '✗'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {(() => {
            const best = fit.options.find((o) => o.tensor_parallel_size === (fit.summary.gpus_needed ?? 1));
            return best && best.max_context > 0 ? (
              <p className="small" data-testid="model-max-context">
                On {best.tensor_parallel_size === 1 ? 'one GPU' : `${best.tensor_parallel_size} GPUs`}, the longest context that fits is {contextText(best.max_context, fit.inputs.max_position_embeddings)}.
              </p>
            ) : null;
          })()}
        </>
      )}
      {runtime === 'vllm' && fit.vllm_flags && (
        <>
          <h3>Recommended vLLM flags</h3>
          <pre className="log small" data-testid="model-vllm-flags">{`vllm serve ${name} \\\n  ${fit.vllm_flags.join(' \\\n  ')}`}</pre>
        </>
      )}
      {runtime === 'ollama' && fit.ollama_num_ctx && (
        <p className="small" data-testid="model-ollama-ctx">
          Context length for Ollama: <span className="mono">num_ctx {fit.ollama_num_ctx}</span> (or <span className="mono">OLLAMA_CONTEXT_LENGTH={fit.ollama_num_ctx}</span>).
        </p>
      )}
      {fit.notes.length > 0 && (
        <ul className="notes">
          {fit.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
