import { useEffect, useState } from 'react';
import type { CatalogProvider } from '../../../shared/api/catalog';
import { FitBadge, formatCount, RefreshFailure, StaleBadge, StaleReason } from '../components/CatalogBadges';
import { formatGb } from '../components/format';
import { useStore } from '../store';
import { modelHref } from './CatalogScreen';

const COLUMNS: { provider: CatalogProvider; label: string; metric: string }[] = [
  { provider: 'huggingface', label: 'Hugging Face', metric: 'trending score order' },
  { provider: 'ollama', label: 'Ollama library', metric: 'most pulled' },
];

export function TrendingScreen() {
  const load = useStore((s) => s.loadTrending);
  const refresh = useStore((s) => s.refreshSection);
  const refreshing = useStore((s) => s.refreshing.trending);
  const offline = useStore((s) => s.offline?.offline ?? false);
  const [refreshError, setRefreshError] = useState<string | null>(null);
  useEffect(() => {
    void load('huggingface');
    void load('ollama');
  }, [load, offline]);
  return (
    <section className="screen">
      <header className="row">
        <h1>Trending</h1>
        <span className="spacer" />
        <button data-testid="trending-refresh" disabled={refreshing || offline} title={offline ? 'Offline mode: go online to refresh' : undefined} onClick={() => void refresh('trending').then(setRefreshError)}>
          {refreshing ? 'Refreshing…' : 'Refresh'}
        </button>
      </header>
      <RefreshFailure error={refreshError} />
      <div className="two-columns">
        {COLUMNS.map((c) => (
          <TrendingColumn key={c.provider} {...c} />
        ))}
      </div>
    </section>
  );
}

function TrendingColumn({ provider, label, metric }: { provider: CatalogProvider; label: string; metric: string }) {
  const list = useStore((s) => s.trending[provider]);
  return (
    <div className="card" data-testid={`trending-${provider}`}>
      <header className="row">
        <h2>{label}</h2>
        <span className="muted small">{metric}</span>
        <span className="spacer" />
        <StaleBadge freshness={list} testId={`trending-stale-${provider}`} />
      </header>
      <StaleReason freshness={list} />
      {list.failure && <p className="error">{list.failure}</p>}
      {list.loading && list.items.length === 0 && <p className="muted">Loading…</p>}
      <ol className="trending-list">
        {list.items.map((m) => (
          <li key={m.model_name} data-testid="trending-item">
            <a href={modelHref(m.model_name)}>{m.model_name}</a>
            <span className="muted small">
              {m.size_gb !== null ? formatGb(m.size_gb) : m.parameters_b ? `${m.parameters_b}B parameters` : ''} · {formatCount(m.downloads)} {provider === 'ollama' ? 'pulls' : 'downloads'}
              {m.likes !== null ? ` · ${formatCount(m.likes)} likes` : ''}
            </span>
            <FitBadge fit={m.fit} runnable={m.runnable} />
          </li>
        ))}
      </ol>
    </div>
  );
}
