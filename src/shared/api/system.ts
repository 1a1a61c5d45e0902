import { z } from 'zod';
import { okShape } from './common';
import { RuntimeName } from './runtimes';

/** One GPU at one instant, as read from `nvidia-smi --query-gpu`. Unsupported fields are null. */
export const GpuReading = z.object({
  index: z.number().int(),
  uuid: z.string(),
  name: z.string(),
  memory_total_mib: z.number().nullable(),
  memory_used_mib: z.number().nullable(),
  memory_free_mib: z.number().nullable(),
  utilization_percent: z.number().nullable(),
  temperature_c: z.number().nullable(),
  power_w: z.number().nullable(),
});
export type GpuReading = z.infer<typeof GpuReading>;

/** VRAM held by one process, attributed to the runtime whose process group it belongs to. */
export const GpuProcess = z.object({
  pid: z.number().int(),
  gpu_uuid: z.string(),
  gpu_index: z.number().int().nullable(),
  used_mib: z.number().nullable(),
  runtime: RuntimeName.nullable(),
  model: z.string().nullable(),
});
export type GpuProcess = z.infer<typeof GpuProcess>;

export const GpuSample = z.object({
  /** epoch ms */
  ts: z.number(),
  gpus: z.array(GpuReading),
});
export type GpuSample = z.infer<typeof GpuSample>;

/** Sampler state: `available: false` with a reason people can act on when there is no usable NVIDIA GPU. */
export const GpuStatus = z.object({
  available: z.boolean(),
  state: z.enum(['starting', 'running', 'unavailable', 'stopped']),
  reason: z.string().nullable(),
  interval_ms: z.number().int(),
});
export type GpuStatus = z.infer<typeof GpuStatus>;

/** Payload of the `gpu.sample` SSE event. */
export const GpuSampleEvent = z.object({
  status: GpuStatus,
  sample: GpuSample.nullable(),
  processes: z.array(GpuProcess),
});
export type GpuSampleEvent = z.infer<typeof GpuSampleEvent>;

/** A display controller as systeminformation sees it (lspci): shown when no NVIDIA GPU is usable. */
export const GpuController = z.object({
  vendor: z.string(),
  model: z.string(),
  vram_mib: z.number().nullable(),
  bus_address: z.string().nullable(),
});
export type GpuController = z.infer<typeof GpuController>;

export const GpusQuery = z.object({
  /** history window in seconds (at most what is kept, ~10 min) */
  history_s: z.coerce.number().int().min(0).max(3600).default(600),
});
export const GpusResponse = okShape({
  status: GpuStatus,
  current: GpuSample.nullable(),
  processes: z.array(GpuProcess),
  history: z.array(GpuSample),
  /** other display controllers found (systeminformation), filled in only when no NVIDIA GPU is usable */
  controllers: z.array(GpuController),
});

/** Venom's `/api/v1/models/usage` shape; GPU fields are null when no GPU is detected. */
export const ModelsUsage = z.object({
  disk_usage_gb: z.number(),
  disk_limit_gb: z.number().nullable(),
  disk_usage_percent: z.number().nullable(),
  cpu_usage_percent: z.number().nullable(),
  memory_total_gb: z.number(),
  memory_used_gb: z.number(),
  memory_usage_percent: z.number(),
  gpu_usage_percent: z.number().nullable(),
  vram_usage_mb: z.number().nullable(),
  vram_total_mb: z.number().nullable(),
  vram_usage_percent: z.number().nullable(),
  models_count: z.number().int(),
  /** Switchyard extension: bytes per models directory (HF cache, Ollama models) and the data dir */
  disks: z.array(
    z.object({
      name: z.enum(['data', 'hf_cache', 'ollama_models']),
      path: z.string(),
      used_bytes: z.number(),
      fs_size_bytes: z.number().nullable(),
      fs_available_bytes: z.number().nullable(),
    }),
  ),
});
export type ModelsUsage = z.infer<typeof ModelsUsage>;
export const ModelsUsageResponse = okShape({ usage: ModelsUsage });

/** One model on one day (UTC) of the OpenAI-compatible endpoint. Latencies in ms. */
export const UsageDay = z.object({
  day: z.string(),
  model: z.string(),
  runtime: z.string(),
  requests: z.number().int(),
  errors: z.number().int(),
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  latency_p50_ms: z.number().nullable(),
  latency_p95_ms: z.number().nullable(),
  latency_p99_ms: z.number().nullable(),
  ttft_p50_ms: z.number().nullable(),
  ttft_p95_ms: z.number().nullable(),
  ttft_p99_ms: z.number().nullable(),
  /** a remote route's spend that day (its provider's prices; `remote_usage_daily`); null for a local route */
  cost_usd: z.number().nullable(),
});
export type UsageDay = z.infer<typeof UsageDay>;
export const UsageDailyQuery = z.object({ days: z.coerce.number().int().min(1).max(366).default(7) });
export const UsageDailyResponse = okShape({ days: z.array(UsageDay) });

/** Live endpoint figures for the dashboard (since start, last minute). */
export const EndpointStats = z.object({
  requests_per_minute: z.number(),
  in_flight: z.number().int(),
  latency_p50_ms: z.number().nullable(),
  latency_p95_ms: z.number().nullable(),
  ttft_p50_ms: z.number().nullable(),
  total_requests: z.number().int(),
  total_errors: z.number().int(),
});
export type EndpointStats = z.infer<typeof EndpointStats>;
export const EndpointStatsResponse = okShape({ stats: EndpointStats });

/** Where the API listens, and whether other machines can reach it (a deliberate LAN set-up). */
export const ServerInfo = z.object({
  host: z.string(),
  port: z.number().int(),
  /** false when bound to anything but loopback: the UI warns that other machines can reach it */
  loopback_only: z.boolean(),
  /** Host header names served besides 127.0.0.1, localhost and [::1] */
  allowed_hosts: z.array(z.string()),
});
export const ServerInfoResponse = okShape({ server: ServerInfo });
