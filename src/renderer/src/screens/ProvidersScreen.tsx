import { useEffect, useState } from 'react';
import type { ProviderKind } from '../../../shared/api/remote';
import { reasonWords } from '../api/error-words';
import { ProviderCard } from '../components/ProviderCard';
import { GovernanceFields, governanceOf, type GovernanceForm, EMPTY_GOVERNANCE } from '../components/GovernanceFields';
import { useStore } from '../store';

/** Presets: the cloud kinds fill the base URL; cluster kinds need the user's address. */
const PRESETS: { kind: ProviderKind; label: string; base: string; hint: string }[] = [
  { kind: 'openai', label: 'OpenAI', base: 'https://api.openai.com/v1', hint: 'key from OPENAI_API_KEY if left empty' },
  { kind: 'gemini', label: 'Google Gemini', base: 'https://generativelanguage.googleapis.com/v1beta/openai', hint: 'key from GEMINI_API_KEY or GOOGLE_API_KEY if left empty' },
  { kind: 'anthropic', label: 'Anthropic', base: 'https://api.anthropic.com/v1', hint: 'key from ANTHROPIC_API_KEY if left empty' },
  { kind: 'openai_compatible', label: 'vLLM / OpenAI-compatible server', base: '', hint: 'e.g. http://gpu-node:8000/v1 — with the port; the model id must be exactly what it serves' },
  { kind: 'kserve', label: 'KServe InferenceService', base: '', hint: 'ends in /openai/v1, e.g. https://qwen.models.example.com/openai/v1' },
];

export function ProvidersScreen() {
  const providers = useStore((s) => s.providers);
  const load = useStore((s) => s.loadProviders);
  const alerts = useStore((s) => s.budgetAlerts);
  const fallbacks = useStore((s) => s.fallbacks);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    load().catch((e: Error) => setError(e.message));
  }, [load]);
  return (
    <section className="screen" data-testid="providers-screen">
      <h1>Providers</h1>
      <p className="muted">
        Cloud APIs and cluster endpoints, served behind Switchyard’s own <code>/v1</code> under their model ids. Keys are kept in the secret store and never shown again. A provider is activated only
        after a validation that is still current; remote requests are refused while offline.
      </p>
      {error && (
        <div className="error" role="alert">
          {error}
        </div>
      )}
      {alerts.slice(-3).map((a, i) => (
        <p key={i} className={a.level === 'hard' ? 'error' : 'notice'} data-testid="provider-budget-alert">
          {a.scope === 'global' ? 'All remote providers' : a.provider}: {a.level} budget reached — ${a.spent_usd.toFixed(2)} of ${a.limit_usd.toFixed(2)} this {a.period}.
        </p>
      ))}
      {fallbacks.slice(-3).map((f, i) => (
        <p key={i} className="notice small" title={f.reason}>
          Fell back from {f.from.provider} ({f.from.model}) to {f.to.provider} ({f.to.model}): {reasonWords(f.reason)}.
        </p>
      ))}
      <AddProvider />
      <div className="provider-list">
        {providers.length === 0 && <p className="muted">No remote provider yet.</p>}
        {providers.map((p) => (
          <ProviderCard key={p.id} provider={p} />
        ))}
      </div>
    </section>
  );
}

function AddProvider() {
  const create = useStore((s) => s.createProvider);
  const [kind, setKind] = useState<ProviderKind>('openai');
  const preset = PRESETS.find((p) => p.kind === kind)!;
  const [id, setId] = useState('openai');
  const [base, setBase] = useState('');
  const [key, setKey] = useState('');
  const [models, setModels] = useState('');
  const [governance, setGovernance] = useState<GovernanceForm>(EMPTY_GOVERNANCE);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      const manual = models.split(/[\s,]+/).filter(Boolean);
      await create({ id, kind, ...(base ? { base_url: base } : {}), ...(key ? { api_key: key } : {}), ...(manual.length ? { models: manual } : {}), governance: governanceOf(governance) });
      setKey('');
      setModels('');
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <details className="card" data-testid="provider-add">
      <summary>Add a provider</summary>
      <label className="field">
        Preset
        <select
          value={kind}
          data-testid="provider-kind"
          onChange={(e) => {
            const k = e.target.value as ProviderKind;
            setKind(k);
            setId(k === 'openai_compatible' ? 'cluster-vllm' : k === 'kserve' ? 'kserve' : k);
          }}
        >
          {PRESETS.map((p) => (
            <option key={p.kind} value={p.kind}>
              {p.label}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        Id (a slug; not huggingface, ollama, vllm or local)
        <input value={id} onChange={(e) => setId(e.target.value)} data-testid="provider-id" />
      </label>
      <label className="field">
        Base URL, up to its version path
        <input value={base} placeholder={preset.base || 'http://host:port/v1'} onChange={(e) => setBase(e.target.value)} data-testid="provider-base" />
        <span className="small muted">{preset.hint}</span>
      </label>
      <label className="field">
        API key (write-only)
        <input type="password" autoComplete="off" value={key} onChange={(e) => setKey(e.target.value)} data-testid="provider-key" />
      </label>
      <label className="field">
        Models added by hand (for endpoints without /models), comma separated
        <input value={models} onChange={(e) => setModels(e.target.value)} />
      </label>
      <GovernanceFields value={governance} onChange={setGovernance} />
      <div className="row actions">
        <button disabled={busy || !id} onClick={() => void submit()} data-testid="provider-create">
          {busy ? 'Adding…' : 'Add'}
        </button>
      </div>
      {error && (
        <div className="error" role="alert" data-testid="provider-add-error">
          {error}
        </div>
      )}
    </details>
  );
}
