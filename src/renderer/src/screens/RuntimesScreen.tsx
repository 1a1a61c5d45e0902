import { useEffect, useMemo, useRef, useState } from 'react';
import type { RuntimeName } from '../../../shared/api/runtimes';
import { useStore } from '../store';
import { StateBadge } from '../components/StateBadge';

const NAMES: { name: RuntimeName; label: string }[] = [
  { name: 'ollama', label: 'Ollama' },
  { name: 'vllm', label: 'vLLM' },
];

export function RuntimesScreen() {
  return (
    <section className="screen">
      <h1>Runtimes</h1>
      <p className="muted">One runtime is active at a time. Switching to one stops the other.</p>
      <div className="runtime-grid">
        {NAMES.map((r) => (
          <RuntimeCard key={r.name} name={r.name} label={r.label} />
        ))}
      </div>
    </section>
  );
}

function RuntimeCard({ name, label }: { name: RuntimeName; label: string }) {
  const info = useStore((s) => s.runtimes[name]);
  const busy = useStore((s) => s.runtimeBusy[name]);
  const error = useStore((s) => s.runtimeError[name]);
  const action = useStore((s) => s.runtimeAction);
  const loadLogs = useStore((s) => s.loadLogs);
  const [model, setModel] = useState('');
  const installed = useStore((s) => s.installed);
  const loadInstalled = useStore((s) => s.loadInstalled);
  const installedNames = useMemo(() => installed.filter((m) => m.runtime === name && m.status === 'installed').map((m) => m.name), [installed, name]);
  useEffect(() => {
    void loadInstalled();
  }, [loadInstalled]);

  useEffect(() => {
    void loadLogs(name).catch(() => {});
  }, [name, loadLogs]);
  useEffect(() => {
    if (!model && info?.last_model) setModel(info.last_model);
  }, [info?.last_model, model]);

  if (!info) return <div className="card">Loading {label}…</div>;
  const running = info.state === 'ready' || info.state === 'starting' || info.state === 'external';
  const needsModel = name === 'vllm';
  return (
    <div className="card runtime-card" data-testid={`runtime-${name}`}>
      <header className="row">
        <h2>{label}</h2>
        <StateBadge state={info.state} testId={`runtime-${name}-state`} />
        {info.active && <span className="badge badge-active">active</span>}
      </header>
      <dl className="facts">
        <dt>Address</dt>
        <dd>{info.base_url}</dd>
        <dt>Model</dt>
        <dd data-testid={`runtime-${name}-model`}>{info.model ?? '—'}</dd>
        <dt>PID</dt>
        <dd>{info.pid ?? '—'}</dd>
        <dt>Version</dt>
        <dd>{info.version ?? '—'}</dd>
        <dt>Binary</dt>
        <dd className="mono">{info.binary ?? 'not found'}</dd>
      </dl>
      {info.state === 'not_installed' && (
        <p className="hint">
          {label} was not found. Install it, or set its path in Settings ({name === 'ollama' ? 'SWITCHYARD_OLLAMA_BIN' : 'SWITCHYARD_VLLM_BIN'}).
        </p>
      )}
      {needsModel && (
        <label className="field">
          Model (an installed Hugging Face model)
          <input value={model} onChange={(e) => setModel(e.target.value)} placeholder="Qwen/Qwen3-0.6B" list={`runtime-${name}-models`} data-testid={`runtime-${name}-model-input`} />
          <datalist id={`runtime-${name}-models`}>
            {installedNames.map((n) => (
              <option key={n} value={n} />
            ))}
          </datalist>
        </label>
      )}
      <div className="row actions">
        <button
          data-testid={`runtime-${name}-switch`}
          disabled={!!busy || info.state === 'not_installed' || (needsModel && !model)}
          onClick={() => void action(name, 'switch', needsModel ? model : undefined)}
        >
          {busy === 'switch' ? 'Switching…' : info.active && running ? 'Restart with model' : 'Switch to'}
        </button>
        <button data-testid={`runtime-${name}-stop`} disabled={!!busy || !info.owned} onClick={() => void action(name, 'stop')}>
          {busy === 'stop' ? 'Stopping…' : 'Stop'}
        </button>
      </div>
      {(error || info.last_error) && (
        <div className="error" role="alert" data-testid={`runtime-${name}-error`}>
          <strong>{error ?? info.last_error?.message}</strong>
          {info.last_error?.log_tail && info.last_error.log_tail.length > 0 && !error && (
            <pre className="log small">{info.last_error.log_tail.slice(-8).join('\n')}</pre>
          )}
        </div>
      )}
      <LogTail name={name} />
    </div>
  );
}

function LogTail({ name }: { name: RuntimeName }) {
  const lines = useStore((s) => s.runtimeLogs[name]);
  const ref = useRef<HTMLPreElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [lines]);
  return (
    <pre className="log" ref={ref} data-testid={`runtime-${name}-log`}>
      {lines.length === 0 ? 'No log output yet.' : lines.map((l) => l.line).join('\n')}
    </pre>
  );
}
