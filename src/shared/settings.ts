import { z } from 'zod';

/**
 * User settings. Stored per group in the `settings` table; effective values are
 * flags > env > stored > defaults (see src/main/config.ts).
 */
const EnvMap = z.record(z.string(), z.string());

export const OllamaSettings = z.object({
  binary: z.string().nullable().default(null),
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(1).max(65535).default(11434),
  modelsDir: z.string().nullable().default(null),
  keepAlive: z.string().default('5m'),
  env: EnvMap.default({}),
});

export const VllmSettings = z.object({
  binary: z.string().nullable().default(null),
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(1).max(65535).default(8000),
  gpuMemoryUtilization: z.number().gt(0).max(1).nullable().default(null),
  maxModelLen: z.number().int().positive().nullable().default(null),
  tensorParallelSize: z.number().int().positive().nullable().default(null),
  dtype: z.enum(['auto', 'half', 'float16', 'bfloat16', 'float', 'float32']).nullable().default(null),
  quantization: z.string().nullable().default(null),
  extraArgs: z.array(z.string()).default([]),
  env: EnvMap.default({}),
});

export const RuntimeSupervisionSettings = z.object({
  stopGraceMs: z.number().int().min(0).max(600_000).default(10_000),
  startTimeoutMs: z.number().int().min(1_000).max(6 * 3600_000).default(15 * 60_000),
  autoRestart: z.boolean().default(false),
  maxAutoRestarts: z.number().int().min(0).max(100).default(3),
  logMaxBytes: z.number().int().min(64 * 1024).default(10 * 1024 * 1024),
});

export const HubSettings = z.object({
  endpoint: z.string().default('https://huggingface.co'),
  token: z.string().nullable().default(null),
  home: z.string().nullable().default(null),
  hubCache: z.string().nullable().default(null),
});

export const DownloadSettings = z.object({
  concurrency: z.number().int().min(1).max(16).default(4),
  maxRetries: z.number().int().min(0).max(50).default(5),
  minFreePercent: z.number().min(0).max(100).default(10),
  maxStorageBytes: z.number().int().positive().nullable().default(null),
});

export const CatalogSettings = z.object({
  offline: z.boolean().default(false),
  ttlMinutes: z.number().min(0).max(7 * 24 * 60).default(30),
  connectTimeoutMs: z.number().int().min(100).max(60_000).default(4_000),
  ollamaLibraryUrl: z.string().default('https://ollama.com'),
  /** vLLM's model registry source, read on an explicit catalog refresh to update the supported architectures */
  vllmRegistryUrl: z.string().default('https://raw.githubusercontent.com/vllm-project/vllm/main/vllm/model_executor/models/registry.py'),
});

export const GpuSettings = z.object({
  /** nvidia-smi path or name on PATH (env SWITCHYARD_NVIDIA_SMI_BIN) */
  nvidiaSmiBinary: z.string().nullable().default(null),
  sampleIntervalMs: z.number().int().min(250).max(60_000).default(1_000),
});

export const UiSettings = z.object({
  closeToTray: z.boolean().default(true),
  /** minimizing the window hides it to the tray (desktop app) */
  minimizeToTray: z.boolean().default(false),
  notifications: z.boolean().default(true),
});

export const Settings = z.object({
  ollama: OllamaSettings.default(OllamaSettings.parse({})),
  vllm: VllmSettings.default(VllmSettings.parse({})),
  runtime: RuntimeSupervisionSettings.default(RuntimeSupervisionSettings.parse({})),
  hub: HubSettings.default(HubSettings.parse({})),
  downloads: DownloadSettings.default(DownloadSettings.parse({})),
  catalog: CatalogSettings.default(CatalogSettings.parse({})),
  ui: UiSettings.default(UiSettings.parse({})),
  gpu: GpuSettings.default(GpuSettings.parse({})),
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
  return z.object(shape);
}

export const SettingsPatch = z.object({
  ollama: patchOf(OllamaSettings).optional(),
  vllm: patchOf(VllmSettings).optional(),
  runtime: patchOf(RuntimeSupervisionSettings).optional(),
  hub: patchOf(HubSettings).optional(),
  downloads: patchOf(DownloadSettings).optional(),
  catalog: patchOf(CatalogSettings).optional(),
  ui: patchOf(UiSettings).optional(),
  gpu: patchOf(GpuSettings).optional(),
});
export type SettingsPatch = z.infer<typeof SettingsPatch>;

export const SettingsResponse = z.object({
  success: z.literal(true),
  settings: Settings,
  /** dotted paths whose effective value comes from a flag or env var, not from the stored settings */
  overridden: z.array(z.string()),
  paths: z.object({ data_dir: z.string(), hf_hub_cache: z.string(), log_dir: z.string(), db: z.string() }),
});
