import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { NetworkSettings, Settings, SettingsPatch, settingsGroups, type SettingsGroup } from '../shared/settings';
import type { SettingsRepo } from './db/settings-repo';
import { isMasked, type SecretStore } from './secrets';
import { envHasProxy, proxyFromEnv } from './net/proxy-env';

/** What the process was started with: command-line flags and environment. */
export const StartupOptions = z.object({
  dataDir: z.string(),
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(8765),
  token: z.string().min(16).optional(),
  /** env vars the core reads (a copy, so tests can pass their own) */
  env: z.record(z.string(), z.string().optional()).default({}),
  /** settings forced by flags (highest precedence) */
  flagOverrides: SettingsPatch.default({}),
  rendererDir: z.string().optional(),
});
export type StartupOptions = z.input<typeof StartupOptions>;
export type ResolvedStartupOptions = z.output<typeof StartupOptions>;

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SWITCHYARD_DATA_DIR) return resolve(env.SWITCHYARD_DATA_DIR);
  const xdg = env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(xdg, 'switchyard');
}

/** Parses `serve`/CLI flags (`--port`, `--host`, `--data-dir`, `--offline`) on top of env. */
export function startupFromArgv(argv: string[], env: NodeJS.ProcessEnv = process.env): StartupOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      offline: { type: 'boolean' },
    },
    strict: false,
    allowPositionals: true,
  });
  if (env.SWITCHYARD_TOKEN && env.SWITCHYARD_TOKEN.length < 16) {
    throw new Error(`SWITCHYARD_TOKEN is too short (${env.SWITCHYARD_TOKEN.length} characters): use at least 16, e.g. export SWITCHYARD_TOKEN=$(openssl rand -base64 24), or unset it to use the generated token.`);
  }
  const port = values.port ?? env.SWITCHYARD_PORT;
  const dataDir = typeof values['data-dir'] === 'string' ? resolve(values['data-dir']) : defaultDataDir(env);
  return {
    dataDir,
    host: (typeof values.host === 'string' ? values.host : undefined) ?? env.SWITCHYARD_HOST ?? '127.0.0.1',
    port: port !== undefined && typeof port === 'string' ? Number.parseInt(port, 10) : 8765,
    token: env.SWITCHYARD_TOKEN || undefined,
    env: { ...env },
    flagOverrides: values.offline === true ? { catalog: { offline: true } } : {},
  };
}

/** Env vars that override stored settings, as dotted setting paths. */
function envOverrides(env: Record<string, string | undefined>): SettingsPatch {
  const patch: Record<string, Record<string, unknown>> = {};
  const set = (group: SettingsGroup, key: string, value: unknown) => {
    (patch[group] ??= {})[key] = value;
  };
  const int = (v: string) => Number.parseInt(v, 10);
  if (env.SWITCHYARD_OLLAMA_BIN) set('ollama', 'binary', env.SWITCHYARD_OLLAMA_BIN);
  if (env.SWITCHYARD_VLLM_BIN) set('vllm', 'binary', env.SWITCHYARD_VLLM_BIN);
  if (env.SWITCHYARD_NVIDIA_SMI_BIN) set('gpu', 'nvidiaSmiBinary', env.SWITCHYARD_NVIDIA_SMI_BIN);
  if (env.SWITCHYARD_OLLAMA_PORT) set('ollama', 'port', int(env.SWITCHYARD_OLLAMA_PORT));
  if (env.SWITCHYARD_VLLM_PORT) set('vllm', 'port', int(env.SWITCHYARD_VLLM_PORT));
  if (env.OLLAMA_MODELS) set('ollama', 'modelsDir', env.OLLAMA_MODELS);
  if (env.SWITCHYARD_OFFLINE && env.SWITCHYARD_OFFLINE !== '0') set('catalog', 'offline', true);
  if (env.SWITCHYARD_OLLAMA_LIBRARY_URL) set('catalog', 'ollamaLibraryUrl', env.SWITCHYARD_OLLAMA_LIBRARY_URL.replace(/\/+$/, ''));
  if (env.HF_ENDPOINT) set('hub', 'endpoint', env.HF_ENDPOINT.replace(/\/+$/, ''));
  if (env.HF_HOME) set('hub', 'home', env.HF_HOME);
  if (env.HF_HUB_CACHE) set('hub', 'hubCache', env.HF_HUB_CACHE);
  // shown as overriding Settings → Network; the net layer reads each scheme's variable itself
  const envProxy = proxyFromEnv(env);
  const shownProxy = NetworkSettings.shape.proxy.safeParse(envProxy.httpsProxy ?? envProxy.httpProxy);
  if (envHasProxy(env) && shownProxy.success) set('network', 'proxy', shownProxy.data);
  const shownNoProxy = NetworkSettings.shape.noProxy.safeParse(envProxy.noProxy);
  if (envProxy.noProxy && shownNoProxy.success) set('network', 'noProxy', shownNoProxy.data);
  return SettingsPatch.parse(patch);
}

function applyPatch(base: Settings, patch: SettingsPatch): Settings {
  const out = structuredClone(base) as Record<string, Record<string, unknown>>;
  for (const [group, values] of Object.entries(patch)) {
    if (!values) continue;
    for (const [key, value] of Object.entries(values)) if (value !== undefined) out[group]![key] = value;
  }
  return Settings.parse(out);
}

function patchPaths(patch: SettingsPatch): string[] {
  return Object.entries(patch).flatMap(([group, values]) =>
    Object.entries(values ?? {})
      .filter(([, v]) => v !== undefined)
      .map(([key]) => `${group}.${key}`),
  );
}

type SettingsListener = (settings: Settings) => void;

/**
 * Effective settings: flags > env > stored > defaults. The stored layer is the only one users edit;
 * an edit to a field that a flag or env var overrides is stored but does not take effect.
 */
export class SettingsService {
  private effective: Settings;
  private readonly overrides: SettingsPatch;
  private readonly listeners = new Set<SettingsListener>();

  constructor(
    private readonly repo: SettingsRepo,
    env: Record<string, string | undefined>,
    flags: SettingsPatch,
    private readonly secrets: SecretStore,
  ) {
    this.moveTokenOutOfDatabase();
    const envPatch = envOverrides(env);
    this.overrides = mergePatches(envPatch, flags);
    this.effective = this.compute();
  }

  get(): Settings {
    return this.effective;
  }

  overriddenPaths(): string[] {
    return patchPaths(this.overrides);
  }

  stored(): Settings {
    return Settings.parse(this.storedRaw());
  }

  update(input: SettingsPatch): Settings {
    const patch = structuredClone(input);
    const token = patch.hub?.token;
    // the token shown masked and sent back unchanged stays as it is
    if (typeof token === 'string' && isMasked(token)) delete patch.hub!.token;
    const current = this.stored();
    const next = applyPatch(current, patch);
    if (patch.hub && 'token' in patch.hub && patch.hub.token !== undefined) this.secrets.set('hf_token', patch.hub.token);
    for (const group of settingsGroups) if (patch[group]) this.repo.writeGroup(group, withoutSecrets(group, next[group]));
    this.effective = this.compute();
    for (const l of this.listeners) l(this.effective);
    return this.effective;
  }

  onChange(listener: SettingsListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private storedRaw(): Record<string, unknown> {
    const raw = this.repo.readGroups();
    const out: Record<string, unknown> = {};
    for (const group of settingsGroups) {
      const parsed = Settings.shape[group].safeParse(raw[group] ?? {});
      out[group] = parsed.success ? parsed.data : Settings.shape[group].parse({});
    }
    (out.hub as Settings['hub']).token = this.secrets.get('hf_token');
    return out;
  }

  /** Earlier versions kept the Hub token in the settings table: it moves to the secret store once. */
  private moveTokenOutOfDatabase(): void {
    const hub = this.repo.readGroups().hub as { token?: unknown } | undefined;
    if (!hub || typeof hub.token !== 'string' || !hub.token) return;
    if (!this.secrets.get('hf_token')) this.secrets.set('hf_token', hub.token);
    this.repo.writeGroup('hub', { ...hub, token: null });
  }

  private compute(): Settings {
    return applyPatch(Settings.parse(this.storedRaw()), this.overrides);
  }
}

function withoutSecrets<G extends SettingsGroup>(group: G, value: Settings[G]): Settings[G] {
  return group === 'hub' ? { ...value, token: null } : value;
}

function mergePatches(a: SettingsPatch, b: SettingsPatch): SettingsPatch {
  const out: Record<string, Record<string, unknown>> = {};
  for (const p of [a, b]) for (const [g, v] of Object.entries(p)) if (v) out[g] = { ...(out[g] ?? {}), ...v };
  return SettingsPatch.parse(out);
}

/** The HF cache root, as huggingface_hub computes it. */
export function hfHubCache(settings: Settings, env: Record<string, string | undefined>): string {
  if (settings.hub.hubCache) return resolve(settings.hub.hubCache);
  if (env.HUGGINGFACE_HUB_CACHE) return resolve(env.HUGGINGFACE_HUB_CACHE);
  const home = settings.hub.home ?? (env.XDG_CACHE_HOME ? join(env.XDG_CACHE_HOME, 'huggingface') : join(homedir(), '.cache', 'huggingface'));
  return join(resolve(home), 'hub');
}

/** The API token: SWITCHYARD_TOKEN, else a random one kept in the data dir with 0600 permissions. */
export function loadOrCreateToken(dataDir: string, explicit?: string): string {
  if (explicit) return explicit;
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'token');
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    if (token.length >= 16) return token;
  }
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, token, { mode: 0o600 });
  chmodSync(file, 0o600);
  return token;
}
