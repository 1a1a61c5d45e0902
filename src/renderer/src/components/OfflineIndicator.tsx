import { useEffect } from 'react';
import { useStore } from '../store';

/** Shell indicator of offline mode (no network calls for catalog, trending, news), with a toggle. */
export function OfflineIndicator() {
  const offline = useStore((s) => s.offline);
  const loadOffline = useStore((s) => s.loadOffline);
  const setOffline = useStore((s) => s.setOffline);
  const connected = useStore((s) => s.connected);
  const hubAnswered = useStore((s) => s.hubAnswered);
  useEffect(() => {
    if (connected) void loadOffline().catch(() => {});
  }, [connected, loadOffline]);
  if (!offline) return null;
  // online mode, but the last request to the Hub got no answer: say so rather than "online"
  const unreachable = !offline.offline && hubAnswered === false;
  const title = offline.forced
    ? 'Offline mode is forced by SWITCHYARD_OFFLINE or --offline: restart without it to go online.'
    : offline.offline
      ? 'Offline: the catalog makes no network calls and shows cached data. Click to go online.'
      : unreachable
        ? 'The Hugging Face Hub did not answer the last request: lists come from the cache. Click to go offline.'
        : 'Online: the catalog refreshes from Hugging Face and ollama.com. Click to go offline.';
  return (
    <button
      className={`offline-toggle ${offline.offline || unreachable ? 'is-offline' : ''}`}
      data-testid="offline-indicator"
      data-offline={offline.offline ? 'true' : 'false'}
      data-hub={hubAnswered === null ? 'unknown' : hubAnswered ? 'answered' : 'unreachable'}
      title={title}
      disabled={offline.forced}
      onClick={() => void setOffline(!offline.offline).catch(() => {})}
    >
      <span className={`dot ${offline.offline ? 'dot-bad' : unreachable ? 'dot-warn' : 'dot-ok'}`} /> {offline.offline ? 'offline mode' : unreachable ? 'Hub unreachable' : 'online'}
    </button>
  );
}
