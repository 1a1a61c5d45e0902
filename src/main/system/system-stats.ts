import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import si from 'systeminformation';
import type { GpuController, ModelsUsage } from '../../shared/api/system';
import type { GpuSampler } from './gpu-sampler';

const GB = 1024 ** 3;
const DIR_SIZE_TTL_MS = 60_000;
const FS_TTL_MS = 30_000;
const CONTROLLERS_TTL_MS = 10 * 60_000;

export interface SystemStatsOptions {
  gpu: Pick<GpuSampler, 'current' | 'status'>;
  dataDir: string;
  hfHubCache: () => string;
  ollamaModelsDir: () => string;
  /** quota for models in bytes (Settings › Downloads), or null for "the disk" */
  storageLimitBytes: () => number | null;
  /** how many models are installed; replaceable once the manifest exists */
  modelsCount?: () => Promise<number> | number;
  now?: () => number;
}

type DiskName = ModelsUsage['disks'][number]['name'];

/**
 * CPU, RAM and disk figures (systeminformation) plus the GPU sampler's latest sample, in Venom's
 * `/api/v1/models/usage` shape. Directory sizes are walked at most once a minute.
 */
export class SystemStats {
  private readonly now: () => number;
  private readonly dirSizes = new Map<string, { at: number; bytes: Promise<number> }>();
  private fsCache: { at: number; list: Promise<si.Systeminformation.FsSizeData[]> } | null = null;
  private controllersCache: { at: number; list: Promise<GpuController[]> } | null = null;

  constructor(private readonly options: SystemStatsOptions) {
    this.now = options.now ?? Date.now;
  }

  async usage(): Promise<ModelsUsage> {
    const dirs: { name: DiskName; path: string }[] = [
      { name: 'data', path: this.options.dataDir },
      { name: 'hf_cache', path: this.options.hfHubCache() },
      { name: 'ollama_models', path: this.options.ollamaModelsDir() },
    ];
    const [load, mem, fsList, sizes, modelsCount] = await Promise.all([
      si.currentLoad().catch(() => null),
      si.mem(),
      this.fileSystems(),
      Promise.all(dirs.map((d) => this.dirSize(d.path))),
      Promise.resolve(this.options.modelsCount ? this.options.modelsCount() : countInstalledModels(this.options.hfHubCache(), this.options.ollamaModelsDir())),
    ]);
    const disks = dirs.map((d, i) => {
      const fs = mountOf(fsList, d.path);
      return { name: d.name, path: d.path, used_bytes: sizes[i]!, fs_size_bytes: fs?.size ?? null, fs_available_bytes: fs?.available ?? null };
    });
    const modelBytes = disks.filter((d) => d.name !== 'data').reduce((a, d) => a + d.used_bytes, 0);
    const hfDisk = disks.find((d) => d.name === 'hf_cache')!;
    const limitBytes = this.options.storageLimitBytes() ?? hfDisk.fs_size_bytes;

    const gpus = this.options.gpu.status().available ? (this.options.gpu.current()?.gpus ?? []) : [];
    const sum = (pick: (g: (typeof gpus)[number]) => number | null) => (gpus.length ? gpus.reduce((a, g) => a + (pick(g) ?? 0), 0) : null);
    const vramUsed = sum((g) => g.memory_used_mib);
    const vramTotal = sum((g) => g.memory_total_mib);
    const utils = gpus.map((g) => g.utilization_percent).filter((u): u is number => u !== null);
    const memUsed = mem.active || mem.used;

    return {
      disk_usage_gb: round(modelBytes / GB, 2),
      disk_limit_gb: limitBytes ? round(limitBytes / GB, 2) : null,
      disk_usage_percent: limitBytes ? round((modelBytes / limitBytes) * 100, 1) : null,
      cpu_usage_percent: load ? round(load.currentLoad, 1) : null,
      memory_total_gb: round(mem.total / GB, 2),
      memory_used_gb: round(memUsed / GB, 2),
      memory_usage_percent: mem.total ? round((memUsed / mem.total) * 100, 1) : 0,
      gpu_usage_percent: utils.length ? round(utils.reduce((a, u) => a + u, 0) / utils.length, 1) : null,
      vram_usage_mb: vramUsed,
      vram_total_mb: vramTotal,
      vram_usage_percent: vramUsed !== null && vramTotal ? round((vramUsed / vramTotal) * 100, 1) : null,
      models_count: modelsCount,
      disks,
    };
  }

  /**
   * Display controllers from systeminformation (lspci), so "no GPU detected" can say what IS there
   * (an AMD or Intel GPU, an NVIDIA card without a driver). Cached: graphics() runs programs synchronously.
   */
  controllers(): Promise<GpuController[]> {
    if (!this.controllersCache || this.now() - this.controllersCache.at > CONTROLLERS_TTL_MS) {
      const list = si
        .graphics()
        .then((g) =>
          g.controllers.map((c) => ({
            vendor: c.vendor || 'unknown vendor',
            model: c.model || c.name || 'unknown model',
            vram_mib: c.memoryTotal ?? c.vram ?? null,
            bus_address: c.busAddress ?? null,
          })),
        )
        .catch(() => []);
      this.controllersCache = { at: this.now(), list };
    }
    return this.controllersCache.list;
  }

  private fileSystems(): Promise<si.Systeminformation.FsSizeData[]> {
    if (!this.fsCache || this.now() - this.fsCache.at > FS_TTL_MS) {
      this.fsCache = { at: this.now(), list: si.fsSize().catch(() => []) };
    }
    return this.fsCache.list;
  }

  private dirSize(path: string): Promise<number> {
    const cached = this.dirSizes.get(path);
    if (cached && this.now() - cached.at < DIR_SIZE_TTL_MS) return cached.bytes;
    const bytes = du(path);
    this.dirSizes.set(path, { at: this.now(), bytes });
    return bytes;
  }
}

/** Bytes under a directory (files counted once; symlinks not followed — the HF cache links into blobs/). */
export async function du(path: string): Promise<number> {
  let total = 0;
  const stack = [path];
  while (stack.length) {
    const dir = stack.pop()!;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) stack.push(full);
      else if (entry.isFile()) total += await stat(full).then((s) => s.size, () => 0);
    }
  }
  return total;
}

function mountOf(list: si.Systeminformation.FsSizeData[], path: string): si.Systeminformation.FsSizeData | null {
  const full = resolve(path);
  let best: si.Systeminformation.FsSizeData | null = null;
  for (const fs of list) {
    const mount = fs.mount;
    if (!mount || !(full === mount || full.startsWith(mount.endsWith('/') ? mount : `${mount}/`))) continue;
    if (!best || mount.length > best.mount.length) best = fs;
  }
  return best;
}

/** Models on disk: HF cache repos with a snapshot, plus Ollama manifests. */
export async function countInstalledModels(hubCache: string, ollamaModels: string): Promise<number> {
  let count = 0;
  try {
    for (const entry of await readdir(hubCache)) {
      if (!entry.startsWith('models--')) continue;
      const snapshots = await readdir(join(hubCache, entry, 'snapshots')).catch(() => []);
      if (snapshots.length > 0) count++;
    }
  } catch {
    // no HF cache yet
  }
  // manifests/<registry>/<namespace>/<model>/<tag>
  const manifests = join(ollamaModels, 'manifests');
  const walk = async (dir: string, depth: number): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (depth === 3) count += e.isFile() ? 1 : 0;
      else if (e.isDirectory()) await walk(join(dir, e.name), depth + 1);
    }
  };
  await walk(manifests, 0);
  return count;
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
