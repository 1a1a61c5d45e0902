import type { GpuReading } from '../../shared/api/system';

/**
 * Parsing of `nvidia-smi --query-… --format=csv,noheader,nounits` output (protocols.md §5.1). Fields are
 * separated by ", "; unsupported values read `[N/A]`, `[Not Supported]` or a bare `N/A` depending on the
 * driver; units may still be present when `nounits` was not honoured.
 */

/** The query the sampler runs, in this order. */
export const GPU_QUERY_FIELDS = [
  'index',
  'uuid',
  'name',
  'memory.total',
  'memory.used',
  'memory.free',
  'utilization.gpu',
  'temperature.gpu',
  'power.draw',
] as const;

export const COMPUTE_APPS_FIELDS = ['pid', 'used_memory', 'gpu_uuid'] as const;

export function gpuQueryArgs(loopMs?: number): string[] {
  const args = [`--query-gpu=${GPU_QUERY_FIELDS.join(',')}`, '--format=csv,noheader,nounits'];
  if (loopMs !== undefined) args.push(`--loop-ms=${loopMs}`);
  return args;
}

export const computeAppsArgs = (): string[] => [`--query-compute-apps=${COMPUTE_APPS_FIELDS.join(',')}`, '--format=csv,noheader,nounits'];

/** A number, or null for every "not available" spelling and anything unparseable. */
export function parseSmiNumber(raw: string | undefined): number | null {
  if (raw === undefined) return null;
  const value = raw.trim();
  if (value === '' || /N\/A|Not Supported|Unknown Error|Insufficient Permissions|Requested functionality has been deprecated/i.test(value)) return null;
  // tolerate units ("24564 MiB", "97 %", "512.34 W") in case `nounits` was ignored
  const match = /^-?\d+(?:\.\d+)?/.exec(value);
  if (!match) return null;
  const n = Number(match[0]);
  return Number.isFinite(n) ? n : null;
}

function parseText(raw: string | undefined): string | null {
  const value = raw?.trim() ?? '';
  return value === '' || /^\[?(N\/A|Not Supported)\]?$/i.test(value) ? null : value;
}

/**
 * One `--query-gpu` line in GPU_QUERY_FIELDS order. A product name with a comma in it is tolerated by
 * taking the fixed-count fields from both ends. Returns null for lines that are not a GPU row.
 */
export function parseGpuLine(line: string): GpuReading | null {
  const parts = line.split(',');
  const n = GPU_QUERY_FIELDS.length;
  if (parts.length < n) return null;
  const head = parts.slice(0, 2);
  const tail = parts.slice(parts.length - (n - 3));
  const name = parts.slice(2, parts.length - (n - 3)).join(',');
  const index = parseSmiNumber(head[0]);
  if (index === null || !Number.isInteger(index)) return null;
  return {
    index,
    uuid: parseText(head[1]) ?? `GPU-${index}`,
    name: parseText(name) ?? 'NVIDIA GPU',
    memory_total_mib: parseSmiNumber(tail[0]),
    memory_used_mib: parseSmiNumber(tail[1]),
    memory_free_mib: parseSmiNumber(tail[2]),
    utilization_percent: parseSmiNumber(tail[3]),
    temperature_c: parseSmiNumber(tail[4]),
    power_w: parseSmiNumber(tail[5]),
  };
}

export interface ComputeApp {
  pid: number;
  used_mib: number | null;
  gpu_uuid: string;
}

/** `--query-compute-apps=pid,used_memory,gpu_uuid` output; no processes → empty output → []. */
export function parseComputeApps(text: string): ComputeApp[] {
  const out: ComputeApp[] = [];
  for (const line of text.split('\n')) {
    const parts = line.split(',').map((p) => p.trim());
    if (parts.length < 3) continue;
    const pid = parseSmiNumber(parts[0]);
    const uuid = parseText(parts[2]);
    if (pid === null || !Number.isInteger(pid) || !uuid) continue;
    out.push({ pid, used_mib: parseSmiNumber(parts[1]), gpu_uuid: uuid });
  }
  return out;
}

/** Output that means "there is no working NVIDIA driver/GPU" rather than a transient failure. */
export function noGpuReason(output: string, exitCode: number | null): string | null {
  const text = output.trim();
  if (/couldn't communicate with the NVIDIA driver/i.test(text)) {
    return 'No NVIDIA GPU detected: nvidia-smi could not communicate with the NVIDIA driver — install or load the NVIDIA driver (then restart Switchyard).';
  }
  if (/No devices were found/i.test(text)) return 'No NVIDIA GPU detected: nvidia-smi found no devices.';
  if (exitCode === 9) return `No NVIDIA GPU detected: nvidia-smi failed (exit code 9): ${text.split('\n')[0] ?? ''}`.trim();
  return null;
}
