import { useEffect, useState } from 'react';
import type { SettingsPatch } from '../../../shared/settings';
import { ApiError } from '../api/client';
import { useStore } from '../store';

type Field = { group: keyof SettingsPatch; key: string; label: string; type: 'text' | 'number' | 'bool'; hint?: string };

const FIELDS: Field[] = [
  { group: 'ollama', key: 'binary', label: 'Ollama binary', type: 'text', hint: 'path or name on PATH' },
  { group: 'ollama', key: 'port', label: 'Ollama port', type: 'number' },
  { group: 'ollama', key: 'modelsDir', label: 'Ollama models dir (OLLAMA_MODELS)', type: 'text' },
  { group: 'ollama', key: 'keepAlive', label: 'Ollama keep-alive', type: 'text' },
  { group: 'vllm', key: 'binary', label: 'vLLM binary', type: 'text' },
  { group: 'vllm', key: 'port', label: 'vLLM port', type: 'number' },
  { group: 'vllm', key: 'gpuMemoryUtilization', label: 'vLLM GPU memory utilization', type: 'number' },
  { group: 'vllm', key: 'maxModelLen', label: 'vLLM max model len', type: 'number' },
  { group: 'runtime', key: 'stopGraceMs', label: 'Stop grace period (ms)', type: 'number' },
  { group: 'runtime', key: 'startTimeoutMs', label: 'Start timeout (ms)', type: 'number' },
  { group: 'runtime', key: 'autoRestart', label: 'Restart a crashed runtime', type: 'bool' },
  { group: 'hub', key: 'endpoint', label: 'Hugging Face endpoint', type: 'text' },
  { group: 'downloads', key: 'concurrency', label: 'Parallel downloads', type: 'number' },
  { group: 'downloads', key: 'parallelParts', label: 'Connections per large file', type: 'number' },
  { group: 'network', key: 'proxy', label: 'Proxy', type: 'text', hint: 'http://proxy.example:3128 (HTTPS_PROXY / HTTP_PROXY win)' },
  { group: 'network', key: 'noProxy', label: 'No proxy for', type: 'text', hint: 'comma-separated hosts, domains, CIDRs (NO_PROXY); loopback never uses the proxy' },
  { group: 'catalog', key: 'offline', label: 'Offline mode', type: 'bool' },
  { group: 'catalog', key: 'ttlMinutes', label: 'Catalog cache TTL (min)', type: 'number' },
  { group: 'ui', key: 'closeToTray', label: 'Close to tray', type: 'bool' },
  { group: 'ui', key: 'minimizeToTray', label: 'Minimize to tray', type: 'bool' },
  { group: 'ui', key: 'notifications', label: 'System notifications (installs, activations, crashes)', type: 'bool' },
  { group: 'gpu', key: 'nvidiaSmiBinary', label: 'nvidia-smi binary', type: 'text', hint: 'path or name on PATH (SWITCHYARD_NVIDIA_SMI_BIN)' },
  { group: 'gpu', key: 'sampleIntervalMs', label: 'GPU sample interval (ms, on restart)', type: 'number' },
];

export function SettingsScreen() {
  const settings = useStore((s) => s.settings);
  const load = useStore((s) => s.loadSettings);
  const save = useStore((s) => s.saveSettings);
  const [message, setMessage] = useState<string | null>(null);
  useEffect(() => {
    void load().catch(() => {});
  }, [load]);
  if (!settings) return <section className="screen">Loading settings…</section>;

  const value = (f: Field) => (settings.settings[f.group] as Record<string, unknown>)[f.key];
  const commit = async (f: Field, raw: string | boolean) => {
    let v: unknown = raw;
    if (f.type === 'number') v = raw === '' ? null : Number(raw);
    if (f.type === 'text' && raw === '') v = null;
    try {
      await save({ [f.group]: { [f.key]: v } } as SettingsPatch);
      setMessage(`Saved ${f.label}.`);
    } catch (error) {
      setMessage(error instanceof ApiError ? error.message : String(error));
    }
  };

  return (
    <section className="screen">
      <h1>Settings</h1>
      <dl className="facts">
        <dt>Data dir</dt>
        <dd className="mono" data-testid="settings-data-dir">{settings.paths.data_dir}</dd>
        <dt>HF cache</dt>
        <dd className="mono">{settings.paths.hf_hub_cache}</dd>
        <dt>Logs</dt>
        <dd className="mono">{settings.paths.log_dir}</dd>
      </dl>
      <form className="settings-form" onSubmit={(e) => e.preventDefault()}>
        {FIELDS.map((f) => {
          const overridden = settings.overridden.includes(`${f.group}.${f.key}`);
          const v = value(f);
          return (
            <label key={`${f.group}.${f.key}`} className="field">
              <span>
                {f.label}
                {overridden && <em className="muted"> (set by a flag or env var)</em>}
              </span>
              {f.type === 'bool' ? (
                <input type="checkbox" checked={Boolean(v)} disabled={overridden} onChange={(e) => void commit(f, e.target.checked)} />
              ) : (
                <input
                  defaultValue={v === null || v === undefined ? '' : String(v)}
                  placeholder={f.hint}
                  disabled={overridden}
                  type={f.type === 'number' ? 'number' : 'text'}
                  onBlur={(e) => e.target.value !== String(v ?? '') && void commit(f, e.target.value)}
                />
              )}
            </label>
          );
        })}
      </form>
      {message && <p className="muted" role="status">{message}</p>}
    </section>
  );
}
