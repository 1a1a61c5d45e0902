import { useEffect, useMemo, useRef, useState } from 'react';
import type { RuntimeName } from '../../../shared/api/runtimes';
import { useStore } from '../store';
import { NO_LOG_LINES } from '../store/runtimes';
import { Linkified } from '../components/Linkified';
import { RuntimeSetup } from '../components/RuntimeSetup';
import { SlotsCard } from '../components/SlotsCard';
import { StateBadge } from '../components/StateBadge';
import { isUp, runtimeLabel } from '../../../shared/runtimes';

export function RuntimesScreen() {
  const loadGpus = useStore((s) => s.loadGpus);
  const gpu = useStore((s) => s.gpuStatus);
  // the runtimes the core has, in its order, and what their drivers can do: no runtime is named here
  const names = useStore((s) => s.runtimeNames);
  const drivers = useStore((s) => s.drivers);
  const loadDrivers = useStore((s) => s.loadDrivers);
  const loadInstalled = useStore((s) => s.loadInstalled);
  useEffect(() => {
    void loadGpus().catch(() => {});
    void loadDrivers().catch(() => {});
    // once for both cards (the model pickers)
    void loadInstalled();
  }, [loadGpus, loadDrivers, loadInstalled]);
  return (
    <section className="screen">
      <h1>Runtimes</h1>
      <p className="muted">One runtime serves the chat slot; switching to the other stops it, unless it serves the embeddings slot (Ollama beside vLLM).</p>
      <SlotsCard />
      {gpu && !gpu.available && gpu.state !== 'starting' && (
        <p className="notice" data-testid="runtimes-no-gpu">
          No NVIDIA GPU was found (details on the <a href="#/dashboard">Dashboard</a>). Ollama still runs models on the CPU, from system RAM — slower, but fine for small models. vLLM needs an NVIDIA GPU.
        </p>
      )}
      <div className="runtime-grid">
        {names.length === 0 && <div className="card">Loading runtimes…</div>}
        {names.map((name) => {
          const driver = drivers?.find((d) => d.local_runtime === name);
          return <RuntimeCard key={name} name={name} label={driver?.label ?? runtimeLabel(name)} needsModel={driver?.requires_model} />;
        })}
      </div>
    </section>
  );
}

function RuntimeCard({ name, label, needsModel }: { name: RuntimeName; label: string; /** its driver cannot start without a model (undefined until the drivers are loaded) */ needsModel: boolean | undefined }) {
  const info = useStore((s) => s.runtimes[name]);
  const busy = useStore((s) => s.runtimeBusy[name]);
  const error = useStore((s) => s.runtimeError[name]);
  const action = useStore((s) => s.runtimeAction);
  const loadLogs = useStore((s) => s.loadLogs);
  const [model, setModel] = useState('');
  const installed = useStore((s) => s.installed);
  const installedLoaded = useStore((s) => s.installedLoaded);
  const installedNames = useMemo(() => installed.filter((m) => m.runtime === name && m.status === 'installed').map((m) => m.name), [installed, name]);

  useEffect(() => {
    void loadLogs(name).catch(() => {});
  }, [name, loadLogs]);
  useEffect(() => {
    if (model) return;
    const preferred = [info?.model, info?.last_model].find((m) => m && installedNames.includes(m)) ?? installedNames[0];
    if (preferred) setModel(preferred);
  }, [info?.model, info?.last_model, installedNames, model]);

  if (!info) return <div className="card">Loading {label}…</div>;
  const running = isUp(info.state) || info.state === 'starting' || info.state === 'unresponsive';
  const switchWhy = busy
    ? null
    : info.state === 'not_installed'
      ? `install ${label} first (see above).`
      : needsModel && !model
        ? `install a model for ${label} first.`
        : null;
  const stopWhy = busy ? null : info.state === 'external' ? `this ${label} was started outside Switchyard; stop it where it was started.` : !info.owned ? 'not running.' : null;
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
      {info.state === 'not_installed' && <RuntimeSetup name={name} label={label} />}
      {needsModel && info.state !== 'not_installed' && (
        <label className="field">
          Model (one installed for {label})
          <select value={model} onChange={(e) => setModel(e.target.value)} data-testid={`runtime-${name}-model-input`} disabled={installedNames.length === 0}>
            {installedNames.length === 0 && <option value="">{installedLoaded ? 'no model installed yet' : 'loading…'}</option>}
            {installedNames.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
          {installedLoaded && installedNames.length === 0 && (
            <span className="small muted">
              Install one from the <a href="#/catalog">Catalog</a> first.
            </span>
          )}
        </label>
      )}
      {needsModel === false && info.state !== 'not_installed' && !info.model && (
        <p className="small muted" data-testid={`runtime-${name}-no-model`}>
          {running ? 'No model loaded. ' : ''}
          {label} starts without a model and loads the one each request names: choose it in <a href="#/chat">Chat</a>, Activate one under{' '}
          <a href="#/installed">Installed</a>, or name it as <code>model</code> in the API.
        </p>
      )}
      <div className="row actions">
        <button data-testid={`runtime-${name}-switch`} disabled={switchWhy !== null} title={switchWhy ?? undefined} onClick={() => void action(name, 'switch', needsModel ? model : undefined)}>
          {busy === 'switch' ? 'Switching…' : info.active && running ? 'Restart with model' : 'Switch to'}
        </button>
        <button data-testid={`runtime-${name}-stop`} disabled={stopWhy !== null} title={stopWhy ?? undefined} onClick={() => void action(name, 'stop')}>
          {busy === 'stop' ? 'Stopping…' : 'Stop'}
        </button>
      </div>
      {!busy && (switchWhy || info.state === 'external') && (
        <p className="small muted why" data-testid={`runtime-${name}-why`}>
          {[switchWhy && `Switch: ${switchWhy}`, info.state === 'external' && `Stop: ${stopWhy}`].filter(Boolean).join(' · ')}
        </p>
      )}
      {(error || info.last_error) && (
        <div className="error" role="alert" data-testid={`runtime-${name}-error`}>
          <strong>
            <Linkified text={error ?? info.last_error?.message ?? ''} />
          </strong>
          {info.last_error?.log_tail && info.last_error.log_tail.length > 0 && !error && (
            <pre className="log small" tabIndex={0} aria-label={`${label}: the last lines before it stopped`}>{info.last_error.log_tail.slice(-8).join('\n')}</pre>
          )}
        </div>
      )}
      <LogTail name={name} />
    </div>
  );
}

function LogTail({ name }: { name: RuntimeName }) {
  const lines = useStore((s) => s.runtimeLogs[name] ?? NO_LOG_LINES);
  const ref = useRef<HTMLPreElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [lines]);
  return (
    <pre className="log" ref={ref} tabIndex={0} aria-label={`${runtimeLabel(name)} log`} data-testid={`runtime-${name}-log`}>
      {lines.length === 0 ? 'No log output yet.' : lines.map((l) => l.line).join('\n')}
    </pre>
  );
}
