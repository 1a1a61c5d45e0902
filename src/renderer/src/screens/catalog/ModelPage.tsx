import { useEffect, useState } from 'react';
import type { CatalogModel } from '../../../../shared/api/catalog';
import { FitBadge, StaleBadge } from '../../components/CatalogBadges';
import { formatBytes, formatGb } from '../../components/format';
import { InstallButton, QuantizationSelect } from '../../components/InstallDialog';
import { Linkified } from '../../components/Linkified';
import { ModelCard } from '../../components/ModelCard';
import { NextStep, useInstalledAs } from '../../components/NextStep';
import { useStore } from '../../store';
import { KserveDialog } from '../../components/KserveDialog';
import type { LaunchPreview } from '../../../../shared/api/runtimes';

/** A model's page in the catalog: its details, the download choice, its card and the fit for the GPUs. */
export function ModelPage({ name }: { name: string }) {
  const page = useStore((s) => s.modelPage);
  const open = useStore((s) => s.openModel);
  const filters = useStore((s) => s.catalogFilters);
  const setFilters = useStore((s) => s.setCatalogFilters);
  useEffect(() => {
    void open(name);
  }, [name, open, filters.vramGb, filters.gpus]);
  const d = page.name === name ? page.detail : null;
  const fit = page.name === name ? page.fit : null;
  const [quantization, setQuantization] = useState<string | undefined>(undefined);
  const [deploying, setDeploying] = useState(false);
  useEffect(() => setQuantization(undefined), [name]);
  const loadInstalled = useStore((s) => s.loadInstalled);
  useEffect(() => void loadInstalled().catch(() => {}), [loadInstalled]);
  const installedAs = useInstalledAs(name);
  return (
    <section className="screen model-page" data-testid="model-page">
      <p>
        <a href="#/catalog" data-testid="model-back">
          ← Catalog
        </a>
      </p>
      <header className="row">
        <h1 data-testid="model-title">{name}</h1>
        <StaleBadge freshness={page} testId="model-stale" />
        <span className="spacer" />
        {installedAs ? <NextStep name={installedAs} /> : d && <InstallButton name={d.model_name} provider={d.provider} quantization={quantization} />}
        {d?.provider === 'huggingface' && (
          <button onClick={() => setDeploying(true)} title="Preview it as a KServe InferenceService at the Hub's current commit" data-testid="model-kserve">
            Deploy to KServe…
          </button>
        )}
      </header>
      {deploying && <KserveDialog name={name} catalog onClose={() => setDeploying(false)} />}
      {page.loading && <p className="muted">Loading…</p>}
      {page.failure && <p className="error">{page.failure}</p>}
      {d && (
        <>
          <p className="muted">{d.description}</p>
          <dl className="facts">
            <dt>Source</dt>
            <dd>
              <a href={d.url} target="_blank" rel="noreferrer">
                {d.provider === 'huggingface' ? 'Hugging Face' : 'Ollama library'} ↗
              </a>
            </dd>
            <dt>Runtime</dt>
            <dd>
              {d.runtime}
              {d.vllm_supported === true ? ' · architecture supported by vLLM' : d.vllm_supported === false && d.provider === 'huggingface' ? ' · architecture not in vLLM’s list' : ''}
            </dd>
            <dt>Parameters</dt>
            <dd>{d.parameters_b ? `${d.parameters_b} B` : '—'}</dd>
            <dt>Size</dt>
            <dd>{formatGb(d.size_gb)}</dd>
            <dt>Quantization / dtype</dt>
            <dd>{d.quantization ?? '—'}</dd>
            <dt>Context length</dt>
            <dd>{d.context_length ?? '—'}</dd>
            <dt>License</dt>
            <dd>{d.license ?? '—'}</dd>
            {d.gated ? (
              <>
                <dt>Gated</dt>
                <dd className="hint">yes — accept the license on the Hub and set a token in Settings</dd>
              </>
            ) : null}
            {d.architectures.length > 0 && (
              <>
                <dt>Architecture</dt>
                <dd className="mono">{d.architectures.join(', ')}</dd>
              </>
            )}
            <dt>Tags</dt>
            <dd>{[...d.capabilities, ...d.tags].filter((t, i, a) => a.indexOf(t) === i).join(', ') || '—'}</dd>
          </dl>
        </>
      )}
      {d && <DownloadSection name={d.model_name} provider={d.provider} quantization={quantization} onQuantization={setQuantization} />}
      {fit && <FitSection launch={page.name === name ? page.launch : null} fit={fit} runnable={d?.runnable} vramGb={filters.vramGb} gpus={filters.gpus} onWhatIf={setFilters} />}
      {d && d.files.length > 0 && (
        <>
          <h2>Files</h2>
          <table className="files" data-testid="model-files">
            <thead>
              <tr>
                <th>{d.provider === 'ollama' ? 'Tag' : 'File'}</th>
                <th>Size</th>
              </tr>
            </thead>
            <tbody>
              {d.files.slice(0, 300).map((f) => (
                <tr key={f.name}>
                  <td className="mono">{f.name}</td>
                  <td>{f.size !== null ? formatBytes(f.size) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {d.files.length > 300 && <p className="muted">and {d.files.length - 300} more files</p>}
        </>
      )}
      {d?.provider === 'huggingface' && <CardSection name={d.model_name} />}
    </section>
  );
}

/**
 * What Install will download: the plan's file selection (the weights vLLM loads, or one GGUF
 * quantization), its size, and for GGUF repos the quantization to pick.
 */
function DownloadSection({ name, provider, quantization, onQuantization }: { name: string; provider: CatalogModel['provider']; quantization: string | undefined; onQuantization(q: string): void }) {
  const planInstall = useStore((s) => s.planInstall);
  const [plan, setPlan] = useState<Awaited<ReturnType<typeof planInstall>> | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    setError(null);
    planInstall({ name, provider, quantization }, controller.signal)
      .then(setPlan)
      .catch((e: unknown) => {
        if ((e as Error).name !== 'AbortError') setError(e instanceof Error ? e.message : String(e));
      });
    return () => controller.abort();
  }, [name, provider, quantization, planInstall]);
  if (error) return <p className="muted small">Install size: {error}</p>;
  if (!plan) return <p className="muted small">Working out what Install downloads…</p>;
  return (
    <div className="card download-card" data-testid="model-download">
      <header className="row">
        <h2>Install</h2>
        <QuantizationSelect plan={plan} label="Quantization for Ollama" className="inline" onChange={onQuantization} testId="model-quantization" />
      </header>
      <p data-testid="model-install-size">
        {plan.total_bytes !== null
          ? `Install downloads ${plan.files.length} file${plan.files.length === 1 ? '' : 's'}, ${formatBytes(plan.download_bytes ?? plan.total_bytes)}${plan.download_bytes !== null && plan.download_bytes !== plan.total_bytes ? ` (of ${formatBytes(plan.total_bytes)}; the rest is cached)` : ''}.`
          : 'Ollama reports the size when the pull starts.'}
        {plan.disk.free_after_bytes !== null ? ` ${formatBytes(plan.disk.free_after_bytes)} of disk stays free.` : ''}
      </p>
      {plan.refusal && (
        <p className="error small">
          <Linkified text={plan.refusal.message} />
        </p>
      )}
    </div>
  );
}

function CardSection({ name }: { name: string }) {
  const card = useStore((s) => s.modelCard);
  const load = useStore((s) => s.loadModelCard);
  useEffect(() => {
    void load(name);
  }, [name, load]);
  if (card.name !== name || card.loading) return <p className="muted">Loading the model card…</p>;
  return (
    <section className="card-section">
      <h2>Model card</h2>
      {card.failure && <p className="error">{card.failure}</p>}
      {card.stale && card.error && <p className="muted small">Shown from the cache: {card.error}</p>}
      {card.markdown === null && !card.failure && <p className="muted" data-testid="model-card-none">{card.error ?? 'This repo has no model card.'}</p>}
      {card.markdown !== null && <ModelCard markdown={card.markdown} />}
      {card.truncated && <p className="muted small">The card is long: only its beginning is shown. The full card is on the Hub.</p>}
    </section>
  );
}

/** Beyond this, a context length the model does not state is not worth showing as a number. */
const UNSTATED_MAX_CONTEXT = 131_072;

function contextText(tokens: number, modelMax: number | null): string {
  if (modelMax !== null && tokens >= modelMax) return `${modelMax.toLocaleString('en-US')} tokens (the model’s maximum)`;
  if (modelMax === null && tokens > UNSTATED_MAX_CONTEXT) return `over ${UNSTATED_MAX_CONTEXT.toLocaleString('en-US')} tokens`;
  return `${tokens.toLocaleString('en-US')} tokens`;
}

function FitSection({
  launch,
  fit,
  runnable,
  vramGb,
  gpus,
  onWhatIf,
}: {
  /** how its runtime's driver would start it (null: the driver shows no command) */
  launch: LaunchPreview | null;
  /** the server's verdict for the asked GPUs */
  runnable: boolean | undefined;
  fit: NonNullable<ReturnType<typeof useStore.getState>['modelPage']['fit']>;
  vramGb: string;
  gpus: string;
  onWhatIf: (patch: { vramGb?: string; gpus?: string }) => void;
}) {
  const gpuText =
    fit.gpu_source === 'none'
      ? 'No GPU detected.'
      : fit.gpus.map((g) => `${g.name} (${(g.memory_total_mib / 1024).toFixed(1)} GiB, ${(g.memory_free_mib / 1024).toFixed(1)} free)`).join(' · ');
  return (
    <div className="card fit-card" data-testid="model-fit">
      <header className="row">
        <h2>Will it fit?</h2>
        <FitBadge fit={fit.summary} runnable={runnable} testId="model-fit-verdict" />
        {fit.fits_now === false && <span className="badge badge-warn">not enough free VRAM now</span>}
      </header>
      <p data-testid="model-fit-note">
        {fit.gpu_source === 'override' ? 'What if: ' : ''}
        {fit.summary.note}
        {fit.summary.verdict === 'no_gpu' ? ' Enter a GPU size below to check a card.' : ''}
      </p>
      <p className="muted small">
        {fit.gpu_source === 'override' ? '' : `${gpuText} `}
        <label className="inline" data-testid="model-whatif">
          What if the GPU had <input className="narrow" type="number" min="0" placeholder="GiB" value={vramGb} onChange={(e) => onWhatIf({ vramGb: e.target.value })} aria-label="What-if GPU GiB" data-testid="model-vram" /> GiB, and there were{' '}
          <input className="narrow" type="number" min="1" placeholder="1" value={gpus} onChange={(e) => onWhatIf({ gpus: e.target.value })} aria-label="What-if GPU count" data-testid="model-gpus" /> of them?
        </label>
        {fit.gpu_source === 'override' && (
          <button type="button" className="small" onClick={() => onWhatIf({ vramGb: '', gpus: '' })}>
            Back to this machine
          </button>
        )}
      </p>
      <p className="muted small">
        {fit.inputs.weights_gib !== null ? `Weights ${fit.inputs.weights_gib} GiB` : 'Weights: size unknown'}
        {fit.inputs.bytes_per_param && fit.inputs.parameters_b !== null
          ? ` (${fit.inputs.parameters_b} billion parameters × ${fit.inputs.bytes_per_param} bytes, ${fit.inputs.dtype ?? 'BF16'})`
          : fit.inputs.dtype
            ? ` (${fit.inputs.dtype})`
            : ''}{' '}
        · KV cache {fit.inputs.kv_bytes_per_token ? `${formatBytes(fit.inputs.kv_bytes_per_token)} per token` : '—'}
        {fit.inputs.kv_estimated ? ' (estimated)' : ` (${fit.inputs.layers} layers × ${fit.inputs.kv_heads} KV heads × ${fit.inputs.head_dim})`} at {fit.inputs.context.toLocaleString('en-US')} tokens
        {/* what the verdict says decides what is shown, not the runtime's name: per-GPU options where a GPU share applies, RAM where it was checked */}
        {fit.options.length > 0 ? ` · GPU memory utilization ${fit.inputs.gpu_memory_utilization}` : ''}
        {fit.inputs.system_ram_gib ? ` · system RAM ${fit.inputs.system_ram_gib} GiB` : ''}
      </p>
      {fit.options.length > 0 && (
        <>
          <table className="fit-table" data-testid="model-fit-table">
            <thead>
              <tr>
                <th>GPUs (TP)</th>
                <th>Weights / GPU</th>
                <th>KV cache / GPU</th>
                <th>Overhead / GPU</th>
                <th>Need / GPU</th>
                <th>Budget / GPU</th>
                <th>Max context</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {fit.options.map((o) => (
                <tr key={o.tensor_parallel_size} className={fit.summary.gpus_needed === o.tensor_parallel_size ? 'chosen' : ''}>
                  <td>{o.tensor_parallel_size}</td>
                  <td>{o.weights_gib_per_gpu} GiB</td>
                  <td>{o.kv_cache_gib_per_gpu} GiB</td>
                  <td>{o.overhead_gib_per_gpu} GiB</td>
                  <td>{o.required_gib_per_gpu} GiB</td>
                  <td>{o.budget_gib_per_gpu} GiB</td>
                  <td>{o.max_context > 0 ? contextText(o.max_context, fit.inputs.max_position_embeddings).replace(' tokens', '') : '—'}</td>
                  <td>{o.verdict === 'fits' ? '✓' : o.verdict === 'reduced_context' ? 'reduced' : '✗'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {(() => {
            const best = fit.options.find((o) => o.tensor_parallel_size === (fit.summary.gpus_needed ?? 1));
            return best && best.max_context > 0 ? (
              <p className="small" data-testid="model-max-context">
                On {best.tensor_parallel_size === 1 ? 'one GPU' : `${best.tensor_parallel_size} GPUs`}, the longest context that fits is {contextText(best.max_context, fit.inputs.max_position_embeddings)}.
              </p>
            ) : null;
          })()}
        </>
      )}
      {launch && (
        <>
          <h3>Launch command ({launch.label})</h3>
          {/* the driver's lines, as the supervisor would run them: no runtime is spelled here */}
          <pre className="log small" tabIndex={0} aria-label="Launch command line" data-testid="model-launch-flags">
            {launch.commands.map((lines) => lines.join(' \\\n  ')).join('\n')}
          </pre>
        </>
      )}
      {!!fit.ollama_num_ctx && (
        <p className="small" data-testid="model-ollama-ctx">
          Context length for Ollama: <span className="mono">num_ctx {fit.ollama_num_ctx}</span> (or <span className="mono">OLLAMA_CONTEXT_LENGTH={fit.ollama_num_ctx}</span>).
        </p>
      )}
      {fit.notes.length > 0 && (
        <ul className="notes">
          {fit.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
