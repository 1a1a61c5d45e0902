import { Component, Suspense, useEffect, useState, type ReactNode } from 'react';
import { forgetToken, saveToken, setToken, ApiError } from './api/client';
import { startFirstLoad, type FirstLoad } from './api/first-load';
import { ExposureWarning } from './components/ExposureWarning';
import { OfflineIndicator } from './components/OfflineIndicator';
import { currentScreen, screens } from './screens/registry';
import { dispatchEvent, useStore } from './store';

/** Started by main.tsx before React was loaded; App's first effect takes it over. */
let first: { load: FirstLoad; applied: Promise<void> } | null = null;

/** The store takes the runtimes as soon as they come: before the first render, when they are that quick. */
function applyRuntimes(load: FirstLoad): Promise<void> {
  const applied = load.runtimes.then(({ servers }) => {
    for (const server of servers) useStore.getState().applyRuntimeState(server);
  });
  applied.catch(() => {});
  return applied;
}

export function takeOverFirstLoad(load: FirstLoad): void {
  first = { load, applied: applyRuntimes(load) };
}

export function App() {
  const token = useStore((s) => s.token);
  const connected = useStore((s) => s.connected);
  const setConnection = useStore((s) => s.setConnection);
  const [screen, setScreen] = useState(currentScreen);
  const [authError, setAuthError] = useState<string | null>(null);

  useEffect(() => {
    const onHash = () => setScreen(currentScreen());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    if (!token) return;
    let cancelled = false;
    // the first call doubles as the token check: one round trip before the first screen has its data
    const started = first?.load ?? startFirstLoad();
    const load = first?.applied ?? applyRuntimes(started);
    first = null;
    started.attach(dispatchEvent, ({ connected, reload }) => {
      setConnection({ connected });
      if (reload) void useStore.getState().loadRuntimes().catch(() => {});
    });
    load.catch((error: unknown) => {
      if (cancelled) return;
      if (error instanceof ApiError && error.status === 401) {
        forgetToken();
        setToken(null);
        setConnection({ token: null });
        setAuthError('That token was not accepted.');
      }
    });
    return () => {
      cancelled = true;
      started.close();
    };
  }, [token, setConnection]);

  if (!token) return <TokenGate error={authError} onToken={(t) => (saveToken(t), setToken(t), setConnection({ token: t }))} />;
  const entry = screens.find((s) => s.id === screen) ?? screens[0]!;
  // loaded already (the first screen, a prefetched one): rendered as it is, without suspending
  const Screen = entry.loaded() ?? entry.component;
  return (
    <div className="shell">
      <a className="skip-link" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to content
      </a>
      <nav className="sidebar" aria-label="Screens">
        <div className="brand">Switchyard</div>
        {screens.map((s) => (
          <a
            key={s.id}
            href={`#/${s.id}`}
            className={s.id === screen ? 'active' : ''}
            aria-current={s.id === screen ? 'page' : undefined}
            data-testid={`nav-${s.id}`}
            // the screen's chunk starts loading while the pointer rests on its link (or focus lands on it)
            onPointerEnter={s.prefetch}
            onFocus={s.prefetch}
          >
            {s.label}
          </a>
        ))}
        <a href="/docs" target="_blank" rel="noreferrer" data-testid="nav-api-docs" title="The HTTP API (OpenAPI), with this session's token">
          API docs
        </a>
        <div className="status-line">
          <span className={`dot ${connected ? 'dot-ok' : 'dot-bad'}`} /> {connected ? 'connected' : 'reconnecting…'}
          <OfflineIndicator />
        </div>
      </nav>
      <main className="content" id="main" tabIndex={-1}>
        <ExposureWarning />
        <ScreenBoundary key={screen}>
          <Suspense fallback={<p className="muted" role="status">Loading…</p>}>
            <Screen />
          </Suspense>
        </ScreenBoundary>
      </main>
    </div>
  );
}

/** A screen whose chunk could not load (Switchyard restarted with a new build, connection lost) says so. */
class ScreenBoundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  override state = { error: null as Error | null };
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <div className="error" role="alert">
        <p>This screen could not be shown: {this.state.error.message}</p>
        <button onClick={() => window.location.reload()}>Reload Switchyard</button>
      </div>
    );
  }
}

function TokenGate({ onToken, error }: { onToken: (token: string) => void; error: string | null }) {
  const [value, setValue] = useState('');
  return (
    <div className="token-gate">
      <h1>Switchyard</h1>
      <p>Paste the API token. `npm run serve` prints a link that includes it; it is also in the file `token` in the data dir.</p>
      {error && <p className="error">{error}</p>}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (value.trim()) onToken(value.trim());
        }}
      >
        <input value={value} onChange={(e) => setValue(e.target.value)} placeholder="token" aria-label="API token" />
        <button type="submit">Connect</button>
      </form>
    </div>
  );
}
