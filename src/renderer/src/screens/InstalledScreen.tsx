import { useEffect, useState, type FormEvent } from 'react';
import type { InstalledModel, ModelProvider } from '../../../shared/api/models';
import { InstallDialog, type InstallTarget } from '../components/InstallDialog';
import { formatBytes } from '../components/format';
import { useStore } from '../store';
import { modelHref } from './CatalogScreen';

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

  useEffect(() => {
    void loadInstalled();
  }, [loadInstalled]);

  return (
    <section className="screen">
      <h1>Installed</h1>
      <p className="muted">Models in the Hugging Face cache (served by vLLM) and in Ollama. Models found on disk are imported, not downloaded again.</p>
      <InstallByName onPick={setTarget} />
      {error && <p className="error" data-testid="models-error">{error}</p>}
      <div className="row actions">
        <button onClick={() => void loadInstalled(true)}>Rescan</button>
      </div>
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
            {installed.map((m) => (
              <InstalledRow key={m.name} model={m} />
            ))}
          </tbody>
        </table>
      )}
      {target && <InstallDialog name={target.name} provider={target.provider} onClose={() => setTarget(null)} />}
    </section>
  );
}

function InstalledRow({ model }: { model: InstalledModel }) {
  const busy = useStore((s) => s.modelBusy[model.name]);
  const removeModel = useStore((s) => s.removeModel);
  // live from runtime.state events, so the badge follows a switch without a reload
  const runtime = useStore((s) => s.runtimes[model.runtime]);
  const serving = runtime && (runtime.state === 'ready' || runtime.state === 'starting' || runtime.state === 'external');
  const active = runtime ? Boolean(serving && runtime.model === model.name) : model.active;
  const remove = () => {
    if (window.confirm(`Remove ${model.name}? Its files will be deleted.`)) void removeModel(model.name);
  };
  return (
    <tr data-testid={`installed-${model.name}`}>
      <td>
        <div className="mono">
          <a href={modelHref(model.name)} title="Details and “will it fit my GPU?”" data-testid="installed-model-link">
            {model.name}
          </a>
        </div>
        {model.capabilities?.max_context_length && <div className="muted small">context {model.capabilities.max_context_length.toLocaleString()}</div>}
      </td>
      <td>
        {model.provider === 'huggingface' ? 'Hugging Face' : 'Ollama'} → {model.runtime}
        {model.source === 'discovered' && <span className="badge badge-idle">found on disk</span>}
      </td>
      <td>{formatBytes(model.size_bytes)}</td>
      <td>
        <span className={`badge ${statusBadge[model.status]}`}>{model.status}</span> {active && <span className="badge badge-active">active</span>}
      </td>
      <td>
        <button onClick={remove} disabled={Boolean(busy) || active || model.status === 'downloading'} title={active ? 'Deactivate it first (Runtimes)' : undefined}>
          {busy ? 'Removing…' : 'Remove'}
        </button>
      </td>
    </tr>
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
