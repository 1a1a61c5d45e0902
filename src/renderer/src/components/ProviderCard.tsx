import { useEffect, useState } from 'react';
import type { RemoteProvider, Validation } from '../../../shared/api/remote';
import { networkWords } from '../api/error-words';
import { useStore } from '../store';
import { formatMs } from './format';
import { formOf, GovernanceFields, governanceOf } from './GovernanceFields';
import { useConfirm } from './Confirm';
import { When } from './When';

const STATE_TEXT: Record<RemoteProvider['validation']['state'], string> = {
  never: 'not validated',
  current: 'validated',
  stale: 'configuration changed — validate again',
  failed: 'validation failed',
};

/** One provider: facts, validate (each step and its reason), models with Activate and Test, edit, history. */
export function ProviderCard({ provider: p }: { provider: RemoteProvider }) {
  const validate = useStore((s) => s.validateProvider);
  const loadDetail = useStore((s) => s.loadProviderDetail);
  const remove = useStore((s) => s.removeProvider);
  const offline = useStore((s) => s.offline?.offline ?? false);
  const [confirmation, confirm] = useConfirm();
  const history = useStore((s) => s.providerHistory[p.id]);
  const models = useStore((s) => s.providerModels[p.id]);
  const activeRemote = useStore((s) => s.activeRemote);
  const update = useStore((s) => s.updateProvider);
  // the health check is the provider's: every route of it carries the same
  const health = useStore((s) => s.routes.find((r) => r.target.provider === p.id)?.health ?? null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);
  useEffect(() => {
    void loadDetail(p.id).catch(() => {});
  }, [loadDetail, p.id, p.validation.last?.id]);

  const run = async (what: string, action: () => Promise<unknown>) => {
    setBusy(what);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(null);
    }
  };
  const last = p.validation.last;
  return (
    <div className="card provider-card" data-testid={`provider-${p.id}`}>
      <header className="row">
        <h2>{p.id}</h2>
        <span className="badge">{p.kind}</span>
        <span className={`badge ${p.validation.state === 'current' ? 'badge-active' : ''}`} data-testid={`provider-${p.id}-state`}>
          {STATE_TEXT[p.validation.state]}
        </span>
        {activeRemote?.provider === p.id && <span className="badge badge-active">default: {activeRemote.model}</span>}
        {!p.enabled && (
          <span className="badge" data-testid={`provider-${p.id}-disabled`}>
            disabled
          </span>
        )}
        {p.enabled && health && health.status !== 'unknown' && (
          <span
            className={`badge ${health.status === 'ok' ? 'badge-active' : ''}`}
            title={[health.last_check_at && `last check ${new Date(health.last_check_at).toLocaleString()}`, health.status !== 'ok' && health.error].filter(Boolean).join(' — ') || undefined}
            data-testid={`provider-${p.id}-health`}
          >
            {health.status === 'ok' ? `up · ${formatMs(health.latency_ms ?? 0)}` : `down: ${health.error ? networkWords(health.error) : 'no answer'}`}
          </span>
        )}
      </header>
      <dl className="facts">
        <dt>Base URL</dt>
        <dd className="mono">{p.base_url}</dd>
        <dt>Key</dt>
        <dd data-testid={`provider-${p.id}-key`}>{p.api_key ? `${p.api_key} (${p.api_key_source})` : 'none'}</dd>
        <dt>Spend this {p.spend.period}</dt>
        <dd>
          ${p.spend.cost_usd.toFixed(4)} · {p.spend.requests} requests · {p.spend.errors} errors
        </dd>
        {p.fallback && (
          <>
            <dt>Fallback</dt>
            <dd>
              {p.fallback.provider} / {p.fallback.model}
            </dd>
          </>
        )}
      </dl>
      {p.warnings.map((w) => (
        <p key={w} className="notice small">
          {w}
        </p>
      ))}
      <div className="row actions">
        {/* offline, a validation could only fail without asking the provider anything: not offered */}
        <button disabled={busy !== null || offline} title={offline ? 'Offline mode: validation needs the network' : undefined} onClick={() => void run('validate', () => validate(p.id))} data-testid={`provider-${p.id}-validate`}>
          {busy === 'validate' ? 'Validating…' : 'Validate'}
        </button>
        <button disabled={busy !== null} onClick={() => setEditing(!editing)}>
          {editing ? 'Close' : 'Edit'}
        </button>
        <button disabled={busy !== null} onClick={() => void run('enable', () => update(p.id, { enabled: !p.enabled }))} data-testid={`provider-${p.id}-enable`}>
          {p.enabled ? 'Disable' : 'Enable'}
        </button>
        <button
          disabled={busy !== null || p.enabled}
          title={p.enabled ? 'disable it first: nothing is routed to it then' : undefined}
          data-testid={`provider-${p.id}-remove`}
          onClick={() =>
            void confirm({
              title: `Remove provider ${p.id}?`,
              body: <p>{p.api_key && p.api_key_source === 'settings' ? 'Its stored API key is deleted with it, as are its models and validation history here.' : 'Its models and validation history here are deleted with it.'} Apps that name its models get “model not found”.</p>,
              confirm: 'Remove provider',
            }).then((yes) => (yes ? run('remove', () => remove(p.id)) : undefined))
          }
        >
          Remove…
        </button>
        {offline && <span className="muted small">Offline mode: Validate needs the network.</span>}
      </div>
      {confirmation}
      {error && (
        <div className="error" role="alert" data-testid={`provider-${p.id}-error`}>
          {error}
        </div>
      )}
      {last && <Steps validation={last} />}
      {editing && <EditProvider provider={p} onDone={() => setEditing(false)} />}
      {models && models.length > 0 && <Models provider={p} ids={models.map((m) => m.id)} busy={busy} run={run} />}
      {history && history.length > 1 && (
        <details>
          <summary>Validation history ({history.length})</summary>
          <table className="small">
            <tbody>
              {history.map((v) => (
                <tr key={v.id}>
                  <td>
                    <When iso={v.started_at} />
                  </td>
                  <td>{v.ok ? 'passed' : 'failed'}</td>
                  <td className="mono">{v.reason_code}</td>
                  <td>{v.current ? 'current' : 'stale'}</td>
                  <td>{v.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </div>
  );
}

function Steps({ validation: v }: { validation: Validation }) {
  return (
    <table className="small validation-steps" data-testid="validation-steps">
      <tbody>
        {v.steps.map((s) => (
          <tr key={s.step} className={`step-${s.status}`}>
            <td>{s.step}</td>
            <td>{s.status}</td>
            <td className="mono">{s.reason_code}</td>
            <td>{formatMs(s.duration_ms)}</td>
            <td title={s.message}>{networkWords(s.message)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Models({ provider: p, ids, busy, run }: { provider: RemoteProvider; ids: string[]; busy: string | null; run: (what: string, action: () => Promise<unknown>) => Promise<void> }) {
  const activate = useStore((s) => s.activateRemote);
  const test = useStore((s) => s.testProvider);
  const result = useStore((s) => s.providerTests[p.id]);
  const usable = p.validation.state === 'current';
  return (
    <details open>
      <summary>Models ({ids.length})</summary>
      <ul className="provider-models">
        {ids.map((id) => (
          <li key={id} className="row">
            <span className="mono">{id}</span>
            <button disabled={!usable || busy !== null} title={usable ? undefined : 'validate first'} onClick={() => void run(`activate ${id}`, () => activate(p.id, id))} data-testid={`provider-activate-${id}`}>
              Activate
            </button>
            <button disabled={!usable || busy !== null} title="a short prompt: it costs tokens" onClick={() => void run(`test ${id}`, () => test(p.id, id, /embed/i.test(id) ? 'embedding' : 'chat'))}>
              Test
            </button>
          </li>
        ))}
      </ul>
      {result && (
        <p className="small" data-testid={`provider-${p.id}-test`} title={result.error ? `${result.error.code}: ${result.error.message}` : undefined}>
          {result.ok
            ? `“${result.answer}” — ${formatMs(result.latency_ms)}, ${result.completion_tokens ?? '?'} tokens${result.cost_usd !== null ? `, $${result.cost_usd.toFixed(6)}` : ''}`
            : `Test failed: ${networkWords(result.error?.message ?? 'no answer')}`}
        </p>
      )}
    </details>
  );
}

function EditProvider({ provider: p, onDone }: { provider: RemoteProvider; onDone: () => void }) {
  const update = useStore((s) => s.updateProvider);
  const providers = useStore((s) => s.providers);
  const [base, setBase] = useState(p.base_url);
  // the mask comes back unchanged unless a new key is typed: the stored key stays
  const [key, setKey] = useState(p.api_key ?? '');
  const [governance, setGovernance] = useState(formOf(p.governance));
  const [fallback, setFallback] = useState(p.fallback ? `${p.fallback.provider}/${p.fallback.model}` : '');
  const [error, setError] = useState<string | null>(null);
  const save = async () => {
    try {
      const slash = fallback.indexOf('/');
      await update(p.id, {
        base_url: base,
        api_key: key === '' ? null : key,
        governance: governanceOf(governance),
        fallback: fallback.trim() ? { provider: fallback.slice(0, slash), model: fallback.slice(slash + 1) } : null,
      });
      onDone();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <div className="provider-edit">
      <label className="field">
        Base URL
        <input value={base} onChange={(e) => setBase(e.target.value)} />
      </label>
      <label className="field">
        API key (write-only: type a new one to replace it, empty it to remove it)
        <input type="password" autoComplete="off" value={key} onChange={(e) => setKey(e.target.value)} />
      </label>
      <GovernanceFields value={governance} onChange={setGovernance} />
      <label className="field">
        Fallback, as provider/model (used only before the first byte of an answer)
        <input list={`fallbacks-${p.id}`} value={fallback} onChange={(e) => setFallback(e.target.value)} placeholder="none" />
        <datalist id={`fallbacks-${p.id}`}>
          {providers.filter((o) => o.id !== p.id).map((o) => (
            <option key={o.id} value={`${o.id}/`} />
          ))}
        </datalist>
      </label>
      <div className="row actions">
        <button onClick={() => void save()}>Save</button>
      </div>
      {error && (
        <div className="error" role="alert">
          {error}
        </div>
      )}
    </div>
  );
}
