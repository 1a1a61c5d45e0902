import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import type { LogLine, RuntimeErrorInfo, RuntimeInfo, RuntimeName } from '../../shared/api/runtimes';
import { AppError, errorMessage, isAppError } from '../../shared/errors';
import type { SettingsService } from '../config';
import type { Logger } from '../logger';
import { baseUrlOf, binarySetting, type Endpoint, type RuntimeAdapter, type VllmFlags } from './adapters';
import { runtimeBinary } from './binaries';
import { RuntimeLog } from './log-store';
import { Mutex } from './mutex';
import { isPortFree } from './port-check';
import { readProcStat, sleep } from './process-group';
import type { RuntimeProcessRepo } from './process-repo';
import { describeExit, lastErrorOf, lastLineHint, modelOf, runOf, versionOf, type Run, type SlotState } from './slot-state';
import { SupervisedProcess, type ProcessExit } from './supervisor';

const READY_POLL_MS = 40;
const PROBE_TIMEOUT_MS = 2_000;
const LOG_TAIL_ON_ERROR = 30;

export interface StartOptions {
  model?: string | null;
  signal?: AbortSignal;
  /** vLLM flags for this model (fit estimate, per-model overrides); they win over settings */
  flags?: Partial<VllmFlags>;
  /** a new process even when one already runs with the same arguments (restart) */
  fresh?: boolean;
}

export interface SlotContext {
  settings: SettingsService;
  processes: RuntimeProcessRepo;
  logger: Logger;
  logDir: string;
  env: Record<string, string | undefined>;
  hfHubCache: () => string;
  fetch: typeof fetch;
  emitState(slot: RuntimeSlot): void;
  emitLog(log: LogLine): void;
  /** the runtime is the active one (a crash of an inactive one is not restarted) */
  isActive(name: RuntimeName): boolean;
  closed(): boolean;
  /** a model started and answered: remembered as the runtime's last one */
  remember(name: RuntimeName, model: string): void;
  /** it cannot start without a model (its serving driver's `requiresModel`, declared there only) */
  requiresModel(name: RuntimeName): boolean;
}

/**
 * One runtime: its state (slot-state.ts), its log, its lock, and the transitions — start, stop, exit,
 * crash and automatic restart, the health probe, adopting an external one. What differs between
 * runtimes is the adapter's; nothing here names one.
 */
export class RuntimeSlot {
  readonly lock = new Mutex();
  readonly log: RuntimeLog;
  private s: SlotState = { state: 'stopped', lastError: null };
  restarts = 0;

  constructor(
    readonly adapter: RuntimeAdapter,
    private readonly ctx: SlotContext,
  ) {
    this.log = new RuntimeLog(adapter.name, ctx.logDir, () => ctx.settings.get().runtime.logMaxBytes, (log) => ctx.emitLog(log));
    if (!this.binary()) this.s = { state: 'not_installed' };
  }

  get name(): RuntimeName {
    return this.adapter.name;
  }

  get current(): SlotState {
    return this.s;
  }

  /** The one place the state changes: listeners hear of every transition. */
  set(next: SlotState): void {
    this.s = next;
    this.ctx.emitState(this);
  }

  info(active: boolean, lastModel: string | null): RuntimeInfo {
    if (this.s.state === 'stopped' || this.s.state === 'not_installed') {
      const installed = this.binary() !== null;
      if (this.s.state === 'not_installed' && installed) this.s = { state: 'stopped', lastError: null };
      else if (this.s.state === 'stopped' && !installed) this.s = { state: 'not_installed' };
    }
    const endpoint = this.endpoint();
    const run = runOf(this.s);
    return {
      name: this.name,
      state: this.s.state,
      active,
      owned: run !== null,
      pid: run?.proc.pid ?? null,
      host: endpoint.host,
      port: endpoint.port,
      base_url: baseUrlOf(endpoint),
      version: versionOf(this.s),
      binary: this.binary(),
      model: modelOf(this.s),
      last_model: lastModel,
      started_at: run?.startedAt ?? null,
      restarts: this.restarts,
      last_error: lastErrorOf(this.s),
    };
  }

  /** Where it answers: the running process's address, an adopted external one's, else the configured one. */
  endpoint(): Endpoint {
    const run = runOf(this.s);
    if (run) return run.endpoint;
    if (this.s.state === 'external') return this.s.endpoint;
    return this.adapter.endpoint(this.ctx.settings.get());
  }

  /** Headers every call to this runtime's own API needs (its API key); empty when it wants none. */
  authHeaders(): Record<string, string> {
    const key = runOf(this.s)?.apiKey;
    return key ? { authorization: `Bearer ${key}` } : {};
  }

  binary(): string | null {
    return runtimeBinary(binarySetting(this.adapter, this.ctx.settings.get()), this.adapter.defaultBinary, this.ctx.env, this.ctx.env.HOME || homedir());
  }

  /** Records which model a running runtime serves when it loads models itself (Ollama, through its API). */
  setModel(model: string | null): void {
    const s = this.s;
    if (s.state === 'external') this.set({ ...s, model });
    else if ('run' in s) this.set({ ...s, run: { ...s.run, model } } as SlotState);
  }

  abortStart(reason: AppError): void {
    if (this.s.state === 'starting') this.s.abort.abort(reason);
  }

  /** The model a start serves (one asked for, else the last one when the runtime needs one), or a bad_request. */
  modelFor(options: StartOptions, lastModel: string | null): string | null {
    const requiresModel = this.ctx.requiresModel(this.name);
    const model = options.model ?? (requiresModel ? lastModel : null);
    if (requiresModel && !model) {
      throw new AppError('bad_request', `${this.adapter.displayName} serves one model per process and has served none yet: pass model_name (one of its installed models).`);
    }
    return model ?? null;
  }

  /** Starts the runtime (or finds it already right, or adopts an external one); resolves once it answers. */
  async start(options: StartOptions, model: string | null): Promise<void> {
    const settings = this.ctx.settings.get();
    const flags = options.flags ?? {};
    const s = this.s;
    if (s.state === 'ready' && !options.fresh) {
      if (model === null) return;
      if (s.run.model === model) {
        const wanted = this.adapter.launch({ settings, model, env: this.ctx.env, hfHubCache: this.ctx.hfHubCache(), overrides: flags }).args;
        if (JSON.stringify(wanted) === JSON.stringify(s.run.args)) return;
      }
    }
    if (runOf(this.s)) await this.stop();
    if (this.s.state === 'crashed' && this.s.restartTimer) clearTimeout(this.s.restartTimer);

    const endpoint = this.adapter.endpoint(settings);
    if (await this.detectExternal()) return;
    const binary = this.binary();
    if (!binary) {
      this.set({ state: 'not_installed' });
      throw new AppError('runtime_not_installed', `${this.adapter.displayName} is not installed or not on PATH. ${this.adapter.installHint}`);
    }
    if (!(await isPortFree(endpoint.host, endpoint.port))) {
      const error = new AppError('port_in_use', `Port ${endpoint.port} on ${endpoint.host} is already in use by another program — stop that program or change the ${this.adapter.displayName} port in Settings.`);
      this.fail(error, []);
      throw error;
    }

    const abort = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, abort.signal]) : abort.signal;
    const launch = this.adapter.launch({ settings, model, env: this.ctx.env, hfHubCache: this.ctx.hfHubCache(), overrides: options.flags });
    const env = { ...launch.env };
    let apiKey = this.adapter.apiKeyOf?.(launch.args, env) ?? null;
    if (!apiKey && this.adapter.perStartKeyEnv) env[this.adapter.perStartKeyEnv] = apiKey = randomBytes(24).toString('base64url');
    this.log.prepareForSpawn([binary, ...launch.args].join(' '));
    let proc: SupervisedProcess;
    try {
      proc = await SupervisedProcess.spawn({ command: binary, args: launch.args, env, logFile: this.log.file });
    } catch (error) {
      this.fail(error, this.log.tailText(LOG_TAIL_ON_ERROR));
      throw error;
    }
    if (apiKey) this.log.record(`---- switchyard: ${this.adapter.displayName} demands an API key (${this.adapter.perStartKeyEnv ?? '--api-key'}): only Switchyard's probes, tests and OpenAI endpoint send it`);
    const rowId = this.ctx.processes.recordStart({
      runtime: this.name,
      pid: proc.pid,
      pgid: proc.pgid,
      procStart: readProcStat(proc.pid)?.startTime ?? null,
      command: [binary, ...launch.args],
      host: endpoint.host,
      port: endpoint.port,
      model,
      logPath: this.log.file,
    });
    const run: Run = { proc, rowId, endpoint, model, flags, args: launch.args, apiKey, startedAt: new Date().toISOString() };
    this.log.follow(proc.pid);
    proc.onExit((exit) => this.onExit(run, exit));
    this.ctx.logger.info({ runtime: this.name, pid: proc.pid, model }, 'runtime starting');
    this.set({ state: 'starting', run, abort });

    let version: string | null;
    try {
      version = (await this.waitReady(run, signal, settings.runtime.startTimeoutMs)).version ?? null;
    } catch (error) {
      if (proc.running) {
        this.set({ state: 'stopping', run });
        await proc.stop(settings.runtime.stopGraceMs);
      }
      this.fail(error, this.log.tailText(LOG_TAIL_ON_ERROR));
      throw error;
    }
    if (runOf(this.s)?.proc !== proc) throw new AppError('cancelled', `${this.adapter.displayName} was stopped while starting.`);
    if (model) this.ctx.remember(this.name, model);
    this.ctx.logger.info({ runtime: this.name, pid: proc.pid, model, version }, 'runtime ready');
    this.set({ state: 'ready', run, version, missed: 0 });
  }

  private async waitReady(run: Run, signal: AbortSignal, timeoutMs: number) {
    const deadline = Date.now() + timeoutMs;
    const name = this.adapter.displayName;
    const baseUrl = baseUrlOf(run.endpoint);
    for (;;) {
      if (signal.aborted) throw isAppError(signal.reason) ? signal.reason : new AppError('cancelled', `Start of ${name} was cancelled.`);
      if (!run.proc.running) {
        const exit = run.proc.exit!;
        throw new AppError('runtime_failed', `${name} exited during start-up (${describeExit(exit)}). ${lastLineHint(this.log.tailText(5))}`, {
          exit_code: exit.code,
          signal: exit.signal,
          log_tail: this.log.tailText(LOG_TAIL_ON_ERROR),
        });
      }
      if (Date.now() > deadline) {
        throw new AppError('start_timeout', `${name} did not answer on ${baseUrl} within ${Math.round(timeoutMs / 1000)} s — check its log below; large models can need more: raise Settings › Runtime › start timeout.`);
      }
      try {
        const headers = run.apiKey ? { authorization: `Bearer ${run.apiKey}` } : undefined;
        const result = await this.adapter.probe(baseUrl, run.model, this.ctx.fetch, AbortSignal.any([signal, AbortSignal.timeout(PROBE_TIMEOUT_MS)]), headers);
        if (result.ready) return result;
      } catch (error) {
        if (isAppError(error)) throw error; // it answered, and said no
        // not listening yet
      }
      await Promise.race([sleep(READY_POLL_MS, signal), run.proc.exited]);
    }
  }

  /** Stops its process (SIGCONT first: a suspended one acts on TERM only once continued); a no-op without one. */
  async stop(): Promise<void> {
    const s = this.s;
    const run = runOf(s);
    if (!run) {
      if (s.state === 'crashed') {
        if (s.restartTimer) clearTimeout(s.restartTimer);
        this.set({ state: 'stopped', lastError: s.lastError });
      } else this.ctx.emitState(this);
      return;
    }
    this.set({ state: 'stopping', run });
    const exit = await run.proc.stop(this.ctx.settings.get().runtime.stopGraceMs);
    this.ctx.logger.info({ runtime: this.name, pid: run.proc.pid, exit }, 'runtime stopped');
  }

  private onExit(run: Run, exit: ProcessExit): void {
    this.ctx.processes.recordExit(run.rowId, exit);
    if (runOf(this.s)?.proc !== run.proc) return; // runs are rebuilt (a model set), the process stays
    this.log.finish(`process ${exit.pid} exited (${describeExit(exit)})`);
    const at = new Date().toISOString();
    if (exit.reason === 'stopped' || exit.reason === 'killed') {
      const lastError = exit.reason === 'killed' ? { code: 'killed', message: `${this.adapter.displayName} did not exit within the grace period and was killed.`, exit_code: exit.code, signal: exit.signal, at } : null;
      this.set({ state: 'stopped', lastError });
      return;
    }
    // A crash: the leader is gone; children it forked (engine core, runners) may still hold VRAM.
    void run.proc.stop(this.ctx.settings.get().runtime.stopGraceMs).catch((error) => this.ctx.logger.error({ error }, 'reaping crashed runtime group failed'));
    const wasServing = this.s.state === 'ready' || this.s.state === 'unresponsive';
    const lastError: RuntimeErrorInfo = {
      code: 'crashed',
      message: `${this.adapter.displayName} exited unexpectedly (${describeExit(exit)}). ${lastLineHint(this.log.tailText(5))}`,
      exit_code: exit.code,
      signal: exit.signal,
      log_tail: this.log.tailText(LOG_TAIL_ON_ERROR),
      at,
    };
    this.ctx.logger.warn({ runtime: this.name, exit }, 'runtime crashed');
    this.set({ state: 'crashed', lastError, last: { model: run.model, flags: run.flags }, restartTimer: wasServing ? this.autoRestartTimer() : null });
  }

  private autoRestartTimer(): NodeJS.Timeout | null {
    const { autoRestart, maxAutoRestarts } = this.ctx.settings.get().runtime;
    if (!autoRestart || this.ctx.closed() || this.restarts >= maxAutoRestarts || !this.ctx.isActive(this.name)) return null;
    const delay = Math.min(60_000, 1_000 * 2 ** this.restarts);
    this.restarts += 1;
    this.log.record(`---- switchyard: restarting in ${delay} ms (attempt ${this.restarts} of ${maxAutoRestarts})`);
    const timer = setTimeout(() => {
      const s = this.s;
      if (this.ctx.closed() || !this.ctx.isActive(this.name) || s.state !== 'crashed' || s.restartTimer !== timer) return;
      this.lock
        .run(() => this.start({ model: s.last?.model ?? null, flags: s.last?.flags }, s.last?.model ?? null))
        .catch((error) => this.ctx.logger.warn({ runtime: this.name, error: errorMessage(error) }, 'auto-restart failed'));
    }, delay);
    timer.unref();
    return timer;
  }

  private fail(error: unknown, logTail: string[]): void {
    if (isAppError(error) && error.code === 'cancelled') {
      this.set({ state: 'stopped', lastError: null });
      return;
    }
    const details = (isAppError(error) ? error.details : undefined) as { exit_code?: number; signal?: string } | undefined;
    const lastError: RuntimeErrorInfo = {
      code: isAppError(error) ? error.code : 'runtime_failed',
      message: errorMessage(error),
      exit_code: details?.exit_code ?? null,
      signal: details?.signal ?? null,
      log_tail: logTail,
      at: new Date().toISOString(),
    };
    this.set(this.s.state === 'not_installed' ? { state: 'not_installed' } : { state: 'crashed', lastError, last: null, restartTimer: null });
  }

  /**
   * A runtime started by someone else on its address (an adapter capability: Ollama as a system
   * service): adopted when it identifies as that runtime — used, never stopped. Anything else there is
   * `port_in_use` (never adopted, never sent a prompt). An external one that is gone is `stopped`.
   */
  async detectExternal(): Promise<boolean> {
    const identify = this.adapter.identifyExternal;
    if (!identify || runOf(this.s)) return false;
    const endpoint = this.adapter.endpoint(this.ctx.settings.get());
    const found = await identify(baseUrlOf(endpoint), this.ctx.fetch, AbortSignal.timeout(1_000)).catch(() => null);
    if (found && 'foreign' in found) {
      const error = new AppError(
        'port_in_use',
        `Another program answers on ${baseUrlOf(endpoint)}, where ${this.adapter.displayName} should be (${found.foreign}); Switchyard will not send it prompts. Stop that program or change the ${this.adapter.displayName} port in Settings.`,
      );
      this.fail(error, []);
      throw error;
    }
    if (found) {
      const s = this.s;
      this.set({ state: 'external', endpoint, version: found.version, model: s.state === 'external' ? s.model : null, missed: 0 });
      return true;
    }
    if (this.s.state === 'external') this.set({ state: 'stopped', lastError: null });
    return false;
  }

  /**
   * One tick of the health probe (ready and external runtimes, and unresponsive ones that may come
   * back): a missed answer counts; after `misses` in a row a ready runtime is `unresponsive` and an
   * external one that vanished is `stopped`. An answer makes an unresponsive one ready again.
   */
  async checkHealth(timeoutMs: number, misses: number): Promise<void> {
    const s = this.s;
    if (s.state !== 'ready' && s.state !== 'unresponsive' && s.state !== 'external') return;
    const headers = this.authHeaders();
    const ok = await this.adapter.alive(baseUrlOf(this.endpoint()), this.ctx.fetch, AbortSignal.timeout(timeoutMs), headers).catch(() => false);
    const now = this.s;
    if (now !== s) return; // it moved on while we asked (stopped, restarted)
    if (now.state === 'unresponsive') {
      if (!ok) return;
      this.log.record(`---- switchyard: ${this.adapter.displayName} answers its health probe again`);
      this.set({ state: 'ready', run: now.run, version: now.version, missed: 0 });
      return;
    }
    if (ok) {
      if (now.missed > 0) this.s = { ...now, missed: 0 };
      return;
    }
    const missed = now.missed + 1;
    if (missed < misses) {
      this.s = { ...now, missed };
      return;
    }
    if (now.state === 'external') {
      this.ctx.logger.info({ runtime: this.name }, 'external runtime is gone');
      this.set({ state: 'stopped', lastError: null });
      return;
    }
    this.log.record(`---- switchyard: ${this.adapter.displayName} missed ${missed} health probes in a row: unresponsive (Restart continues and restarts it)`);
    this.ctx.logger.warn({ runtime: this.name, pid: now.run.proc.pid }, 'runtime unresponsive');
    this.set({ state: 'unresponsive', run: now.run, version: now.version, since: new Date().toISOString() });
  }

  /** A process of a previous session, found healthy: supervised again as it runs. */
  adopt(run: Run, version: string | null): void {
    this.log.record(`---- switchyard: adopted running ${this.adapter.displayName} (pid ${run.proc.pid}) left by a previous session`);
    this.log.follow(run.proc.pid, this.log.currentSize());
    run.proc.onExit((exit) => this.onExit(run, exit));
    this.s = { state: 'ready', run, version, missed: 0 };
  }
}

