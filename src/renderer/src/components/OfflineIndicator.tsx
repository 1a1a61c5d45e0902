import { useEffect } from 'react';
import { useStore } from '../store';

/** Shell indicator of offline mode (no network calls for catalog, trending, news), with a toggle. */
export function OfflineIndicator() {
  const offline = useStore((s) => s.offline);
  const loadOffline = useStore((s) => s.loadOffline);
  const setOffline = useStore((s) => s.setOffline);
  const connected = useStore((s) => s.connected);
  useEffect(() => {
    if (connected) void loadOffline().catch(() => {});
  }, [connected, loadOffline]);
  if (!offline) return null;
  const title = offline.forced
    ? 'Offline mode is forced by SWITCHYARD_OFFLINE or --offline: restart without it to go online.'
    : offline.offline
      ? 'Offline: the catalog makes no network calls and shows cached data. Click to go online.'
      : 'Online: the catalog refreshes from Hugging Face and ollama.com. Click to go offline.';
  return (
    <button
      className={`offline-toggle ${offline.offline ? 'is-offline' : ''}`}
      data-testid="offline-indicator"
      data-offline={offline.offline ? 'true' : 'false'}
      title={title}
      disabled={offline.forced}
      onClick={() => void setOffline(!offline.offline).catch(() => {})}
    >
      <span className={`dot ${offline.offline ? 'dot-bad' : 'dot-ok'}`} /> {offline.offline ? 'offline mode' : 'online'}
    </button>
  );
}
