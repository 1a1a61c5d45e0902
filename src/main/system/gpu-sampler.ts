import type { ChildProcess } from 'node:child_process';
import { runChild, startChild } from './child';
import type { RuntimeName } from '../../shared/api/runtimes';
import type { GpuProcess, GpuReading, GpuSample, GpuSampleEvent, GpuStatus } from '../../shared/api/system';
import { errorMessage } from '../../shared/errors';
import type { EventBus } from '../events';
import type { Logger } from '../logger';
import { resolveBinary } from '../runtimes/binaries';
import { groupMembers } from '../runtimes/process-group';
import { computeAppsArgs, gpuQueryArgs, noGpuReason, parseComputeApps, parseGpuLine } from './nvidia-smi';

/** A runtime process group Switchyard supervises (its leader's pid is the group id). */
export interface RuntimeGroup {
  runtime: RuntimeName;
  pgid: number;
  model: string | null;
}

/** What the catalog's VRAM-fit estimate needs (see src/main/catalog). null: no NVIDIA GPU known. */
export interface GpuInventoryEntry {
  index: number;
  name: string;
  memoryTotalMiB: number;
  memoryFreeMiB: number;
}

export interface GpuSamplerOptions {
  events: EventBus;
  logger: Logger;
  /** `nvidia-smi` path or name on PATH; read at every (re)start */
  binary: () => string;
  env: Record<string, string | undefined>;
  runtimeGroups: () => RuntimeGroup[];
  intervalMs?: number;
  /** per-process VRAM poll period */
  appsIntervalMs?: number;
  historyMs?: number;
  /** retry period while no GPU/driver is found (a driver may be loaded later) */
  unavailableRetryMs?: number;
  now?: () => number;
}

const MAX_BACKOFF_MS = 30_000;
const STABLE_UPTIME_MS = 30_000;
const BLOCK_SETTLE_MS = 25;
const APPS_TIMEOUT_MS = 5_000;
/** spawn failures that say nothing about the GPU: the system is short of descriptors, processes or memory */
const TRANSIENT_SPAWN_ERROR = /\b(EMFILE|ENFILE|EAGAIN|ENOMEM)\b/;

/**
 * Samples NVIDIA GPUs with ONE long-lived `nvidia-smi --query-gpu=… -lms N` process (no spawn per
 * sample), restarted with backoff if it dies. Per-process VRAM comes from a slower
 * `--query-compute-apps` poll, attributed to runtimes by process group. Without a driver or binary the
 * sampler reports `available: false` with the reason, once, and retries quietly now and then.
 */
export class GpuSampler {
  private readonly intervalMs: number;
  private readonly appsIntervalMs: number;
  private readonly unavailableRetryMs: number;
  private readonly now: () => number;
  private readonly ring: (GpuSample | undefined)[];
  private ringNext = 0;
  private ringSize = 0;

  private proc: ChildProcess | null = null;
  private procStartedAt = 0;
  private pending: GpuReading[] = [];
  private settleTimer: NodeJS.Timeout | null = null;
  private knownCount = 0;
  private lineRest = '';
  private output = '';
  private gotSample = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private appsTimer: NodeJS.Timeout | null = null;
  private appsRunning = false;
  private attempt = 0;
  private lastEmit = 0;
  private closed = false;

  private statusValue: GpuStatus;
  private latest: GpuSample | null = null;
  private procs: GpuProcess[] = [];

  constructor(private readonly options: GpuSamplerOptions) {
    this.intervalMs = options.intervalMs ?? 1_000;
    this.appsIntervalMs = options.appsIntervalMs ?? 5_000;
    this.unavailableRetryMs = options.unavailableRetryMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.ring = new Array(Math.ceil((options.historyMs ?? 600_000) / this.intervalMs) + 1);
    this.statusValue = { available: false, state: 'starting', reason: null, interval_ms: this.intervalMs };
  }

  start(): void {
    if (this.closed || this.proc) return;
    this.spawn();
  }

  /** Starts over with a fresh nvidia-smi (its path is read again), e.g. after the setting changed. */
  restart(): void {
    if (this.closed) return;
    for (const timer of [this.restartTimer, this.settleTimer]) if (timer) clearTimeout(timer);
    this.restartTimer = null;
    this.settleTimer = null;
    const proc = this.proc;
    this.proc = null; // its exit is no longer ours to handle
    proc?.kill('SIGTERM');
    this.attempt = 0;
    this.knownCount = 0;
    this.setStatus({ available: false, state: 'starting', reason: null });
    this.spawn();
  }

  status(): GpuStatus {
    return { ...this.statusValue };
  }

  current(): GpuSample | null {
    return this.latest;
  }

  processes(): GpuProcess[] {
    return this.procs;
  }

  /** Samples of the last `windowMs`, oldest first. */
  history(windowMs = Infinity): GpuSample[] {
    const out: GpuSample[] = [];
    const since = this.now() - windowMs;
    for (let i = 0; i < this.ringSize; i++) {
      const sample = this.ring[(this.ringNext - this.ringSize + i + this.ring.length) % this.ring.length]!;
      if (sample.ts >= since) out.push(sample);
    }
    return out;
  }

  /** GpuInventory for the catalog's fit estimate: null when no NVIDIA GPU is known. */
  gpus(): GpuInventoryEntry[] | null {
    if (!this.statusValue.available || !this.latest) return null;
    return this.latest.gpus.map((g) => ({
      index: g.index,
      name: g.name,
      memoryTotalMiB: g.memory_total_mib ?? 0,
      memoryFreeMiB: g.memory_free_mib ?? (g.memory_total_mib !== null && g.memory_used_mib !== null ? g.memory_total_mib - g.memory_used_mib : 0),
    }));
  }

  snapshot(): GpuSampleEvent {
    return { status: this.status(), sample: this.latest, processes: this.procs };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of [this.restartTimer, this.appsTimer, this.settleTimer]) if (timer) clearTimeout(timer);
    const proc = this.proc;
    this.proc = null;
    if (proc) {
      const exited = new Promise((r) => proc.once('close', r));
      proc.kill('SIGTERM');
      if (proc.exitCode === null && proc.signalCode === null) await Promise.race([exited, new Promise((r) => setTimeout(r, 2_000).unref())]);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    }
    this.setStatus({ available: false, state: 'stopped', reason: null });
  }

  // ---- the sampling process --------------------------------------------------------------------

  private spawn(): void {
    this.restartTimer = null;
    if (this.closed) return;
    const configured = this.options.binary();
    const binary = resolveBinary(configured, this.options.env.PATH);
    if (!binary) {
      this.unavailable(
        `No NVIDIA GPU detected: ${configured.includes('/') ? configured + ' is not an executable file' : 'nvidia-smi was not found on PATH'} — install the NVIDIA driver (it provides nvidia-smi), or set its path in Settings › GPU (SWITCHYARD_NVIDIA_SMI_BIN).`,
      );
      return;
    }
    this.output = '';
    this.lineRest = '';
    this.pending = [];
    this.gotSample = false;
    this.procStartedAt = this.now();
    // stdin ignored, the environment without secrets (see child-env); a failed spawn is an exit with an error
    const { child: proc, exited } = startChild(binary, gpuQueryArgs(this.intervalMs), { env: this.options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    if (!proc) {
      void exited.then((exit) => this.onExit(null, null, exit.error?.message ?? 'spawn failed'));
      return;
    }
    this.proc = proc;
    proc.stdout?.setEncoding('utf8');
    proc.stderr?.setEncoding('utf8');
    proc.stdout?.on('data', (chunk: string) => this.onData(chunk));
    proc.stderr?.on('data', (chunk: string) => this.keepOutput(chunk));
    void exited.then((exit) => this.onExit(proc, exit.code, exit.error ? `${exit.error.code ?? ''} ${exit.error.message}` : ''));
  }

  private keepOutput(chunk: string): void {
    if (this.output.length < 4_096) this.output += chunk;
  }

  private onData(chunk: string): void {
    const text = this.lineRest + chunk;
    const lines = text.split('\n');
    this.lineRest = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      const reading = parseGpuLine(line);
      if (!reading) {
        this.keepOutput(line + '\n');
        continue;
      }
      if (this.pending.some((g) => g.index >= reading.index)) this.flushBlock();
      this.pending.push(reading);
      if (this.knownCount > 0 && this.pending.length >= this.knownCount) this.flushBlock();
    }
    if (this.pending.length > 0 && !this.settleTimer) {
      // the block's GPU count is learned from the first block: wait briefly for its other lines
      this.settleTimer = setTimeout(() => this.flushBlock(), BLOCK_SETTLE_MS);
      this.settleTimer.unref();
    }
  }

  private flushBlock(): void {
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = null;
    if (this.pending.length === 0) return;
    const gpus = this.pending.sort((a, b) => a.index - b.index);
    this.pending = [];
    this.knownCount = Math.max(this.knownCount, gpus.length);
    const sample: GpuSample = { ts: this.now(), gpus };
    this.latest = sample;
    this.ring[this.ringNext] = sample;
    this.ringNext = (this.ringNext + 1) % this.ring.length;
    this.ringSize = Math.min(this.ringSize + 1, this.ring.length);
    if (!this.gotSample) {
      this.gotSample = true;
      const wasAvailable = this.statusValue.available;
      this.setStatus({ available: true, state: 'running', reason: null });
      if (!wasAvailable) this.options.logger.info({ gpus: gpus.map((g) => g.name) }, 'GPU sampler running');
      this.scheduleApps(0);
    }
    // at most one event per second, whatever the sampling period
    if (sample.ts - this.lastEmit >= Math.max(this.intervalMs, 1_000) - 50) this.emit();
  }

  private onExit(proc: ChildProcess | null, exitCode: number | null, spawnError: string): void {
    if (proc !== null && this.proc !== proc) return;
    if (proc === null && (this.proc !== null || this.closed)) return;
    this.proc = null;
    this.flushBlock();
    if (this.closed) return;
    const output = `${this.output}${this.lineRest}${spawnError}`.trim();
    if (TRANSIENT_SPAWN_ERROR.test(spawnError)) {
      // out of descriptors or memory for a moment: not a verdict on the GPU; try again with backoff
      this.scheduleRestart(exitCode, output);
      return;
    }
    const reason = noGpuReason(output, exitCode);
    if (reason || (!this.gotSample && !this.statusValue.available)) {
      this.unavailable(reason ?? `No NVIDIA GPU detected: nvidia-smi exited (code ${exitCode ?? 'none'}) without reporting a GPU${output ? `: ${output.split('\n')[0]}` : ''}.`);
      return;
    }
    this.scheduleRestart(exitCode, output);
  }

  private scheduleRestart(exitCode: number | null, output: string): void {
    if (this.now() - this.procStartedAt > STABLE_UPTIME_MS) this.attempt = 0;
    const delay = Math.min(MAX_BACKOFF_MS, 1_000 * 2 ** this.attempt);
    this.attempt++;
    this.options.logger.warn({ exitCode, output: output.slice(0, 300), restartInMs: delay }, 'nvidia-smi sampler exited; restarting');
    this.restartTimer = setTimeout(() => this.spawn(), delay);
    this.restartTimer.unref();
  }

  private unavailable(reason: string): void {
    const changed = this.statusValue.reason !== reason || this.statusValue.available;
    this.latest = null;
    this.procs = [];
    this.setStatus({ available: false, state: 'unavailable', reason });
    if (changed) {
      this.options.logger.info({ reason }, 'GPU sampler: no GPU');
      this.emit();
    }
    this.restartTimer = setTimeout(() => this.spawn(), this.unavailableRetryMs);
    this.restartTimer.unref();
  }

  private setStatus(next: Omit<GpuStatus, 'interval_ms'>): void {
    this.statusValue = { ...next, interval_ms: this.intervalMs };
  }

  private emit(): void {
    this.lastEmit = this.latest?.ts ?? this.now();
    this.options.events.emit({ type: 'gpu.sample', sample: this.snapshot() });
  }

  // ---- per-process VRAM ------------------------------------------------------------------------

  private scheduleApps(delay: number): void {
    if (this.closed || this.appsTimer) return;
    this.appsTimer = setTimeout(() => {
      this.appsTimer = null;
      if (!this.statusValue.available || this.closed) return;
      this.pollApps()
        .catch((error: unknown) => this.options.logger.debug({ error: errorMessage(error) }, 'compute-apps poll failed'))
        .finally(() => this.scheduleApps(this.appsIntervalMs));
    }, delay);
    this.appsTimer.unref();
  }

  private async pollApps(): Promise<void> {
    if (this.appsRunning) return;
    this.appsRunning = true;
    try {
      const binary = resolveBinary(this.options.binary(), this.options.env.PATH);
      if (!binary) return;
      const result = await runChild(binary, computeAppsArgs(), { env: this.options.env, timeoutMs: APPS_TIMEOUT_MS });
      if (result.error) this.options.logger.debug({ error: `${result.error.code ?? ''} ${result.error.message}` }, 'compute-apps poll could not start nvidia-smi');
      if (result.code !== 0) return;
      const apps = parseComputeApps(String(result.stdout));
      const owners = new Map<number, RuntimeGroup>();
      if (apps.length > 0) {
        for (const group of this.options.runtimeGroups()) {
          owners.set(group.pgid, group);
          for (const pid of groupMembers(group.pgid)) owners.set(pid, group);
        }
      }
      const indexOf = new Map((this.latest?.gpus ?? []).map((g) => [g.uuid, g.index]));
      this.procs = apps.map((app) => {
        const owner = owners.get(app.pid);
        return { pid: app.pid, gpu_uuid: app.gpu_uuid, gpu_index: indexOf.get(app.gpu_uuid) ?? null, used_mib: app.used_mib, runtime: owner?.runtime ?? null, model: owner?.model ?? null };
      });
    } finally {
      this.appsRunning = false;
    }
  }
}
