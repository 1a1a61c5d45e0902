import { useEffect, useState } from 'react';
import type { NewsItem } from '../../../shared/api/catalog';
import { RefreshFailure, StaleBadge, StaleReason } from '../components/CatalogBadges';
import { When } from '../components/When';
import { useStore } from '../store';

export function NewsScreen() {
  const news = useStore((s) => s.news);
  const load = useStore((s) => s.loadNews);
  const refresh = useStore((s) => s.refreshSection);
  const refreshing = useStore((s) => s.refreshing.news);
  const offline = useStore((s) => s.offline?.offline ?? false);
  const [refreshError, setRefreshError] = useState<string | null>(null);
  useEffect(() => {
    void load('blog');
    void load('papers');
  }, [load, offline]);
  return (
    <section className="screen">
      <header className="row">
        <h1>News</h1>
        <span className="spacer" />
        <button data-testid="news-refresh" disabled={refreshing || offline} onClick={() => void refresh('news').then(setRefreshError)}>
          {refreshing ? 'Refreshing…' : 'Refresh'}
        </button>
      </header>
      <RefreshFailure error={refreshError} />
      <div className="two-columns">
        <div className="card" data-testid="news-blog">
          <header className="row">
            <h2>Hugging Face blog</h2>
            <span className="spacer" />
            <StaleBadge freshness={news.blog} testId="news-stale-blog" />
          </header>
          <NewsList state={news.blog} />
        </div>
        <div className="card" data-testid="news-papers">
          <header className="row">
            <h2>Papers</h2>
            <input type="month" value={news.month} onChange={(e) => e.target.value && void load('papers', e.target.value)} aria-label="Month" data-testid="news-month" />
            <span className="spacer" />
            <StaleBadge freshness={news.papers} testId="news-stale-papers" />
          </header>
          <NewsList state={news.papers} />
        </div>
      </div>
    </section>
  );
}

function NewsList({ state }: { state: { items: NewsItem[]; loading: boolean; failure: string | null; stale: boolean; error: string | null } }) {
  return (
    <>
      {state.failure && <p className="error">{state.failure}</p>}
      <StaleReason freshness={state} />
      {state.loading && state.items.length === 0 && <p className="muted">Loading…</p>}
      {!state.loading && state.items.length === 0 && !state.failure && <p className="muted">Nothing here yet.</p>}
      <ul className="news-list">
        {state.items.map((item) => (
          <li key={item.url} data-testid="news-item">
            {/* target=_blank: Electron's window-open handler sends it to the system browser */}
            <a href={item.url} target="_blank" rel="noreferrer">
              {item.title}
            </a>
            <div className="muted small">
              {item.published_at && <When iso={item.published_at} />}
              {item.authors.length ? ` · ${item.authors.slice(0, 4).join(', ')}${item.authors.length > 4 ? ' et al.' : ''}` : ''}
            </div>
            {item.summary && <p className="summary">{item.summary}</p>}
          </li>
        ))}
      </ul>
    </>
  );
}
