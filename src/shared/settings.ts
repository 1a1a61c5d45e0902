import { z } from 'zod';
import { vllmSettingsShape } from './vllm-flags';
import { RuntimeName } from './api/runtimes';

/**
 * User settings. Stored per group in the `settings` table; effective values are
 * flags > env > stored > defaults (see src/main/config.ts).
 */
const noControl = (s: string) => !/[\u0000-\u001f\u007f]/.test(s);
/** A filesystem path or a program name: no control characters, within PATH_MAX. */
const PathValue = z.string().min(1).max(4096).refine(noControl, 'must not contain control characters');
/**
 * An IP address or host name (RFC 1123), brackets allowed around IPv6. The pattern backtracks
 * quadratically on a run of colons, so it runs only within the length limit: zod runs every check even
 * after `max` failed unless that one aborts (every pattern on input is linear or bounded this way).
 */
const HostValue = z
  .string()
  .max(253, { abort: true })
  .regex(/^(?:\[[0-9a-fA-F:.]+\]|[0-9a-fA-F:]*:[0-9a-fA-F:.]*|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)$/, 'must be an IP address or a host name');
/** An http(s) URL, as the Hub endpoint and catalog sources are. */
const HttpUrl = z
  .string()
  .max(2048, { abort: true })
  .refine(noControl, 'must not contain control characters')
  .refine((s) => /^https?:\/\/[^\s/]+/i.test(s) && URL.canParse(s), 'must be an http:// or https:// URL');
const EnvMap = z
  .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be an environment variable name'), z.string().max(8192).refine((s) => !s.includes('\u0000'), 'must not contain NUL'))
  .refine((m) => Object.keys(m).length <= 64, 'at most 64 variables');
/** Extra command-line arguments: a launch must stay far below the kernel's argument limit (E2BIG). */
const ExtraArgs = z.array(z.string().max(4096).refine((s) => !s.includes('\u0000'), 'must not contain NUL')).max(64, 'at most 64 extra arguments');

const DURATION_UNITS = ['ns', 'us', 'µs', 'ms', 's', 'm', 'h'] as const; // two-letter units before `m`

/**
 * Ollama's keep-alive duration: an optional `-`, then numbers (`1`, `1.5`) each with an optional unit
 * (`1h30m`, `-1`, `0`), the language the old pattern `^-?(?:\d+(?:\.\d+)?(?:ns|…|h)?)+$` accepted. Read by
 * hand in one pass: that pattern nests `\d+` in `(…)+` and backtracked exponentially (30 digits and an
 * `x` froze the server for seconds). Greedy is exact: after a unit only a digit may follow, so the
 * longest unit that fits is the only one that can lead to a match.
 */
export function isOllamaDuration(s: string): boolean {
  let i = s.startsWith('-') ? 1 : 0;
  const digits = () => {
    const start = i;
    while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
    return i > start;
  };
  if (i === s.length) return false;
  while (i < s.length) {
    if (!digits()) return false;
    if (s[i] === '.') {
      i++;
      if (!digits()) return false;
    }
    i += DURATION_UNITS.find((unit) => s.startsWith(unit, i))?.length ?? 0;
  }
  return true;
}

export const OllamaSettings = z.object({
  binary: PathValue.nullable().default(null),
  host: HostValue.default('127.0.0.1'),
  port: z.number().int().min(1).max(65535).default(11434),
  modelsDir: PathValue.nullable().default(null),
  /** Ollama's duration syntax (`5m`, `1h30m`, `-1` for forever, `0`) */
  keepAlive: z.string().max(32, { abort: true }).refine(isOllamaDuration, 'must be a duration such as 5m, 1h or -1').default('5m'),
  env: EnvMap.default({}),
});

export const VllmSettings = z.object({
  binary: PathValue.nullable().default(null),
  host: HostValue.default('127.0.0.1'),
  port: z.number().int().min(1).max(65535).default(8000),
  // the launch flags that are also global settings, from the one vLLM flag table
  ...vllmSettingsShape(),
  extraArgs: ExtraArgs.default([]),
  env: EnvMap.default({}),
});

/**
 * The settings every runtime has, for a runtime without a group of its own in this schema (a driver
 * registered by a newer build, a plugin, a test): stored under `runtimes.<id>`, validated by this one
 * shape, so a new runtime needs no change here. No `env`: runtime environments may hold secrets, kept
 * out of the database only for the groups `settings-secrets.ts` knows.
 */
export const RuntimeGroupSettings = z.object({
  binary: PathValue.nullable().default(null),
  host: HostValue.default('127.0.0.1'),
  /** null: the runtime's own default port */
  port: z.number().int().min(1).max(65535).nullable().default(null),
  extraArgs: ExtraArgs.default([]),
});
export type RuntimeGroupSettings = z.infer<typeof RuntimeGroupSettings>;

/** Runtime `id`'s settings in the common shape (defaults where none are stored). */
export function runtimeGroup(settings: Pick<Settings, 'runtimes'>, id: string): RuntimeGroupSettings {
  return settings.runtimes[id] ?? RuntimeGroupSettings.parse({});
}

export const RuntimeSupervisionSettings = z.object({
  stopGraceMs: z.number().int().min(0).max(600_000).default(10_000),
  startTimeoutMs: z.number().int().min(1_000).max(6 * 3600_000).default(15 * 60_000),
  autoRestart: z.boolean().default(false),
  maxAutoRestarts: z.number().int().min(0).max(100).default(3),
  logMaxBytes: z.number().int().min(64 * 1024).default(10 * 1024 * 1024),
  /** how often a ready (or external) runtime is asked whether it still answers */
  healthIntervalMs: z.number().int().min(20).max(600_000).default(10_000),
  /** missed health probes in a row before a runtime is `unresponsive` (an external one: gone) */
  healthMisses: z.number().int().min(1).max(100).default(3),
  /** the OpenAI endpoint gives up on a runtime that sends no response headers for this long (504) */
  proxyHeadersTimeoutMs: z.number().int().min(100).max(3_600_000).default(600_000),
  /** …and on a response that sends nothing more for this long (a stream ends with an error event) */
  proxyIdleTimeoutMs: z.number().int().min(100).max(3_600_000).default(120_000),
});

export const HubSettings = z.object({
  endpoint: HttpUrl.default('https://huggingface.co'),
  /** stored in the secret store, never in the database; the API returns it masked (`hf_…1234`) */
  token: z.string().max(512).regex(/^\S*$/, 'must not contain spaces').nullable().default(null),
  home: PathValue.nullable().default(null),
  hubCache: PathValue.nullable().default(null),
});

export const DownloadSettings = z.object({
  concurrency: z.number().int().min(1).max(16).default(4),
  maxRetries: z.number().int().min(0).max(50).default(5),
  minFreePercent: z.number().min(0).max(100).default(10),
  maxStorageBytes: z.number().int().positive().nullable().default(null),
  /** files at least this big are fetched in ranged pieces over up to `parallelParts` connections (as many as raise the throughput) */
  parallelThresholdBytes: z.number().int().min(1024 * 1024).max(2 ** 50).default(64 * 1024 * 1024),
  /** connections per large file (1: one stream); a few MiB of memory each at most */
  parallelParts: z.number().int().min(1).max(16).default(4),
  /** snapshots kept per Hub repo after an update (the served and the pinned one are always kept) */
  keepRevisions: z.number().int().min(1).max(20).default(2),
});

/** The disks that hold models (the HF cache, Ollama's models folder). */
export const StorageSettings = z.object({
  /** past this use of a disk, one `storage.alert` event and a notification per crossing */
  alertPercent: z.number().min(1).max(100).default(85),
});

/** Outbound connections (Hub, CDN, catalog sources). HTTPS_PROXY / HTTP_PROXY / ALL_PROXY / NO_PROXY (any case) win over these. */
export const NetworkSettings = z.object({
  /** proxy for http and https, e.g. `http://proxy.corp:3128` (null: direct) */
  proxy: z
    .string()
    .max(2048)
    .regex(/^(https?|socks5?h?):\/\/[^\s]+$/i, 'a proxy URL such as http://proxy.example:3128')
    .nullable()
    .default(null),
  /** hosts, domains, IPs or CIDRs that skip the proxy, comma separated (as NO_PROXY); loopback always does */
  noProxy: z
    .string()
    .max(4096)
    .regex(/^[^\r\n\0]*$/, 'one line of comma-separated hosts')
    .nullable()
    .default(null),
});

export const CatalogSettings = z.object({
  offline: z.boolean().default(false),
  ttlMinutes: z.number().min(0).max(7 * 24 * 60).default(30),
  connectTimeoutMs: z.number().int().min(100).max(60_000).default(4_000),
  ollamaLibraryUrl: HttpUrl.default('https://ollama.com'),
  /** vLLM's model registry source, read on an explicit catalog refresh to update the supported architectures */
  vllmRegistryUrl: HttpUrl.default('https://raw.githubusercontent.com/vllm-project/vllm/main/vllm/model_executor/models/registry.py'),
});

export const GpuSettings = z.object({
  /** nvidia-smi path or name on PATH (env SWITCHYARD_NVIDIA_SMI_BIN) */
  nvidiaSmiBinary: PathValue.nullable().default(null),
  sampleIntervalMs: z.number().int().min(250).max(60_000).default(1_000),
});

export const UiSettings = z.object({
  closeToTray: z.boolean().default(true),
  /** minimizing the window hides it to the tray (desktop app) */
  minimizeToTray: z.boolean().default(false),
  notifications: z.boolean().default(true),
});

/** Remote providers: one budget over all of them (each provider has its own too). */
export const ProvidersSettings = z.object({
  /** past this spend in the period, a `provider.budget` event and a notification */
  budgetSoftUsd: z.number().min(0).max(1e9).nullable().default(null),
  /** past this spend in the period, every remote request is refused with 429 `budget_exceeded` */
  budgetHardUsd: z.number().min(0).max(1e9).nullable().default(null),
  budgetPeriod: z.enum(['day', 'month']).default('month'),
});

/** The router behind `/v1` (issue 30): health checks of remote providers, load on demand, idle unload. */
export const RouterSettings = z.object({
  /** seconds between health checks of each enabled remote provider (`GET …/models`); 0 = off */
  healthIntervalSeconds: z.number().int().min(0).max(86_400).default(60),
  /** a request naming an installed local model that is not loaded loads it into its slot */
  loadOnDemand: z.boolean().default(false),
  /** a slot whose model had no request for this long is unloaded; 0 = never */
  idleUnloadMinutes: z.number().min(0).max(7 * 24 * 60).default(0),
  /** how long a request waits for a load on demand before it is answered 504 */
  loadTimeoutSeconds: z.number().int().min(1).max(6 * 3600).default(600),
});

export const Settings = z.object({
  ollama: OllamaSettings.default(OllamaSettings.parse({})),
  vllm: VllmSettings.default(VllmSettings.parse({})),
  /** every other runtime's settings by its id, in the common shape */
  runtimes: z.record(RuntimeName, RuntimeGroupSettings).default({}),
  runtime: RuntimeSupervisionSettings.default(RuntimeSupervisionSettings.parse({})),
  hub: HubSettings.default(HubSettings.parse({})),
  downloads: DownloadSettings.default(DownloadSettings.parse({})),
  catalog: CatalogSettings.default(CatalogSettings.parse({})),
  network: NetworkSettings.default(NetworkSettings.parse({})),
  ui: UiSettings.default(UiSettings.parse({})),
  gpu: GpuSettings.default(GpuSettings.parse({})),
  providers: ProvidersSettings.default(ProvidersSettings.parse({})),
  storage: StorageSettings.default(StorageSettings.parse({})),
  router: RouterSettings.default(RouterSettings.parse({})),
});
export type Settings = z.infer<typeof Settings>;
export type SettingsGroup = keyof Settings;
export const settingsGroups = Object.keys(Settings.shape) as SettingsGroup[];

/**
 * A partial update: groups with some of their fields. Built from the unwrapped field types, because
 * zod's `.partial()` would still fill in defaults and silently reset the fields a patch leaves out.
 */
function patchOf<T extends z.ZodRawShape>(group: z.ZodObject<T>) {
  const shape = Object.fromEntries(
    Object.entries(group.shape).map(([key, field]) => [key, ((field instanceof z.ZodDefault ? field.unwrap() : field) as z.ZodType).optional()]),
  ) as unknown as { [K in keyof T]: z.ZodOptional<T[K] extends z.ZodDefault<infer I> ? I : T[K]> };
  // strict: a misspelt key is refused (400 naming it), never silently dropped
  return z.strictObject(shape);
}

export const SettingsPatch = z.strictObject({
  ollama: patchOf(OllamaSettings).optional(),
  vllm: patchOf(VllmSettings).optional(),
  /** by runtime id, each with some of its fields (merged with what is stored) */
  runtimes: z.record(RuntimeName, patchOf(RuntimeGroupSettings)).optional(),
  runtime: patchOf(RuntimeSupervisionSettings).optional(),
  hub: patchOf(HubSettings).optional(),
  downloads: patchOf(DownloadSettings).optional(),
  catalog: patchOf(CatalogSettings).optional(),
  network: patchOf(NetworkSettings).optional(),
  ui: patchOf(UiSettings).optional(),
  gpu: patchOf(GpuSettings).optional(),
  providers: patchOf(ProvidersSettings).optional(),
  storage: patchOf(StorageSettings).optional(),
  router: patchOf(RouterSettings).optional(),
});
export type SettingsPatch = z.infer<typeof SettingsPatch>;

export const SettingsResponse = z.object({
  success: z.literal(true),
  settings: Settings,
  /** dotted paths whose effective value comes from a flag or env var, not from the stored settings */
  overridden: z.array(z.string()),
  paths: z.object({ data_dir: z.string(), hf_hub_cache: z.string(), log_dir: z.string(), db: z.string() }),
});
