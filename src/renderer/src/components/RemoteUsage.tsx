import { useEffect, useState } from 'react';
import type { RemoteUsageDay } from '../../../shared/api/remote';
import { sy } from '../api/endpoints';
import { reasonWords } from '../api/error-words';
import { useStore } from '../store';

/** Remote providers on the Dashboard: spend, requests, fallbacks and errors by reason code, last 30 days. */
export function RemoteUsage() {
  const [days, setDays] = useState<RemoteUsageDay[] | null>(null);
  const activeRemote = useStore((s) => s.activeRemote);
  const fallbacks = useStore((s) => s.fallbacks.length);
  useEffect(() => {
    sy.remote
      .usage({ days: 30 })
      .then((r) => setDays(r.days))
      .catch(() => setDays([]));
  }, [activeRemote, fallbacks]);
  if (!days || days.length === 0) return null;
  const byProvider = new Map<string, { cost: number; requests: number; errors: number; fallbacks: number; reasons: Record<string, number> }>();
  for (const d of days) {
    const p = byProvider.get(d.provider) ?? { cost: 0, requests: 0, errors: 0, fallbacks: 0, reasons: {} };
    p.cost += d.cost_usd;
    p.requests += d.requests;
    p.errors += d.errors;
    p.fallbacks += d.fallbacks;
    for (const [reason, n] of Object.entries(d.errors_by_reason)) p.reasons[reason] = (p.reasons[reason] ?? 0) + n;
    byProvider.set(d.provider, p);
  }
  return (
    <div className="card" data-testid="remote-usage">
      <h2>Remote providers, last 30 days</h2>
      {activeRemote && (
        <p className="small">
          Serving {activeRemote.model} from {activeRemote.provider}.
        </p>
      )}
      <table className="small">
        <thead>
          <tr>
            <th>Provider</th>
            <th>Cost</th>
            <th>Requests</th>
            <th>Fallbacks</th>
            <th>Errors by reason</th>
          </tr>
        </thead>
        <tbody>
          {[...byProvider].map(([id, p]) => (
            <tr key={id}>
              <td>{id}</td>
              <td>${p.cost.toFixed(4)}</td>
              <td>{p.requests}</td>
              <td>{p.fallbacks}</td>
              <td title={Object.keys(p.reasons).join(', ') || undefined}>
                {Object.entries(p.reasons)
                  .map(([r, n]) => `${reasonWords(r)}: ${n}`)
                  .join(', ') || '—'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
