import { Linkified } from '../components/Linkified';
import { useEffect, useState, type FormEvent } from 'react';
import type { InstalledModel, ModelProvider, ModelTestResult } from '../../../shared/api/models';
import { InstallDialog, type InstallTarget } from '../components/InstallDialog';
import { useConfirm } from '../components/Confirm';
import { KserveDialog } from '../components/KserveDialog';
import { openInChat } from '../components/NextStep';
import { When } from '../components/When';
import { formatBytes } from '../components/format';
import { useStore } from '../store';
import { NO_LOG_LINES } from '../store/runtimes';
import { modelHref } from './CatalogScreen';
import { runtimeLabel } from '../../../shared/runtimes';
import { ImportDialog } from '../components/ImportDialog';
import { RevisionPicker } from '../components/RevisionPicker';

/** `#/installed?sort=size` (the Dashboard's storage banner): biggest first. */
const sortedBySize = () => new URLSearchParams(window.location.hash.split('?')[1] ?? '').get('sort') === 'size';

const statusBadge: Record<InstalledModel['status'], string> = {
  installed: 'badge-ok',
  downloading: 'badge-busy',
  failed: 'badge-bad',
  missing: 'badge-warn',
  removed: 'badge-idle',
};

export function InstalledScreen() {
  const installed = useStore((s) => s.installed);
  const loaded = useStore((s) => s.installedLoaded);
  const error = useStore((s) => s.modelsError);
  const loadInstalled = useStore((s) => s.loadInstalled);
  const [target, setTarget] = useState<InstallTarget | null>(null);
  const [importing, setImporting] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [bySize, setBySize] = useState(sortedBySize);

  useEffect(() => {
    void loadInstalled();
  }, [loadInstalled]);
  useEffect(() => {
    const onHash = () => setBySize(sortedBySize());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const rows = bySize ? [...installed].sort((a, b) => b.size_bytes - a.size_bytes) : installed;

  return (
    <section className="screen">
      <h1>Installed</h1>
      <p className="muted">Models in the Hugging Face cache (served by vLLM) and in Ollama. Models found on disk are imported, not downloaded again.</p>
      <InstallByName onPick={setTarget} />
      {error && (
        <p className="error" data-testid="models-error">
          <Linkified text={error} />
        </p>
      )}
      <div className="row actions">
        <button onClick={() => void loadInstalled(true)}>Rescan</button>
        <button onClick={() => setImporting(true)} data-testid="import-open">
          Import…
        </button>
      </div>
      {notice && (
        <p className="muted" data-testid="import-notice">
          {notice}
        </p>
      )}
      {loaded && installed.length === 0 && <p className="muted">No models yet. Install one by name above, or from the Catalog.</p>}
      {installed.length > 0 && (
        <table data-testid="installed-table">
          <thead>
            <tr>
              <th>Model</th>
              <th>Source</th>
              <th>Size</th>
              <th>Status</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((m) => (
              <InstalledRow key={m.name} model={m} />
            ))}
          </tbody>
        </table>
      )}
      {target && <InstallDialog name={target.name} provider={target.provider} onClose={() => setTarget(null)} />}
      {importing && <ImportDialog onClose={() => setImporting(false)} onStarted={setNotice} />}
    </section>
  );
}

function InstalledRow({ model }: { model: InstalledModel }) {
  const busy = useStore((s) => s.modelBusy[model.name]);
  const removeModel = useStore((s) => s.removeModel);
  const activateModel = useStore((s) => s.activateModel);
  const deactivateModel = useStore((s) => s.deactivateModel);
  const testModel = useStore((s) => s.testModel);
  const verifyModel = useStore((s) => s.verifyModel);
  const allowRemoteCode = useStore((s) => s.allowRemoteCode);
  const rowError = useStore((s) => s.modelErrors[model.name]);
  const activation = useStore((s) => s.activations[model.name]);
  // the core's rule (models/model-state.ts); a runtime change arrives as models.changed and a refetch
  const { active, serving } = model;
  const loading = busy === 'activate' || (active && !serving);
  const installed = model.status === 'installed';
  const [confirmation, confirm] = useConfirm();
  const what = model.source === 'local' ? (model.provider === 'huggingface' ? `Its folder ${model.import_path} stays as it is.` : 'Ollama’s copy is deleted; your file stays.') : 'Its files are deleted from this machine; installing it again downloads them again.';
  const remove = () => void confirm({ title: `Remove ${model.name}?`, body: <p>{what}</p>, confirm: 'Remove model' }).then((yes) => (yes ? removeModel(model.name) : undefined));
  const id = model.name;
  const [deploying, setDeploying] = useState(false);
  return (
    <>
      <tr data-testid={`installed-${id}`}>
        <td>
          <div className="mono">
            <a href={modelHref(model.name)} title="Details and “will it fit my GPU?”" data-testid="installed-model-link">
              {model.name}
            </a>
          </div>
          {model.capabilities?.max_context_length && <div className="muted small">context {model.capabilities.max_context_length.toLocaleString()}</div>}
        </td>
        <td>
          {model.provider === 'huggingface' ? 'Hugging Face' : 'Ollama'} → {runtimeLabel(model.runtime)}
          {model.source === 'discovered' && (
            <>
              {' '}
              <span className="badge badge-idle">found on disk</span>
            </>
          )}
          {model.source === 'local' && (
            <div className="small muted mono" data-testid={`installed-${id}-import-path`}>
              <span className="badge badge-idle">local</span> {model.import_path}
              {model.import_path_exists === false && <span className="badge badge-warn">path gone</span>}
            </div>
          )}
          {model.provider === 'huggingface' && model.source !== 'local' && installed && <RevisionPicker model={model} />}
          {model.remote_code && (
            <label className="small" title="This model ships its own Python code (config.json auto_map); vLLM runs it only with --trust-remote-code">
              <input type="checkbox" checked={Boolean(model.runtime_flags?.trust_remote_code)} disabled={Boolean(busy)} onChange={(e) => void allowRemoteCode(model.name, e.target.checked)} data-testid={`installed-${id}-remote-code`} /> Allow remote code
            </label>
          )}
        </td>
        <td>{formatBytes(model.size_bytes)}</td>
        <td data-testid={`installed-${id}-badges`}>
          <span className={`badge ${statusBadge[model.status]}`}>{model.status}</span>{' '}
          {installed && (model.validated ? <span className="badge badge-ok">validated</span> : <span className="badge badge-warn" title="Files changed or a check failed: Verify, or reinstall">not validated</span>)}{' '}
          {active && <span className="badge badge-active">active</span>}{' '}
          {model.slot && (
            <span className="badge badge-idle" data-testid={`installed-${id}-slot`}>
              {model.slot} slot
            </span>
          )}{' '}
          {serving && <span className="badge badge-ok" data-testid={`installed-${id}-serving`}>serving</span>}
        </td>
        <td className="row-actions">
          {serving || loading ? (
            <button onClick={() => void deactivateModel(model.name)} disabled={busy === 'deactivate'} data-testid={`installed-${id}-deactivate`}>
              {busy === 'deactivate' ? 'Deactivating…' : 'Deactivate'}
            </button>
          ) : (
            <button
              className="primary"
              onClick={() => void activateModel(model.name)}
              disabled={Boolean(busy) || !installed || !model.validated}
              title={!model.validated ? 'Verify the files first' : `Serve it with ${runtimeLabel(model.runtime)}`}
              data-testid={`installed-${id}-activate`}
            >
              Activate
            </button>
          )}
          {!serving && !loading && model.slots.includes('embeddings') && (
            <button
              onClick={() => void activateModel(model.name, 'embeddings')}
              disabled={Boolean(busy) || !installed || !model.validated}
              title="Serve it in the embeddings slot, beside the chat model"
              data-testid={`installed-${id}-activate-embeddings`}
            >
              Load as embeddings
            </button>
          )}
          {installed && (
            <button onClick={() => void openInChat(model.name)} title="A new conversation with this model" data-testid={`installed-${id}-chat`}>
              Chat
            </button>
          )}
          <button onClick={() => void testModel(model.name)} disabled={!serving || Boolean(busy)} title={serving ? 'Send a short chat and time it' : 'Activate it first'} data-testid={`installed-${id}-test`}>
            {busy === 'test' ? 'Testing…' : 'Test'}
          </button>
          {installed && !model.validated && (
            <button onClick={() => void verifyModel(model.name)} disabled={Boolean(busy)} data-testid={`installed-${id}-verify`}>
              {busy === 'verify' ? 'Verifying…' : 'Verify'}
            </button>
          )}
          <button onClick={remove} disabled={Boolean(busy) || active || model.status === 'downloading'} title={active ? 'Deactivate it first' : undefined}>
            {busy === 'remove' ? 'Removing…' : 'Remove'}
          </button>
          {installed && model.provider === 'huggingface' && (
            <button onClick={() => setDeploying(true)} title="Render it as a KServe InferenceService for a cluster" data-testid={`installed-${id}-kserve`}>
              Deploy to KServe…
            </button>
          )}
          {deploying && <KserveDialog name={model.name} onClose={() => setDeploying(false)} />}
          {confirmation}
        </td>
      </tr>
      {(loading || rowError || activation?.phase === 'failed' || (serving && activation?.phase === 'serving') || model.last_test) && (
        <tr className="detail-row">
          <td colSpan={5}>
            {loading && <ActivationProgress model={model} message={activation?.message} />}
            {!loading && activation?.phase === 'failed' && !rowError && (
              <p className="error">
                <Linkified text={activation.message} />
              </p>
            )}
            {serving && activation?.phase === 'serving' && (
              <p className="muted small" data-testid={`installed-${id}-activation`}>
                {activation.message}
              </p>
            )}
            {rowError && (
              <p className="error" data-testid={`installed-${id}-error`}>
                <Linkified text={rowError} />
              </p>
            )}
            {/* an older test result under a newer failure would read as the current state */}
            {model.last_test && !rowError && activation?.phase !== 'failed' && <TestResultLine result={model.last_test} testId={`installed-${id}-last-test`} />}
          </td>
        </tr>
      )}
    </>
  );
}

/** While the runtime loads the model: the phase and the runtime's last log lines. */
function ActivationProgress({ model, message }: { model: InstalledModel; message?: string }) {
  const lines = useStore((s) => s.runtimeLogs[model.runtime] ?? NO_LOG_LINES);
  return (
    <div data-testid={`installed-${model.name}-progress`}>
      <p className="muted">{message ?? `Activating ${model.name}…`}</p>
      <pre className="log small" tabIndex={0} aria-label="Latest log lines">{lines.slice(-6).map((l) => l.line).join('\n')}</pre>
    </div>
  );
}

function TestResultLine({ result, testId }: { result: ModelTestResult; testId: string }) {
  const when = <When iso={result.at} />;
  if (!result.ok) {
    return (
      <p className="small" data-testid={testId}>
        <span className="badge badge-bad">test failed</span> {result.error?.message} <span className="muted">({when})</span>
      </p>
    );
  }
  return (
    <p className="small" data-testid={testId}>
      <span className="badge badge-ok">test ok</span> {result.latency_ms.toFixed(0)} ms
      {result.ttft_ms !== null && <> · first token {result.ttft_ms.toFixed(0)} ms</>}
      {result.tokens_per_second !== null && <> · {result.tokens_per_second.toFixed(1)} tokens/s</>} · <span className="mono">“{result.answer}”</span> <span className="muted">({when})</span>
    </p>
  );
}

function InstallByName({ onPick }: { onPick(t: InstallTarget): void }) {
  const [name, setName] = useState('');
  const [provider, setProvider] = useState<ModelProvider>('huggingface');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim()) onPick({ name: name.trim(), provider });
  };
  return (
    <form className="row install-by-name" onSubmit={submit}>
      <input placeholder={provider === 'huggingface' ? 'org/name, e.g. Qwen/Qwen3-0.6B' : 'model[:tag], e.g. qwen2.5:0.5b'} value={name} onChange={(e) => setName(e.target.value)} aria-label="Model name" data-testid="install-name" />
      <select value={provider} onChange={(e) => setProvider(e.target.value as ModelProvider)} aria-label="Source">
        <option value="huggingface">Hugging Face (vLLM)</option>
        <option value="ollama">Ollama</option>
      </select>
      <button className="primary" type="submit" disabled={!name.trim()} data-testid="install-by-name">
        Install…
      </button>
    </form>
  );
}
