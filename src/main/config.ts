import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { NetworkSettings, RuntimeGroupSettings, Settings, SettingsPatch, settingsGroups, type SettingsGroup } from '../shared/settings';
import { RuntimeName } from '../shared/api/runtimes';
import type { SettingsRepo } from './db/settings-repo';
import { isMasked, type SecretStore } from './secrets';
import { ENV_GROUPS, isSecretEnvName, refsOf, resolveRow, rowWithRefs, secretEntries } from './settings-secrets';
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
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) continue;
      // `runtimes`: a patch of one runtime's group keeps that runtime's other fields
      out[group]![key] = group === 'runtimes' ? { ...(out[group]![key] as object | undefined), ...(value as object) } : value;
    }
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
    this.moveSecretsToStore();
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

  /**
   * Stores a patch, its secrets included, all or nothing: new secret values first, under new keys the
   * rows do not name yet; then every patched row, naming them, in one transaction; then the versions
   * nothing names any more are dropped. A failure (a full disk: 507) or a crash anywhere leaves the
   * settings in use as they were or as asked, never a mix, and nothing of the refused patch active.
   */
  update(input: SettingsPatch): Settings {
    const patch = structuredClone(input);
    const current = this.stored();
    keepMaskedSecrets(patch, current);
    const next = applyPatch(current, patch);
    const groups = settingsGroups.filter((group) => patch[group]);
    const rows = this.repo.readGroups();
    const known = new Map(groups.flatMap((group) => [...refsOf(group, rows[group])]));
    const keys = new Map<string, string>();
    const fresh = new Map<string, string>();
    for (const group of groups) {
      for (const [path, value] of secretEntries(group, next[group])) {
        const key = known.get(path);
        if (key && this.secrets.get(key) === value) keys.set(path, key);
        else fresh.set(path, value);
      }
    }
    for (const [path, key] of this.secrets.add(fresh, SETTINGS_SECRET)) keys.set(path, key);
    try {
      this.repo.writeGroups(Object.fromEntries(groups.map((group) => [group, rowWithRefs(group, next[group], keys)])));
    } finally {
      // refused: the new versions go again; stored: the ones they replace do
      this.dropUnusedSecrets();
    }
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
      const row = resolveRow(group, raw[group] ?? {}, (key) => this.secrets.get(key));
      const parsed = Settings.shape[group].safeParse(row);
      out[group] = parsed.success ? parsed.data : group === 'runtimes' ? validRuntimeGroups(row) : Settings.shape[group].parse({});
    }
    return out;
  }

  private dropUnusedSecrets(): void {
    const rows = this.repo.readGroups();
    const named = new Set(Object.entries(rows).flatMap(([group, row]) => [...refsOf(group, row).values()]));
    this.secrets.retain((key) => key.startsWith(SETTINGS_SECRET) || key === 'hf_token', named);
  }

  /**
   * Earlier versions kept the Hub token in the settings table, then in the secret store under
   * `hf_token` with no reference, and runtime env secrets in the table: each moves to a version its row
   * names. A secret found in clear in a row (an old database, a hand edit) moves on every start.
   */
  private moveSecretsToStore(): void {
    const rows = this.repo.readGroups() as Record<string, Record<string, unknown> | undefined>;
    const firstRun = (this.repo.readState<number>(SECRETS_LAYOUT) ?? 1) < 2;
    const keys = new Map<string, string>();
    const fresh = new Map<string, string>();
    const hubToken = rows.hub?.token;
    if (typeof hubToken === 'string' && hubToken) fresh.set('hub.token', hubToken);
    else if (firstRun && !refsOf('hub', rows.hub).size && this.secrets.get('hf_token')) keys.set('hub.token', 'hf_token');
    for (const group of ENV_GROUPS) {
      for (const [name, value] of Object.entries((rows[group]?.env as Record<string, unknown> | undefined) ?? {})) {
        if (isSecretEnvName(name) && typeof value === 'string') fresh.set(`${group}.env.${name}`, value);
      }
    }
    for (const [path, key] of this.secrets.add(fresh, SETTINGS_SECRET)) keys.set(path, key);
    const moved: Record<string, Record<string, unknown>> = {};
    for (const [path, key] of keys) {
      const [group, field, name] = path.split('.') as [string, string, string | undefined];
      const row = (moved[group] ??= { ...rows[group] });
      row[field] = name ? { ...(row[field] as Record<string, unknown>), [name]: { $secret: key } } : { $secret: key };
    }
    // the layout mark goes with the rows: `hf_token` is adopted once, never again after it was dropped
    if (keys.size || firstRun) this.repo.writeGroups(moved, { [SECRETS_LAYOUT]: 2 });
    this.dropUnusedSecrets();
  }

  private compute(): Settings {
    return applyPatch(Settings.parse(this.storedRaw()), this.overrides);
  }
}

/** The runtime groups of a stored `runtimes` row that are valid, each on its own: a bad one (a hand edit) does not reset the others. */
function validRuntimeGroups(row: unknown): Record<string, RuntimeGroupSettings> {
  const out: Record<string, RuntimeGroupSettings> = {};
  if (!row || typeof row !== 'object') return out;
  for (const [id, value] of Object.entries(row)) {
    const parsed = RuntimeGroupSettings.safeParse(value);
    if (RuntimeName.safeParse(id).success && parsed.success) out[id] = parsed.data;
  }
  return out;
}

/** where stored secrets live: 2 = versions in the secret store that the rows name */
const SECRETS_LAYOUT = 'secrets_layout';
/** the secret store's keys for settings versions (other keys, such as remote providers' API keys, are not ours to drop) */
const SETTINGS_SECRET = 'settings:';

/** A secret sent back as the API showed it (masked) keeps the stored value. */
function keepMaskedSecrets(patch: SettingsPatch, current: Settings): void {
  if (typeof patch.hub?.token === 'string' && isMasked(patch.hub.token)) delete patch.hub.token;
  for (const group of ENV_GROUPS) {
    const env = patch[group]?.env;
    if (!env) continue;
    for (const [name, value] of Object.entries(env)) {
      const stored = current[group].env[name];
      if (isSecretEnvName(name) && isMasked(value) && stored !== undefined) env[name] = stored;
    }
  }
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
