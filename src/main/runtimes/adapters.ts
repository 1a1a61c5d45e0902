import { SECRET_ENV } from '../../shared/secret-env';
import type { RuntimeName } from '../../shared/api/runtimes';
import type { RuntimeFlags } from '../../shared/api/models';
import { runtimeGroup, type Settings, type SettingsPatch } from '../../shared/settings';
import { flagsFromArgs } from '../../shared/vllm-flags';
import { vllmServeArgs } from './vllm-args';
import { AppError } from '../../shared/errors';
import { isRepoFullyCached } from '../hub/cache-layout';
import { resolveHubToken } from '../hub/hub-token';
import { runtimeLabel } from '../../shared/runtimes';

export interface Endpoint {
  host: string;
  port: number;
}

export interface LaunchContext {
  settings: Settings;
  model: string | null;
  /** our own environment (copied; the child gets a copy of it plus what the runtime needs) */
  env: Record<string, string | undefined>;
  hfHubCache: string;
  /** per-model vLLM flags chosen at activation (fit estimate, user overrides); they win over settings */
  overrides?: Partial<VllmFlags>;
}

/**
 * What a vLLM launch takes beyond Settings: the flags of the vLLM flag table (API names) and the
 * commit the model was installed at, served as such (`--revision`), not whatever `refs/main` says.
 */
export type VllmFlags = RuntimeFlags & { revision: string | null; /** an imported model folder, served from there under the model's name */ path?: string | null };

export interface ProbeResult {
  ready: boolean;
  version?: string | null;
  /** the runtime answers but is not what we expect (another program on the port, wrong model) */
  mismatch?: string;
}

/** The Settings groups that configure a runtime (they hold its program's path): `ollama`, `vllm`. */
export type RuntimeSettingsGroup = { [K in keyof Settings]: Settings[K] extends { binary: string | null; host: string; port: number } ? K : never }[keyof Settings];

/** What differs between runtimes: how to start them, and how to tell they are ready. */
export interface RuntimeAdapter {
  readonly name: RuntimeName;
  readonly displayName: string;
  readonly defaultBinary: string;
  /** its own Settings group (`<group>.binary` is the program's path); absent: `runtimes.<name>`, the common shape */
  readonly settingsGroup?: RuntimeSettingsGroup;
  /** the environment variable that sets its program for a session (wins over Settings) */
  readonly binaryEnv: string;
  endpoint(settings: Settings): Endpoint;
  launch(ctx: LaunchContext): { args: string[]; env: Record<string, string> };
  /** `headers`: what the runtime's own API wants (vLLM's API key); throws an AppError when it refuses us */
  probe(baseUrl: string, model: string | null, fetchImpl: typeof fetch, signal: AbortSignal, headers?: Record<string, string>): Promise<ProbeResult>;
  /** the API key a process started with these arguments and environment demands, if any */
  apiKeyOf?(args: readonly string[], env: Record<string, string | undefined>): string | null;
  /** the launch flags found in a command line (an adopted process), for restarting it the same way */
  flagsOf?(args: readonly string[]): Partial<VllmFlags>;
  /**
   * The environment variable a random per-start API key is passed in (vLLM's VLLM_API_KEY): every start
   * gets a new one unless the user set their own, so nothing else on the machine (another process, a
   * web page) can use the runtime's port without going through Switchyard. An env var, not `--api-key`,
   * so it shows in no command line (`ps`), log line or process row.
   */
  readonly perStartKeyEnv?: string;
  /** one cheap liveness request (the periodic health probe): true when it answered in time */
  alive(baseUrl: string, fetchImpl: typeof fetch, signal: AbortSignal, headers?: Record<string, string>): Promise<boolean>;
  /**
   * "May be started by someone else" (Ollama as a system service): whether what answers on the
   * runtime's address is that runtime. `null`: nothing answers; `foreign`: another program does (it is
   * then `port_in_use`, never adopted and never sent a prompt).
   */
  identifyExternal?(baseUrl: string, fetchImpl: typeof fetch, signal: AbortSignal): Promise<{ version: string | null } | { foreign: string } | null>;
  installHint: string;
}

export function baseUrlOf(endpoint: Endpoint): string {
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return `http://${host}:${endpoint.port}`;
}

/**
 * Secrets of ours, or of the Hub, that a runtime does not get from our environment: a runtime may run
 * model code (`--trust-remote-code`), and every local user can read a process's environment through
 * its owner's tools. What a runtime needs is added back explicitly (`extra`).
 */
const SECRET_ENV_NAMES = new Set<string>(SECRET_ENV);

/** Our environment without our secrets, plus what the child needs. */
export function childEnv(env: Record<string, string | undefined>, extra: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !SECRET_ENV_NAMES.has(k)) out[k] = v;
  return { ...out, ...extra };
}

async function getJson(url: string, fetchImpl: typeof fetch, signal: AbortSignal, headers?: Record<string, string>): Promise<{ status: number; body: unknown }> {
  const res = await fetchImpl(url, { signal, headers });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  return { status: res.status, body };
}

export const ollamaAdapter: RuntimeAdapter = {
  name: 'ollama',
  displayName: runtimeLabel('ollama'),
  defaultBinary: 'ollama',
  settingsGroup: 'ollama',
  binaryEnv: 'SWITCHYARD_OLLAMA_BIN',
  installHint: 'Install Ollama (https://ollama.com/download) or set its path in Settings › Ollama binary (env SWITCHYARD_OLLAMA_BIN).',
  endpoint: (s) => ({ host: s.ollama.host, port: s.ollama.port }),
  launch({ settings, env }) {
    const o = settings.ollama;
    const extra: Record<string, string> = {
      OLLAMA_HOST: `${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`,
      OLLAMA_KEEP_ALIVE: o.keepAlive,
      ...o.env,
    };
    if (o.modelsDir) extra.OLLAMA_MODELS = o.modelsDir;
    return { args: ['serve'], env: childEnv(env, extra) };
  },
  async alive(baseUrl, fetchImpl, signal) {
    const res = await fetchImpl(`${baseUrl}/api/version`, { signal });
    await res.arrayBuffer();
    return res.status === 200;
  },
  /** Ollama answers `GET /` with "Ollama is running" and `/api/version` with its version: both, or it is not Ollama. */
  async identifyExternal(baseUrl, fetchImpl, signal) {
    let root: Response;
    try {
      root = await fetchImpl(`${baseUrl}/`, { signal });
    } catch {
      return null; // nothing listens
    }
    const text = (await root.text()).slice(0, 200);
    const { status, body } = await getJson(`${baseUrl}/api/version`, fetchImpl, signal).catch(() => ({ status: 0, body: null }));
    const version = (body as { version?: unknown } | null)?.version;
    if (root.status === 200 && text.trim() === 'Ollama is running' && status === 200 && typeof version === 'string' && /^\d+\.\d+/.test(version)) return { version };
    return { foreign: `GET / answered ${root.status}${text ? ` "${text.trim().slice(0, 60)}"` : ''}, /api/version ${status || 'failed'}` };
  },
  async probe(baseUrl, _model, fetchImpl, signal) {
    const { status, body } = await getJson(`${baseUrl}/api/version`, fetchImpl, signal);
    if (status !== 200) return { ready: false };
    const version = (body as { version?: unknown } | null)?.version;
    if (typeof version !== 'string') return { ready: false, mismatch: 'the program on this port does not answer like Ollama' };
    return { ready: true, version };
  },
};

export const vllmAdapter: RuntimeAdapter = {
  name: 'vllm',
  displayName: runtimeLabel('vllm'),
  defaultBinary: 'vllm',
  settingsGroup: 'vllm',
  binaryEnv: 'SWITCHYARD_VLLM_BIN',
  installHint: 'Install vLLM (pip install vllm) in an environment with CUDA, or set its path in Settings › vLLM binary (env SWITCHYARD_VLLM_BIN).',
  endpoint: (s) => ({ host: s.vllm.host, port: s.vllm.port }),
  launch({ settings, model, env, hfHubCache, overrides }) {
    if (!model) throw new Error('vLLM needs a model');
    const v: Partial<VllmFlags> = overrides ?? {};
    const args = vllmServeArgs(settings.vllm, model, v);
    const extra: Record<string, string> = { HF_HUB_CACHE: hfHubCache };
    if (settings.hub.home) extra.HF_HOME = settings.hub.home;
    if (settings.hub.endpoint) extra.HF_ENDPOINT = settings.hub.endpoint;
    // Fully downloaded models are served without any call to the Hub (works offline, starts faster) and
    // without the token; vLLM gets the token only when it has files to fetch (a gated repo may need it):
    // the one Switchyard uses (Settings, else HF_TOKEN, else the `hf auth login` file).
    if (v.path || isRepoFullyCached(hfHubCache, model, v.revision ?? 'main')) extra.HF_HUB_OFFLINE = '1';
    else {
      const token = resolveHubToken(settings.hub.token, env, settings.hub.home)?.token;
      if (token) extra.HF_TOKEN = token;
    }
    return { args, env: childEnv(env, { ...extra, ...settings.vllm.env }) };
  },
  flagsOf: vllmFlagsOf,
  apiKeyOf: vllmApiKey,
  perStartKeyEnv: 'VLLM_API_KEY',
  async alive(baseUrl, fetchImpl, signal) {
    const res = await fetchImpl(`${baseUrl}/health`, { signal });
    await res.arrayBuffer();
    return res.status === 200;
  },
  async probe(baseUrl, model, fetchImpl, signal, headers) {
    const health = await fetchImpl(`${baseUrl}/health`, { signal });
    await health.arrayBuffer();
    if (health.status !== 200) return { ready: false };
    const { status, body } = await getJson(`${baseUrl}/v1/models`, fetchImpl, signal, headers);
    if (status === 401) {
      // waiting would not help: fail now instead of at the start timeout
      throw new AppError(
        'runtime_failed',
        `vLLM on ${baseUrl} is up but refuses Switchyard's requests (401): it was started with an API key Switchyard does not know. Put the key in Settings › vLLM › env as VLLM_API_KEY (or extra args --api-key), or remove it.`,
      );
    }
    if (status !== 200) return { ready: false };
    const ids = Array.isArray((body as { data?: unknown })?.data) ? (body as { data: { id?: unknown }[] }).data.map((m) => m.id) : [];
    if (model && !ids.includes(model)) return { ready: false, mismatch: `vLLM on this port serves ${ids.join(', ') || 'no model'}, not ${model}` };
    let version: string | null = null;
    try {
      const v = await getJson(`${baseUrl}/version`, fetchImpl, signal);
      version = typeof (v.body as { version?: unknown })?.version === 'string' ? (v.body as { version: string }).version : null;
    } catch {
      version = null;
    }
    return { ready: true, version };
  },
};

/** `--api-key` (first value; the CLI wins) else `VLLM_API_KEY`: vLLM then guards every /v1 route with it. */
export function vllmApiKey(args: readonly string[], env: Record<string, string | undefined>): string | null {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('--api-key=')) return a.slice('--api-key='.length) || null;
    if (a === '--api-key' && args[i + 1] && !args[i + 1]!.startsWith('-')) return args[i + 1]!;
  }
  return env.VLLM_API_KEY?.trim() || null;
}

function vllmFlagsOf(args: readonly string[]): Partial<VllmFlags> {
  const out: Partial<VllmFlags> = flagsFromArgs(args);
  const revision = args.indexOf('--revision');
  if (revision >= 0 && args[revision + 1]) out.revision = args[revision + 1]!;
  // `serve <path> --served-model-name <name>`: an imported folder, restarted from the same path
  const served = args.indexOf('--served-model-name');
  const source = args[0] === 'serve' ? args[1] : undefined;
  if (source && served >= 0 && args[served + 1] && args[served + 1] !== source) out.path = source;
  return out;
}

/** The program a runtime is started with, as Settings give it (null: looked for on PATH). */
export function binarySetting(adapter: RuntimeAdapter, settings: Settings): string | null {
  return adapter.settingsGroup ? settings[adapter.settingsGroup].binary : runtimeGroup(settings, adapter.name).binary;
}

/** Where a runtime's settings are: its own group (`vllm`) or `runtimes.<name>`. */
export function settingsPathOf(adapter: RuntimeAdapter): string {
  return adapter.settingsGroup ?? `runtimes.${adapter.name}`;
}

/** Its settings' place, and the env var that sets its program (read for a group of its own only: `config.ts`'s overrides). */
export function settingsPlaceOf(adapter: RuntimeAdapter): { path: string; binaryEnv: string | null } {
  return { path: settingsPathOf(adapter), binaryEnv: adapter.settingsGroup ? adapter.binaryEnv : null };
}

/** The Settings patch that sets a runtime's program. */
export function binaryPatch(adapter: RuntimeAdapter, binary: string): SettingsPatch {
  return adapter.settingsGroup ? { [adapter.settingsGroup]: { binary } } : { runtimes: { [adapter.name]: { binary } } };
}

/** The runtimes this build supervises; a core may be given others (`RuntimeManagerDeps.adapters`). */
export const adapters: readonly RuntimeAdapter[] = [ollamaAdapter, vllmAdapter];
