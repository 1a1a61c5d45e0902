import { useEffect, useState } from 'react';
import { kserveProvider, type KserveExportResponse, type KserveStorage } from '../../../shared/api/kserve';
import { ApiError } from '../api/client';
import { sy } from '../api/endpoints';
import { Dialog } from './Dialog';
import { Linkified } from './Linkified';

const GPU_COUNTS = ['', '1', '2', '4', '8'];
const STORAGE: { value: KserveStorage; label: string; hint: string }[] = [
  { value: 'hf', label: 'Hugging Face (storage initializer)', hint: 'hf://repo:commit — KServe fetches the files before the runtime starts' },
  { value: 'runtime', label: 'Runtime download', hint: 'no storageUri — the runtime downloads the repo at the commit itself' },
  { value: 'pvc', label: 'Volume (PVC)', hint: 'pvc://claim/path — the files are already on a volume' },
];
const message = (e: unknown) => (e instanceof ApiError || e instanceof Error ? e.message : String(e));

/**
 * Installed › model › "Deploy to KServe…": the model as a KServe InferenceService for the cluster's
 * GPUs, the server's validation of it, the YAML to copy or save, the `kubectl apply` line, and once it
 * is deployed, registering its URL back as a `kserve` remote provider. Every rule is the server's.
 */
export function KserveDialog({ name, onClose, catalog = false }: { name: string; onClose(): void; /** a catalog model not installed: previewed at the Hub's current commit */ catalog?: boolean }) {
  const [serviceName, setServiceName] = useState('');
  const [gpuMemory, setGpuMemory] = useState('');
  const [gpus, setGpus] = useState('');
  const [storage, setStorage] = useState<KserveStorage>('hf');
  const [pvc, setPvc] = useState('');
  const [namespace, setNamespace] = useState('');
  const [tokenSecret, setTokenSecret] = useState('');
  const [result, setResult] = useState<KserveExportResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [note, setNote] = useState<string | null>(null);
  const [serviceUrl, setServiceUrl] = useState('');
  const [registered, setRegistered] = useState<string | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    // typing a GPU size asks once it pauses, not on every key
    const timer = setTimeout(() => {
      setLoading(true);
      const query = { name: serviceName || undefined, gpu_memory_gib: gpuMemory || undefined, gpus: gpus || undefined, storage, pvc: storage === 'pvc' ? pvc || undefined : undefined, namespace: namespace || undefined, hf_token_secret: storage === 'runtime' ? tokenSecret || undefined : undefined };
      (catalog ? sy.kserve.preview : sy.kserve.export)(name, query, controller.signal)
        .then((r) => {
          setResult(r);
          setError(null);
          if (!gpuMemory) setGpuMemory(String(r.gpu_memory_gib));
        })
        .catch((e: unknown) => {
          if ((e as Error).name === 'AbortError') return;
          setResult(null);
          setError(message(e));
        })
        .finally(() => setLoading(false));
    }, 250);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [name, catalog, serviceName, gpuMemory, gpus, storage, pvc, namespace, tokenSecret]);

  const copy = async () => {
    if (!result) return;
    try {
      await navigator.clipboard.writeText(result.yaml);
      setNote('Copied.');
    } catch (e) {
      setNote(`Could not copy (${message(e)}): select the YAML and copy it by hand.`);
    }
  };
  const save = () => {
    if (!result) return;
    const url = URL.createObjectURL(new Blob([result.yaml], { type: 'application/yaml' }));
    const a = Object.assign(document.createElement('a'), { href: url, download: result.file_name });
    a.click();
    URL.revokeObjectURL(url);
    setNote(`Saved as ${result.file_name}.`);
  };
  const register = async () => {
    if (!result) return;
    try {
      const { provider } = await sy.remote.create(kserveProvider(result, serviceUrl));
      setRegistered(`Registered as provider "${provider.id}". Validate it under Providers, then use ${result.model} from there.`);
    } catch (e) {
      setRegistered(null);
      setError(message(e));
    }
  };

  const ok = result?.validation.ok === true;
  return (
    <Dialog title={`Deploy ${name} to KServe`} onClose={onClose} testId="kserve-dialog">
      <p className="muted">
        <span className="mono">{name}</span> as an InferenceService for KServe’s Hugging Face runtime: the same files, at the commit installed here, sized for the cluster’s GPUs.
      </p>
      <div className="row">
        <label>
          GPU memory (GiB){' '}
          <input type="number" min="1" step="1" value={gpuMemory} onChange={(e) => setGpuMemory(e.target.value)} placeholder="this machine’s" data-testid="kserve-gpu-memory" />
        </label>
        <label>
          GPUs per replica{' '}
          <select value={gpus} onChange={(e) => setGpus(e.target.value)} data-testid="kserve-gpus">
            {GPU_COUNTS.map((n) => (
              <option key={n} value={n}>
                {n || 'as the fit needs'}
              </option>
            ))}
          </select>
        </label>
        <label>
          Namespace <input value={namespace} onChange={(e) => setNamespace(e.target.value)} placeholder="kubectl’s current" />
        </label>
        <label>
          Service name <input value={serviceName} onChange={(e) => setServiceName(e.target.value.toLowerCase())} placeholder={result?.name ?? 'from the model'} data-testid="kserve-service-name" />
        </label>
      </div>
      <fieldset className="row">
        <legend className="sr-only">Where the files come from</legend>
        {STORAGE.map((s) => (
          <label key={s.value} title={s.hint}>
            <input type="radio" name="kserve-storage" checked={storage === s.value} onChange={() => setStorage(s.value)} data-testid={`kserve-storage-${s.value}`} /> {s.label}
          </label>
        ))}
      </fieldset>
      {storage === 'pvc' && (
        <label>
          Claim and path <input value={pvc} onChange={(e) => setPvc(e.target.value)} placeholder="models/qwen3-0.6b" data-testid="kserve-pvc" />
        </label>
      )}
      {storage === 'runtime' && (
        <label>
          Secret with HF_TOKEN (gated or private repos) <input value={tokenSecret} onChange={(e) => setTokenSecret(e.target.value)} placeholder="hf-secret" />
        </label>
      )}
      {loading && <p className="muted">Rendering…</p>}
      {error && (
        <p className="error" data-testid="kserve-error">
          <Linkified text={error} />
        </p>
      )}
      {result && (
        <>
          <p data-testid="kserve-summary">
            <span className={`badge ${ok ? 'badge-ok' : 'badge-bad'}`}>{ok ? 'valid' : 'not valid'}</span> {result.gpus} × {result.gpu_memory_gib} GiB GPU{result.gpus > 1 ? 's' : ''} · context{' '}
            {result.max_model_len.toLocaleString()} tokens · commit <span className="mono">{result.commit.slice(0, 12)}</span>
          </p>
          {[...result.validation.errors.map((i) => ['error', i] as const), ...result.validation.warnings.map((i) => ['hint', i] as const)].map(([kind, issue], n) => (
            <p key={n} className={kind} data-testid={`kserve-${kind}`}>
              <Linkified text={issue.message} />
            </p>
          ))}
          <pre className="mono small" tabIndex={0} aria-label="InferenceService YAML" data-testid="kserve-yaml">
            {result.yaml}
          </pre>
          <div className="actions row">
            <button onClick={() => void copy()} disabled={!ok}>
              Copy
            </button>
            <button onClick={save} disabled={!ok} data-testid="kserve-save">
              Save…
            </button>
            {note && <span className="muted small">{note}</span>}
          </div>
          <p className="muted small">
            Then: <span className="mono">{result.kubectl}</span>
          </p>
          <div className="row">
            <label>
              Service URL once it is ready{' '}
              <input value={serviceUrl} onChange={(e) => setServiceUrl(e.target.value)} placeholder={`kubectl get isvc ${result.name} -o jsonpath='{.status.url}'`} data-testid="kserve-service-url" />
            </label>
            <button onClick={() => void register()} disabled={!ok || !serviceUrl.trim()} data-testid="kserve-register">
              Register the deployed endpoint
            </button>
          </div>
          {registered && <p className="hint">{registered}</p>}
        </>
      )}
    </Dialog>
  );
}
