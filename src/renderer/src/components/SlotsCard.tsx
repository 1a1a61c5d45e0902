import { useEffect } from 'react';
import type { Slot } from '../../../shared/api/router';
import { runtimeLabel } from '../../../shared/runtimes';
import { useStore } from '../store';

const SLOTS: { slot: Slot; label: string }[] = [
  { slot: 'chat', label: 'Chat' },
  { slot: 'embeddings', label: 'Embeddings' },
];

/** The two local slots of the router and what each serves, as the API's routes say (Runtimes, Dashboard). */
export function SlotsCard() {
  const routes = useStore((s) => s.routes);
  const load = useStore((s) => s.loadProviders);
  useEffect(() => {
    void load().catch(() => {});
  }, [load]);
  const remote = routes.filter((r) => r.target.kind === 'remote');
  return (
    <div className="card" data-testid="slots">
      <h2>Served on /v1</h2>
      <dl className="facts">
        {SLOTS.map(({ slot, label }) => {
          const r = routes.find((x) => x.slot === slot);
          return (
            <div key={slot} style={{ display: 'contents' }}>
              <dt>{label}</dt>
              <dd data-testid={`slot-${slot}`}>
                {r ? (
                  <>
                    <span className="mono">{r.model}</span> · {runtimeLabel(r.target.runtime)} <span className={`badge ${r.state === 'serving' ? 'badge-ok' : 'badge-idle'}`}>{r.state}</span>
                  </>
                ) : (
                  <span className="muted">empty</span>
                )}
              </dd>
            </div>
          );
        })}
        {remote.length > 0 && (
          <>
            <dt>Remote</dt>
            <dd data-testid="slot-remote">
              {remote.filter((r) => r.state === 'serving').length} of {remote.length} routes up
            </dd>
          </>
        )}
      </dl>
    </div>
  );
}
