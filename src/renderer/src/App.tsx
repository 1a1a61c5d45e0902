import { useEffect, useState } from 'react';
import { forgetToken, initialToken, saveToken, setToken, subscribeEvents, ApiError } from './api/client';
import { sy } from './api/endpoints';
import { ExposureWarning } from './components/ExposureWarning';
import { OfflineIndicator } from './components/OfflineIndicator';
import { screens } from './screens/registry';
import { dispatchEvent, useStore } from './store';

function currentScreen(): string {
  const id = window.location.hash.replace(/^#\/?/, '').split(/[?&]/)[0];
  return screens.some((s) => s.id === id) ? id! : 'runtimes';
}

export function App() {
  const token = useStore((s) => s.token);
  const connected = useStore((s) => s.connected);
  const setConnection = useStore((s) => s.setConnection);
  const [screen, setScreen] = useState(currentScreen);
  const [authError, setAuthError] = useState<string | null>(null);

  useEffect(() => {
    const t = initialToken();
    setToken(t);
    setConnection({ token: t });
    const onHash = () => setScreen(currentScreen());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, [setConnection]);

  useEffect(() => {
    if (!token) return;
    let cancelled = false;
    sy.runtimes
      .list()
      .then(() => useStore.getState().loadRuntimes())
      .catch((error) => {
        if (cancelled) return;
        if (error instanceof ApiError && error.status === 401) {
          forgetToken();
          setToken(null);
          setConnection({ token: null });
          setAuthError('That token was not accepted.');
        }
      });
    const close = subscribeEvents(dispatchEvent, (ok) => {
      setConnection({ connected: ok });
      if (ok) void useStore.getState().loadRuntimes().catch(() => {});
    });
    return () => {
      cancelled = true;
      close();
    };
  }, [token, setConnection]);

  if (!token) return <TokenGate error={authError} onToken={(t) => (saveToken(t), setToken(t), setConnection({ token: t }))} />;
  const Screen = screens.find((s) => s.id === screen)?.component ?? screens[0]!.component;
  return (
    <div className="shell">
      <nav className="sidebar">
        <div className="brand">Switchyard</div>
        {screens.map((s) => (
          <a key={s.id} href={`#/${s.id}`} className={s.id === screen ? 'active' : ''} data-testid={`nav-${s.id}`}>
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
      <main className="content">
        <ExposureWarning />
        <Screen />
      </main>
    </div>
  );
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
