import { useEffect, useState } from 'react';
import type { InstallPlan, ModelProvider } from '../../../shared/api/models';
import { ApiError } from '../api/client';
import { Dialog } from './Dialog';
import { NextStep } from './NextStep';
import { useStore } from '../store';
import { formatBytes } from './format';
import { Linkified } from './Linkified';
import { OperationProgress } from './OperationProgress';

export interface InstallTarget {
  name: string;
  provider: ModelProvider;
  /** GGUF repos: the quantization picked on the model page */
  quantization?: string;
}

/**
 * Install flow for one model: files and total size, disk space after install, GGUF quantization,
 * then start and watch progress. Used by the Catalog model page and the Installed screen.
 */
export function InstallDialog({ name, provider, quantization: initialQuantization, onClose }: InstallTarget & { onClose(): void }) {
  const planInstall = useStore((s) => s.planInstall);
  const startInstall = useStore((s) => s.startInstall);
  const [quantization, setQuantization] = useState<string | undefined>(initialQuantization);
  /** a Hub model at a chosen branch, tag or commit (applied when the field is left) */
  const [revision, setRevision] = useState<string | undefined>(undefined);
  const [plan, setPlan] = useState<InstallPlan | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [starting, setStarting] = useState(false);
  const [operationId, setOperationId] = useState<string | null>(null);
  const op = useStore((s) => (operationId ? s.operations[operationId] : undefined));

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    setError(null);
    planInstall({ name, provider, quantization, ...(revision ? { revision } : {}) }, controller.signal)
      .then((p) => setPlan(p))
      .catch((e: unknown) => {
        if ((e as Error).name !== 'AbortError') setError(e instanceof ApiError ? e.message : String(e));
      })
      .finally(() => setLoading(false));
    return () => controller.abort();
  }, [name, provider, quantization, revision, planInstall]);

  const start = async (viaOllama = false) => {
    setStarting(true);
    setError(null);
    try {
      // a GGUF repo runs on Ollama, which pulls the quantization straight from the Hub
      const target = viaOllama && plan?.ollama_name ? { name: plan.ollama_name, provider: 'ollama' as const } : { name: plan?.name ?? name, provider, revision: plan?.revision && provider === 'huggingface' ? plan.revision : undefined, quantization };
      setOperationId(await startInstall(target));
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setStarting(false);
    }
  };

  return (
    <Dialog
      title={`Install ${name}`}
      aside={<span className="badge badge-idle">{provider === 'huggingface' ? 'Hugging Face → vLLM' : 'Ollama'}</span>}
      // an install already started goes on in Operations; closing while it starts would lose its id
      onClose={() => !starting && onClose()}
      closeLabel={operationId && op?.status !== 'completed' ? 'Close (continues in Operations)' : 'Close'}
      testId="install-dialog"
    >
      {loading && <p className="muted">Resolving files and sizes…</p>}
      {error && (
        <p className="error" data-testid="install-error">
          <Linkified text={error} />
        </p>
      )}
      {plan && !loading && (
        <>
          <QuantizationSelect plan={plan} label="Quantization" className="field" onChange={setQuantization} disabled={Boolean(operationId)} />
          {plan.files.length > 0 && (
            <div className="install-files">
              <table>
                <thead>
                  <tr>
                    <th>File</th>
                    <th>Size</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {plan.files.map((f) => (
                    <tr key={f.path}>
                      <td className="mono">{f.path}</td>
                      <td>{formatBytes(f.size)}</td>
                      <td className="muted">{f.cached ? 'cached' : ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <dl className="facts">
            {plan.commit_sha && (
              <>
                <dt>Revision</dt>
                <dd className="mono">
                  {plan.revision} ({plan.commit_sha.slice(0, 10)}){' '}
                  {provider === 'huggingface' && (
                    <input
                      defaultValue={revision ?? ''}
                      placeholder="another branch, tag or commit"
                      aria-label="Revision"
                      data-testid="install-revision"
                      onBlur={(e) => setRevision(e.target.value.trim() || undefined)}
                      onKeyDown={(e) => e.key === 'Enter' && setRevision(e.currentTarget.value.trim() || undefined)}
                    />
                  )}
                </dd>
              </>
            )}
            <dt>Total size</dt>
            <dd data-testid="install-total">{plan.total_bytes !== null ? formatBytes(plan.total_bytes) : 'reported by Ollama when the pull starts'}</dd>
            {plan.download_bytes !== null && plan.download_bytes !== plan.total_bytes && (
              <>
                <dt>To download</dt>
                <dd>{formatBytes(plan.download_bytes)}</dd>
              </>
            )}
            <dt>Disk free</dt>
            <dd>
              {formatBytes(plan.disk.free_bytes)} of {formatBytes(plan.disk.total_bytes)}
              {plan.disk.free_after_bytes !== null && <> → {formatBytes(plan.disk.free_after_bytes)} after install</>}
            </dd>
          </dl>
          {plan.gated && <p className="hint">This repo is gated: your token has access.</p>}
          {plan.refusal && (
            <p className="error" data-testid="install-refusal">
              <Linkified text={plan.refusal.message} />
            </p>
          )}
        </>
      )}
      {op && <OperationProgress op={op} />}
      {op && (
        <p className="muted" role="status">
          <Linkified text={(op.status === 'failed' ? op.error?.message : op.message) ?? ''} />
        </p>
      )}
      {op?.status === 'completed' && <NextStep name={op.model_name} onDone={onClose} />}
      <div className="actions row">
        {!operationId && plan?.ollama_name && (
          <button className="primary" disabled={loading || starting} onClick={() => void start(true)} data-testid="install-ollama" title="Ollama pulls this GGUF straight from the Hub; vLLM cannot serve a GGUF repo">
            {starting ? 'Starting…' : `Install for Ollama (${plan.ollama_name})`}
          </button>
        )}
        {!operationId && (
          <button className={plan?.ollama_name ? undefined : 'primary'} disabled={!plan || loading || starting || Boolean(plan.refusal)} onClick={() => void start()} data-testid="install-start">
            {starting ? 'Starting…' : plan?.ollama_name ? 'Download files only' : 'Install'}
          </button>
        )}
        {!operationId && <button onClick={onClose}>Cancel</button>}
      </div>
    </Dialog>
  );
}

/** A button that opens the install dialog for a model. */
export function InstallButton({ name, provider, quantization, label = 'Install…' }: InstallTarget & { label?: string }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button className="primary" onClick={() => setOpen(true)} data-testid="install-button">
        {label}
      </button>
      {open && <InstallDialog name={name} provider={provider} quantization={quantization} onClose={() => setOpen(false)} />}
    </>
  );
}

/** The GGUF quantization an install plan offers (the one it chose selected); nothing when it offers none. */
export function QuantizationSelect({ plan, label, className, onChange, disabled, testId }: { plan: Pick<InstallPlan, 'quantizations' | 'quantization'>; label: string; className: string; onChange(q: string): void; disabled?: boolean; testId?: string }) {
  if (plan.quantizations.length === 0) return null;
  return (
    <label className={className}>
      {label}
      <select value={plan.quantization ?? ''} onChange={(e) => onChange(e.target.value)} disabled={disabled} data-testid={testId}>
        {plan.quantizations.map((q) => (
          <option key={q} value={q}>
            {q}
          </option>
        ))}
      </select>
    </label>
  );
}
