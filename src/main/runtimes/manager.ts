import { AppError, errorMessage, isAppError } from '../../shared/errors';
import type { RuntimeErrorInfo, RuntimeInfo, RuntimeName, RuntimeState, LogLine } from '../../shared/api/runtimes';
import type { SettingsService } from '../config';
import type { SettingsRepo } from '../db/settings-repo';
import type { EventBus } from '../events';
import type { Logger } from '../logger';
import { adapters, baseUrlOf, type Endpoint, type RuntimeAdapter, type VllmFlags } from './adapters';
import { homedir } from 'node:os';
import { runtimeBinary } from './binaries';
import { RuntimeLog } from './log-store';
import { Mutex } from './mutex';
import { isPortFree } from './port-check';
import { readCmdline, readProcStat, groupMembers, sleep } from './process-group';
import type { RuntimeProcessRepo, RuntimeProcessRow } from './process-repo';
import { SupervisedProcess, stopGroup, type ProcessExit } from './supervisor';
import { isUp } from '../../shared/runtimes';

const READY_POLL_MS = 40;
const PROBE_TIMEOUT_MS = 2_000;
const LOG_TAIL_ON_ERROR = 30;
const RUNTIMES: readonly RuntimeName[] = ['ollama', 'vllm'];

interface Slot {
  readonly name: RuntimeName;
  readonly adapter: RuntimeAdapter;
  readonly lock: Mutex;
  readonly log: RuntimeLog;
  state: RuntimeState;
  proc: SupervisedProcess | null;
  rowId: number | null;
  endpoint: Endpoint;
  model: string | null;
  /** the per-model flags the running process was started with (kept for a restart) */
  flags: Partial<VllmFlags>;
  /** the arguments it runs with: an activation asking for other ones restarts it */
  args: string[] | null;
  /** the API key the runtime demands (vLLM `--api-key` / `VLLM_API_KEY`): probes and the proxy send it */
  apiKey: string | null;
  version: string | null;
  startedAt: string | null;
  lastError: RuntimeErrorInfo | null;
  restarts: number;
  starting: AbortController | null;
  restartTimer: NodeJS.Timeout | null;
}

export interface StartOptions {
  model?: string | null;
  signal?: AbortSignal;
  /** vLLM flags for this model (fit estimate, per-model overrides); they win over settings */
  flags?: Partial<VllmFlags>;
  /** a new process even when one already runs with the same arguments (restart) */
  fresh?: boolean;
}

export interface RuntimeManagerDeps {
  settings: SettingsService;
  processes: RuntimeProcessRepo;
  state: SettingsRepo;
  events: EventBus;
  logger: Logger;
  logDir: string;
  env: Record<string, string | undefined>;
  hfHubCache: () => string;
  fetch?: typeof fetch;
}

/**
 * Supervises the Ollama and vLLM servers: one active runtime at a time, operations on a runtime
 * serialized by its lock, a switch holding every lock. A newer switch or a stop supersedes a start
 * still waiting for readiness (it is cancelled), so concurrent requests end in the latest intent.
 */
export class RuntimeManager {
  private readonly slots: Record<RuntimeName, Slot>;
  private readonly fetchImpl: typeof fetch;
  private active: RuntimeName | null = null;
  private lastModels: Record<RuntimeName, string | null>;
  private closed = false;

  constructor(private readonly deps: RuntimeManagerDeps) {
    this.fetchImpl = deps.fetch ?? fetch;
    const settings = deps.settings.get();
    this.slots = Object.fromEntries(
      RUNTIMES.map((name) => {
        const adapter = adapters[name];
        const slot: Slot = {
          name,
          adapter,
          lock: new Mutex(),
          log: new RuntimeLog(name, deps.logDir, () => this.deps.settings.get().runtime.logMaxBytes, (log) => this.emitLog(log)),
          state: 'stopped',
          proc: null,
          rowId: null,
          endpoint: adapter.endpoint(settings),
          model: null,
          flags: {},
          args: null,
          apiKey: null,
          version: null,
          startedAt: null,
          lastError: null,
          restarts: 0,
          starting: null,
          restartTimer: null,
        };
        return [name, slot];
      }),
    ) as Record<RuntimeName, Slot>;
    this.lastModels = { ollama: null, vllm: null, ...(deps.state.readState<Record<RuntimeName, string | null>>('runtimes.last_models') ?? {}) };
    for (const slot of Object.values(this.slots)) if (!this.binaryOf(slot)) slot.state = 'not_installed';
  }

  /** Finds runtimes left by a previous Switchyard (adopt or stop them) and an Ollama started by someone else. */
  async init(): Promise<void> {
    for (const row of this.deps.processes.listRunning()) await this.reconcile(row);
    const ollama = this.slots.ollama;
    if (!ollama.proc) await this.detectExternal(ollama);
    for (const slot of Object.values(this.slots)) this.emitState(slot);
  }

  list(): RuntimeInfo[] {
    return RUNTIMES.map((name) => this.info(name));
  }

  info(name: RuntimeName): RuntimeInfo {
    const slot = this.slots[name];
    if (!slot.proc && (slot.state === 'stopped' || slot.state === 'not_installed')) {
      slot.state = this.binaryOf(slot) ? 'stopped' : 'not_installed';
      slot.endpoint = slot.adapter.endpoint(this.deps.settings.get());
    }
    return {
      name,
      state: slot.state,
      active: this.active === name,
      owned: slot.proc !== null,
      pid: slot.proc?.pid ?? null,
      host: slot.endpoint.host,
      port: slot.endpoint.port,
      base_url: baseUrlOf(slot.endpoint),
      version: slot.version,
      binary: this.binaryOf(slot),
      model: slot.model,
      last_model: this.lastModels[name],
      started_at: slot.startedAt,
      restarts: slot.restarts,
      last_error: slot.lastError,
    };
  }

  /** Looks for the runtime's program again (after an install or a new path) and tells the listeners. */
  recheckBinary(name: RuntimeName): RuntimeInfo {
    const info = this.info(name);
    this.emitState(this.slots[name]);
    return info;
  }

  activeInfo(): { active_server: RuntimeName | null; active_model: string | null; server: RuntimeInfo | null; last_models: Record<string, string | null> } {
    const server = this.active ? this.info(this.active) : null;
    return { active_server: this.active, active_model: server?.model ?? null, server, last_models: { ...this.lastModels } };
  }

  /** Where OpenAI-compatible requests go now, or null when nothing is serving. */
  activeEndpoint(): { runtime: RuntimeName; baseUrl: string; model: string | null; headers: Record<string, string> } | null {
    if (!this.active) return null;
    const slot = this.slots[this.active];
    if (!isUp(slot.state)) return null;
    return { runtime: slot.name, baseUrl: baseUrlOf(slot.endpoint), model: slot.model, headers: this.authHeaders(slot.name) };
  }

  /**
   * What serving needs of a runtime, cheaply (the proxy asks per request): where its OpenAI API
   * answers (with the version path), the model it serves, the headers it demands, and whether it is up.
   */
  serving(name: RuntimeName): { phase: 'serving' | 'starting' | 'unresponsive' | 'down'; apiBase: string; model: string | null; headers: Record<string, string> } {
    const slot = this.slots[name];
    const phase = isUp(slot.state) ? 'serving' : slot.state === 'starting' ? 'starting' : 'down';
    return { phase, apiBase: `${baseUrlOf(slot.endpoint)}/v1`, model: slot.model, headers: this.authHeaders(name) };
  }

  /** No runtime is the active one any more (a process-less endpoint took over); owned ones keep running until stopped. */
  clearActive(): void {
    this.setActive(null);
  }

  /** Headers every call to this runtime's own API needs (its API key); empty when it wants none. */
  authHeaders(name: RuntimeName): Record<string, string> {
    const key = this.slots[name].apiKey;
    return key ? { authorization: `Bearer ${key}` } : {};
  }

  logs(name: RuntimeName, tail: number): LogLine[] {
    return this.slots[name].log.tail(tail);
  }

  /**
   * Makes `name` the one active runtime: stops the other, starts this one (vLLM with `model`, or the
   * last model used) and resolves once it answers on its API, or rejects with the failure.
   */
  activate(name: RuntimeName, options: StartOptions = {}): Promise<RuntimeInfo> {
    this.assertOpen();
    for (const slot of Object.values(this.slots)) slot.starting?.abort(new AppError('cancelled', `Superseded by a newer request to switch to ${adapters[name].displayName}.`));
    return this.withLocks(RUNTIMES, async () => {
      this.modelFor(this.slots[name], options); // a request that cannot start stops nothing
      for (const other of Object.values(this.slots)) {
        if (other.name !== name && other.proc) await this.doStop(other);
      }
      // Active only once it runs: a start that fails (not installed, no model, load error) leaves no
      // runtime active, since the other one was stopped above.
      try {
        const info = await this.doStart(this.slots[name], options);
        this.setActive(name);
        return info;
      } catch (error) {
        if (this.active !== null && !this.slots[this.active].proc) this.setActive(null);
        throw error;
      }
    });
  }

  /** Starting a runtime is a switch to it: only one runtime is active at a time. */
  start(name: RuntimeName, options: StartOptions = {}): Promise<RuntimeInfo> {
    return this.activate(name, options);
  }

  stop(name: RuntimeName): Promise<RuntimeInfo> {
    this.assertOpen();
    const slot = this.slots[name];
    slot.starting?.abort(new AppError('cancelled', `${slot.adapter.displayName} was stopped while starting.`));
    return this.withLocks([name], async () => {
      if (slot.state === 'external') {
        throw new AppError(
          'runtime_external',
          `${slot.adapter.displayName} on ${baseUrlOf(slot.endpoint)} was not started by Switchyard, so it will not be stopped here — stop it where it was started (for example: systemctl stop ollama).`,
        );
      }
      await this.doStop(slot);
      if (this.active === name) this.setActive(null);
      return this.info(name);
    });
  }

  /**
   * Records which model a running runtime serves when the runtime loads models itself (Ollama, after
   * a load through its API); remembered as that runtime's last model.
   */
  setModel(name: RuntimeName, model: string | null): void {
    const slot = this.slots[name];
    slot.model = model;
    if (model) this.rememberModel(name, model);
    this.emitState(slot);
  }

  /**
   * Always a new process with what it served (a hung one too: it is continued first, so it acts on the
   * stop's SIGTERM). An external runtime is not ours to restart: it is looked up again.
   */
  restart(name: RuntimeName): Promise<RuntimeInfo> {
    const slot = this.slots[name];
    slot.proc?.resume();
    return this.activate(name, { model: slot.model ?? this.lastModels[name], flags: slot.model ? slot.flags : undefined, fresh: true });
  }

  /** Stops every runtime Switchyard owns (app quit, `serve` shutdown). Leaves external ones alone. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const slot of Object.values(this.slots)) {
      if (slot.restartTimer) clearTimeout(slot.restartTimer);
      slot.starting?.abort(new AppError('cancelled', 'Switchyard is shutting down.'));
    }
    await Promise.all(
      Object.values(this.slots).map((slot) =>
        slot.lock.run(async () => {
          if (slot.proc) await this.doStop(slot);
          slot.log.close();
        }),
      ),
    );
  }

  // ---- internals -------------------------------------------------------------------------------

  /** The model a start of `slot` serves (vLLM: the one asked for, else the last one), or a bad_request. */
  private modelFor(slot: Slot, options: StartOptions): string | null {
    const model = options.model ?? (slot.adapter.requiresModel ? this.lastModels[slot.name] : null);
    if (slot.adapter.requiresModel && !model) {
      throw new AppError('bad_request', `${slot.adapter.displayName} serves one model per process: pass model_name (an installed Hugging Face model such as "Qwen/Qwen3-0.6B").`);
    }
    return model ?? null;
  }

  private async doStart(slot: Slot, options: StartOptions): Promise<RuntimeInfo> {
    const settings = this.deps.settings.get();
    const model = this.modelFor(slot, options);
    const flags = options.flags ?? {};
    if (slot.proc && slot.state === 'ready' && !options.fresh) {
      if (model === null) return this.info(slot.name);
      if (slot.model === model && slot.args) {
        const wanted = slot.adapter.launch({ settings, model, env: this.deps.env, hfHubCache: this.deps.hfHubCache(), overrides: flags }).args;
        if (JSON.stringify(wanted) === JSON.stringify(slot.args)) return this.info(slot.name);
      }
    }
    if (slot.proc) await this.doStop(slot);
    if (slot.restartTimer) clearTimeout(slot.restartTimer);
    slot.restartTimer = null;

    const endpoint = slot.adapter.endpoint(settings);
    slot.endpoint = endpoint;
    const baseUrl = baseUrlOf(endpoint);

    if (slot.name === 'ollama' && (await this.detectExternal(slot))) return this.info(slot.name);

    const binary = this.binaryOf(slot);
    if (!binary) {
      slot.state = 'not_installed';
      this.emitState(slot);
      throw new AppError('runtime_not_installed', `${slot.adapter.displayName} is not installed or not on PATH. ${slot.adapter.installHint}`);
    }
    if (!(await isPortFree(endpoint.host, endpoint.port))) {
      const error = new AppError(
        'port_in_use',
        `Port ${endpoint.port} on ${endpoint.host} is already in use by another program — stop that program or change the ${slot.adapter.displayName} port in Settings.`,
      );
      this.fail(slot, error, []);
      throw error;
    }

    const controller = new AbortController();
    slot.starting = controller;
    const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
    try {
      const { args, env } = slot.adapter.launch({ settings, model, env: this.deps.env, hfHubCache: this.deps.hfHubCache(), overrides: options.flags });
      const commandLine = [binary, ...args].join(' ');
      slot.log.prepareForSpawn(commandLine);
      let proc: SupervisedProcess;
      try {
        proc = await SupervisedProcess.spawn({ command: binary, args, env, logFile: slot.log.file });
      } catch (error) {
        this.fail(slot, error, slot.log.tailText(LOG_TAIL_ON_ERROR));
        throw error;
      }
      slot.proc = proc;
      slot.model = model;
      slot.flags = flags;
      slot.args = args;
      slot.apiKey = slot.adapter.apiKeyOf?.(args, env) ?? null;
      if (slot.apiKey) slot.log.record(`---- switchyard: ${slot.adapter.displayName} demands an API key (--api-key / VLLM_API_KEY): Switchyard's probes and OpenAI endpoint send it`);
      slot.version = null;
      slot.lastError = null;
      slot.startedAt = new Date().toISOString();
      slot.state = 'starting';
      slot.rowId = this.deps.processes.recordStart({
        runtime: slot.name,
        pid: proc.pid,
        pgid: proc.pgid,
        procStart: readProcStat(proc.pid)?.startTime ?? null,
        command: [binary, ...args],
        host: endpoint.host,
        port: endpoint.port,
        model,
        logPath: slot.log.file,
      });
      slot.log.follow(proc.pid);
      proc.onExit((exit) => this.onExit(slot, proc, exit));
      this.deps.logger.info({ runtime: slot.name, pid: proc.pid, model }, 'runtime starting');
      this.emitState(slot);

      try {
        const probe = await this.waitReady(slot, proc, baseUrl, model, signal, settings.runtime.startTimeoutMs);
        slot.version = probe.version ?? null;
      } catch (error) {
        if (proc.running) {
          slot.state = 'stopping';
          this.emitState(slot);
          await proc.stop(settings.runtime.stopGraceMs);
        }
        this.fail(slot, error, slot.log.tailText(LOG_TAIL_ON_ERROR));
        throw error;
      }
      slot.state = 'ready';
      if (model) this.rememberModel(slot.name, model);
      this.deps.logger.info({ runtime: slot.name, pid: proc.pid, model, version: slot.version }, 'runtime ready');
      this.emitState(slot);
      return this.info(slot.name);
    } finally {
      if (slot.starting === controller) slot.starting = null;
    }
  }

  private async waitReady(slot: Slot, proc: SupervisedProcess, baseUrl: string, model: string | null, signal: AbortSignal, timeoutMs: number) {
    const deadline = Date.now() + timeoutMs;
    const name = slot.adapter.displayName;
    for (;;) {
      if (signal.aborted) throw isAppError(signal.reason) ? signal.reason : new AppError('cancelled', `Start of ${name} was cancelled.`);
      if (!proc.running) {
        const exit = proc.exit!;
        throw new AppError('runtime_failed', `${name} exited during start-up (${describeExit(exit)}). ${lastLineHint(slot.log.tailText(5))}`, {
          exit_code: exit.code,
          signal: exit.signal,
          log_tail: slot.log.tailText(LOG_TAIL_ON_ERROR),
        });
      }
      if (Date.now() > deadline) {
        throw new AppError(
          'start_timeout',
          `${name} did not answer on ${baseUrl} within ${Math.round(timeoutMs / 1000)} s — check its log below; large models can need more: raise Settings › Runtime › start timeout.`,
        );
      }
      try {
        const result = await slot.adapter.probe(baseUrl, model, this.fetchImpl, AbortSignal.any([signal, AbortSignal.timeout(PROBE_TIMEOUT_MS)]), this.authHeaders(slot.name));
        if (result.ready) return result;
      } catch (error) {
        if (isAppError(error)) throw error; // it answered, and said no
        // not listening yet
      }
      await Promise.race([sleep(READY_POLL_MS, signal), proc.exited]);
    }
  }

  private async doStop(slot: Slot): Promise<void> {
    const proc = slot.proc;
    if (!proc) {
      if (slot.state === 'crashed' || slot.state === 'starting' || slot.state === 'stopping') slot.state = 'stopped';
      this.emitState(slot);
      return;
    }
    if (slot.restartTimer) clearTimeout(slot.restartTimer);
    slot.restartTimer = null;
    slot.state = 'stopping';
    this.emitState(slot);
    const exit = await proc.stop(this.deps.settings.get().runtime.stopGraceMs);
    this.deps.logger.info({ runtime: slot.name, pid: proc.pid, exit }, 'runtime stopped');
  }

  private onExit(slot: Slot, proc: SupervisedProcess, exit: ProcessExit): void {
    if (slot.rowId !== null && slot.proc === proc) this.deps.processes.recordExit(slot.rowId, exit);
    if (slot.proc !== proc) return;
    slot.proc = null;
    slot.rowId = null;
    slot.log.finish(`process ${exit.pid} exited (${describeExit(exit)})`);
    if (exit.reason === 'stopped' || exit.reason === 'killed') {
      slot.state = 'stopped';
      slot.lastError =
        exit.reason === 'killed'
          ? { code: 'killed', message: `${slot.adapter.displayName} did not exit within the grace period and was killed.`, exit_code: exit.code, signal: exit.signal, at: new Date().toISOString() }
          : null;
      slot.startedAt = null;
      this.emitState(slot);
      return;
    }
    // A crash: the leader is gone; children it forked (engine core, runners) may still hold VRAM.
    void proc.stop(this.deps.settings.get().runtime.stopGraceMs).catch((error) => this.deps.logger.error({ error }, 'reaping crashed runtime group failed'));
    const wasReady = slot.state === 'ready';
    slot.state = 'crashed';
    slot.lastError = {
      code: 'crashed',
      message: `${slot.adapter.displayName} exited unexpectedly (${describeExit(exit)}). ${lastLineHint(slot.log.tailText(5))}`,
      exit_code: exit.code,
      signal: exit.signal,
      log_tail: slot.log.tailText(LOG_TAIL_ON_ERROR),
      at: new Date().toISOString(),
    };
    this.deps.logger.warn({ runtime: slot.name, exit }, 'runtime crashed');
    this.emitState(slot);
    if (wasReady) this.scheduleAutoRestart(slot);
  }

  private scheduleAutoRestart(slot: Slot): void {
    const { autoRestart, maxAutoRestarts } = this.deps.settings.get().runtime;
    if (!autoRestart || this.closed || slot.restarts >= maxAutoRestarts || this.active !== slot.name) return;
    const delay = Math.min(60_000, 1_000 * 2 ** slot.restarts);
    slot.restarts += 1;
    slot.log.record(`---- switchyard: restarting in ${delay} ms (attempt ${slot.restarts} of ${maxAutoRestarts})`);
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = null;
      if (this.closed || this.active !== slot.name || slot.state !== 'crashed') return;
      this.withLocks([slot.name], () => this.doStart(slot, { model: slot.model, flags: slot.flags })).catch((error) =>
        this.deps.logger.warn({ runtime: slot.name, error: errorMessage(error) }, 'auto-restart failed'),
      );
    }, delay);
    slot.restartTimer.unref();
  }

  private fail(slot: Slot, error: unknown, logTail: string[]): void {
    const cancelled = isAppError(error) && error.code === 'cancelled';
    const details = (isAppError(error) ? error.details : undefined) as { exit_code?: number; signal?: string } | undefined;
    slot.proc = null;
    slot.state = cancelled ? 'stopped' : slot.state === 'not_installed' ? 'not_installed' : 'crashed';
    slot.lastError = cancelled
      ? null
      : {
          code: isAppError(error) ? error.code : 'runtime_failed',
          message: errorMessage(error),
          exit_code: details?.exit_code ?? null,
          signal: details?.signal ?? null,
          log_tail: logTail,
          at: new Date().toISOString(),
        };
    this.emitState(slot);
  }

  /** An Ollama answering on the configured address that we did not start: used, never killed. */
  private async detectExternal(slot: Slot): Promise<boolean> {
    if (slot.proc) return false;
    const endpoint = slot.adapter.endpoint(this.deps.settings.get());
    try {
      const result = await slot.adapter.probe(baseUrlOf(endpoint), null, this.fetchImpl, AbortSignal.timeout(500));
      if (result.ready) {
        slot.endpoint = endpoint;
        slot.state = 'external';
        slot.version = result.version ?? null;
        slot.lastError = null;
        this.emitState(slot);
        return true;
      }
    } catch {
      // nothing there
    }
    if (slot.state === 'external') {
      slot.state = 'stopped';
      this.emitState(slot);
    }
    return false;
  }

  /** A process row left `running` by a previous Switchyard: adopt it if healthy, stop it otherwise. */
  private async reconcile(row: RuntimeProcessRow): Promise<void> {
    const log = this.deps.logger.child({ runtime: row.runtime, pid: row.pid });
    const stat = readProcStat(row.pid);
    const command = JSON.parse(row.command) as string[];
    const args = command.slice(1);
    const cmdline = readCmdline(row.pid);
    const same =
      stat !== null &&
      stat.state !== 'Z' &&
      stat.startTime === row.proc_start &&
      cmdline !== null &&
      args.every((arg, i) => cmdline[cmdline.length - args.length + i] === arg);
    const slot = this.slots[row.runtime];
    if (!same) {
      // If the leader is gone, live members of its group can only be its own children (a group id
      // stays taken while any member lives), so they are ours to stop. If the pid is alive but is
      // another program (pid reused), its group is that program's: leave it alone.
      const leaderGone = stat === null || stat.state === 'Z';
      if (leaderGone && groupMembers(row.pgid).length > 0) await stopGroup(row.pgid, this.deps.settings.get().runtime.stopGraceMs);
      this.deps.processes.recordExit(row.id, { code: null, signal: null, reason: 'gone' });
      log.info('previous runtime process is gone');
      return;
    }
    const endpoint = { host: row.host, port: row.port };
    let healthy = false;
    let version: string | null = null;
    // the adopted process demands the key it was started with (the command line, or our env then and now)
    const apiKey = slot.adapter.apiKeyOf?.(args, this.deps.env) ?? null;
    if (!slot.proc) {
      try {
        const result = await slot.adapter.probe(baseUrlOf(endpoint), row.model, this.fetchImpl, AbortSignal.timeout(1_500), apiKey ? { authorization: `Bearer ${apiKey}` } : undefined);
        healthy = result.ready;
        version = result.version ?? null;
      } catch {
        healthy = false;
      }
    }
    if (!healthy) {
      log.warn('stopping a leftover runtime that is not healthy (or a duplicate)');
      await stopGroup(row.pgid, this.deps.settings.get().runtime.stopGraceMs);
      this.deps.processes.recordExit(row.id, { code: null, signal: null, reason: 'orphan_stopped' });
      return;
    }
    const proc = SupervisedProcess.adopt(row.pid, row.pgid);
    slot.proc = proc;
    slot.rowId = row.id;
    slot.endpoint = endpoint;
    slot.model = row.model;
    slot.args = args;
    slot.apiKey = apiKey;
    slot.flags = slot.adapter.flagsOf?.(args) ?? {};
    slot.version = version;
    slot.startedAt = row.started_at;
    slot.state = 'ready';
    slot.log.record(`---- switchyard: adopted running ${slot.adapter.displayName} (pid ${row.pid}) left by a previous session`);
    slot.log.follow(row.pid, slot.log.currentSize());
    proc.onExit((exit) => this.onExit(slot, proc, exit));
    if (!this.active) this.setActive(row.runtime);
    log.info('adopted leftover runtime');
  }

  private withLocks<T>(names: readonly RuntimeName[], work: () => Promise<T>): Promise<T> {
    const sorted = [...names].sort();
    const run = (i: number): Promise<T> => (i === sorted.length ? work() : this.slots[sorted[i]!].lock.run(() => run(i + 1)));
    return run(0);
  }

  private binaryOf(slot: Slot): string | null {
    return runtimeBinary(slot.adapter.binarySetting(this.deps.settings.get()), slot.adapter.defaultBinary, this.deps.env, this.deps.env.HOME || homedir());
  }

  /** Which runtime the OpenAI endpoint routes to; a change is a `runtime.state` of both (their `active` moved). */
  private setActive(name: RuntimeName | null): void {
    const was = this.active;
    if (was === name) return;
    this.active = name;
    this.deps.state.writeState('runtimes.active', name);
    if (was) this.emitState(this.slots[was]);
    if (name) this.emitState(this.slots[name]);
  }

  private rememberModel(name: RuntimeName, model: string): void {
    this.lastModels[name] = model;
    this.deps.state.writeState('runtimes.last_models', this.lastModels);
  }

  private emitState(slot: Slot): void {
    this.deps.events.emit({ type: 'runtime.state', runtime: this.info(slot.name) });
  }

  private emitLog(log: LogLine): void {
    this.deps.events.emit({ type: 'runtime.log', log });
  }

  private assertOpen(): void {
    if (this.closed) throw new AppError('runtime_busy', 'Switchyard is shutting down.');
  }
}

function describeExit(exit: ProcessExit): string {
  if (exit.signal) return `signal ${exit.signal}`;
  if (exit.code !== null) return `exit code ${exit.code}`;
  return 'exit status unknown';
}

function lastLineHint(lines: string[]): string {
  const meaningful = [...lines].reverse().find((l) => !l.startsWith('---- switchyard'));
  return meaningful ? `Last log line: ${meaningful.slice(0, 300)}` : 'See the runtime log.';
}
