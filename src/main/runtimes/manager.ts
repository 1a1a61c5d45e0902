import { AppError } from '../../shared/errors';
import { isUp } from '../../shared/runtimes';
import type { LogLine, RuntimeInfo, RuntimeName } from '../../shared/api/runtimes';
import type { SettingsService } from '../config';
import type { SettingsRepo } from '../db/settings-repo';
import type { EventBus } from '../events';
import type { Logger } from '../logger';
import { adapters, baseUrlOf, type RuntimeAdapter } from './adapters';
import type { RuntimeProcessRepo } from './process-repo';
import { reconcile } from './recovery';
import { RuntimeSlot, type StartOptions } from './runtime-slot';
import { modelOf, runOf } from './slot-state';

export type { StartOptions } from './runtime-slot';

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
  /** the runtimes supervised (default: every adapter); each one a slot, none named here */
  adapters?: readonly RuntimeAdapter[];
  /**
   * Whether runtime `name` cannot start without a model: its serving driver says (`requiresModel`,
   * the one declaration); asked at each start, so a driver registered later counts. Default: none does.
   */
  requiresModel?: (name: RuntimeName) => boolean;
}

/**
 * Supervises the local runtimes: one active runtime at a time (the one the OpenAI endpoint routes to),
 * operations on a runtime serialized by its lock, a switch holding every lock. A newer switch or a stop
 * supersedes a start still waiting for readiness (it is cancelled), so concurrent requests end in the
 * latest intent. A runtime may also be up without being active (Ollama pulling while vLLM serves).
 * Each runtime's state and transitions are its `RuntimeSlot`'s; the health probe runs here.
 */
export class RuntimeManager {
  private readonly slots = new Map<RuntimeName, RuntimeSlot>();
  private readonly fetchImpl: typeof fetch;
  private active: RuntimeName | null = null;
  /** runtimes serving a slot beside the active one (Ollama's embeddings beside vLLM): a switch leaves them running */
  private readonly beside = new Set<RuntimeName>();
  private lastModels: Record<string, string | null>;
  private closed = false;
  private healthTimer: NodeJS.Timeout | null = null;
  private healthRunning = false;
  private healthInterval: number | null = null;

  constructor(private readonly deps: RuntimeManagerDeps) {
    this.fetchImpl = deps.fetch ?? fetch;
    const ctx = {
      ...deps,
      fetch: this.fetchImpl,
      emitState: (slot: RuntimeSlot) => this.emitState(slot),
      emitLog: (log: LogLine) => this.deps.events.emit({ type: 'runtime.log', log }),
      isActive: (name: RuntimeName) => this.active === name,
      closed: () => this.closed,
      remember: (name: RuntimeName, model: string) => this.rememberModel(name, model),
      requiresModel: deps.requiresModel ?? (() => false),
    };
    for (const adapter of deps.adapters ?? adapters) this.slots.set(adapter.name, new RuntimeSlot(adapter, ctx));
    this.lastModels = Object.fromEntries([...this.slots.keys()].map((n) => [n, null]));
    Object.assign(this.lastModels, deps.state.readState<Record<string, string | null>>('runtimes.last_models') ?? {});
  }

  /** Finds runtimes left by a previous Switchyard (adopt or stop them) and ones started by someone else; starts the health probe. */
  async init(): Promise<void> {
    for (const row of this.deps.processes.listRunning()) {
      const slot = this.slots.get(row.runtime as RuntimeName);
      if (slot && (await reconcile(slot, row, { settings: this.deps.settings, processes: this.deps.processes, logger: this.deps.logger, env: this.deps.env, fetch: this.fetchImpl })) && !this.active) {
        this.setActive(slot.name);
      }
    }
    for (const slot of this.slots.values()) {
      if (!runOf(slot.current)) await slot.detectExternal().catch(() => false);
      this.emitState(slot);
    }
    this.scheduleHealth();
    // a new probe interval applies now, not after the old one ran out
    this.deps.settings.onChange((s) => {
      if (s.runtime.healthIntervalMs === this.healthInterval || this.healthRunning) return;
      if (this.healthTimer) clearTimeout(this.healthTimer);
      this.scheduleHealth();
    });
  }

  /** What differs about runtime `name` (its program, its Settings group); `runtime_not_found` when it is not supervised. */
  adapter(name: RuntimeName): RuntimeAdapter {
    return this.slot(name).adapter;
  }

  list(): RuntimeInfo[] {
    return [...this.slots.values()].map((s) => this.info(s.name));
  }

  info(name: RuntimeName): RuntimeInfo {
    const slot = this.slot(name);
    return slot.info(this.active === name, this.lastModels[name] ?? null);
  }

  /** Looks for the runtime's program again (after an install or a new path) and tells the listeners. */
  recheckBinary(name: RuntimeName): RuntimeInfo {
    const info = this.info(name);
    this.emitState(this.slot(name));
    return info;
  }

  activeInfo(): { active_server: RuntimeName | null; active_model: string | null; server: RuntimeInfo | null; last_models: Record<string, string | null> } {
    const server = this.active ? this.info(this.active) : null;
    return { active_server: this.active, active_model: server?.model ?? null, server, last_models: { ...this.lastModels } };
  }

  /**
   * What serving needs of a runtime, cheaply (the proxy asks per request): where its OpenAI API
   * answers (with the version path), the model it serves, the headers it demands, and whether it is up.
   */
  serving(name: RuntimeName): { phase: 'serving' | 'starting' | 'unresponsive' | 'down'; apiBase: string; model: string | null; headers: Record<string, string> } {
    const slot = this.slot(name);
    const s = slot.current;
    const phase = isUp(s.state) ? 'serving' : s.state === 'starting' || s.state === 'unresponsive' ? s.state : 'down';
    return { phase, apiBase: `${baseUrlOf(slot.endpoint())}/v1`, model: modelOf(s), headers: slot.authHeaders() };
  }

  /** No runtime is the active one any more (a process-less endpoint took over); owned ones keep running until stopped. */
  clearActive(): void {
    this.setActive(null);
  }

  /** Headers every call to this runtime's own API needs (its API key); empty when it wants none. */
  authHeaders(name: RuntimeName): Record<string, string> {
    return this.slot(name).authHeaders();
  }

  logs(name: RuntimeName, tail: number): LogLine[] {
    return this.slot(name).log.tail(tail);
  }

  /**
   * Makes `name` the one active runtime: stops the others, starts this one (vLLM with `model`, or the
   * last model used) and resolves once it answers on its API, or rejects with the failure.
   */
  activate(name: RuntimeName, options: StartOptions = {}): Promise<RuntimeInfo> {
    this.assertOpen();
    const target = this.slot(name);
    for (const slot of this.slots.values()) slot.abortStart(new AppError('cancelled', `Superseded by a newer request to switch to ${target.adapter.displayName}.`));
    return this.withLocks([...this.slots.keys()], async () => {
      const model = target.modelFor(options, this.lastModels[name] ?? null); // a request that cannot start stops nothing
      for (const other of this.slots.values()) if (other !== target && runOf(other.current) && !this.beside.has(other.name)) await other.stop();
      // Active only once it runs: a start that fails (not installed, no model, load error) leaves no
      // runtime active, since the others were stopped above.
      try {
        await target.start(options, model);
        this.setActive(name);
        return this.info(name);
      } catch (error) {
        if (this.active !== null && !runOf(this.slot(this.active).current)) this.setActive(null);
        throw error;
      }
    });
  }

  /**
   * Whether `name` serves a slot beside the active runtime (the router's embeddings slot): a switch of
   * the active runtime then leaves it running; an explicit stop still stops it.
   */
  keepBeside(name: RuntimeName, on: boolean): void {
    if (on) this.beside.add(name);
    else this.beside.delete(name);
  }

  /** Starting a runtime is a switch to it: only one runtime is active at a time. */
  start(name: RuntimeName, options: StartOptions = {}): Promise<RuntimeInfo> {
    return this.activate(name, options);
  }

  /**
   * Brings a runtime up without making it active and without stopping the active one (Ollama for a
   * pull while vLLM serves: no model is loaded, so it holds no VRAM). A no-op when it is up already.
   */
  bringUp(name: RuntimeName, options: { signal?: AbortSignal } = {}): Promise<RuntimeInfo> {
    this.assertOpen();
    const slot = this.slot(name);
    return this.withLocks([name], async () => {
      const s = slot.current.state;
      if (s !== 'ready' && s !== 'external') await slot.start({ signal: options.signal }, slot.modelFor({}, null));
      return this.info(name);
    });
  }

  stop(name: RuntimeName): Promise<RuntimeInfo> {
    this.assertOpen();
    const slot = this.slot(name);
    slot.abortStart(new AppError('cancelled', `${slot.adapter.displayName} was stopped while starting.`));
    return this.withLocks([name], async () => {
      if (slot.current.state === 'external') {
        throw new AppError(
          'runtime_external',
          `${slot.adapter.displayName} on ${baseUrlOf(slot.endpoint())} was not started by Switchyard, so it will not be stopped here — stop it where it was started (for example: systemctl stop ollama).`,
        );
      }
      await slot.stop();
      if (this.active === name) this.setActive(null);
      return this.info(name);
    });
  }

  /**
   * Records which model a running runtime serves when the runtime loads models itself (Ollama, after
   * a load through its API); remembered as that runtime's last one.
   */
  setModel(name: RuntimeName, model: string | null): void {
    if (model) this.rememberModel(name, model);
    this.slot(name).setModel(model);
  }

  /**
   * Always a new process with what it served (a hung one too: it is continued first, so it acts on the
   * stop's SIGTERM). A running one is restarted in place: no other runtime stops and which one is active
   * does not change (Ollama serving the embeddings slot beside vLLM stays beside it). One not running is
   * started as a switch to it, as `activate`; an external runtime is not ours to restart: it is looked up again.
   */
  restart(name: RuntimeName): Promise<RuntimeInfo> {
    const slot = this.slot(name);
    const run = runOf(slot.current);
    const options: StartOptions = { model: run?.model ?? this.lastModels[name], flags: run?.model ? run.flags : undefined, fresh: true };
    if (!run) return this.activate(name, options);
    this.assertOpen();
    run.proc.resume();
    slot.abortStart(new AppError('cancelled', `${slot.adapter.displayName} is being restarted.`));
    return this.withLocks([name], async () => {
      await slot.start(options, slot.modelFor(options, this.lastModels[name] ?? null));
      return this.info(name);
    });
  }

  /** Stops every runtime Switchyard owns (app quit, `serve` shutdown). Leaves external ones alone. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.healthTimer) clearTimeout(this.healthTimer);
    for (const slot of this.slots.values()) slot.abortStart(new AppError('cancelled', 'Switchyard is shutting down.'));
    await Promise.all(
      [...this.slots.values()].map((slot) =>
        slot.lock.run(async () => {
          await slot.stop();
          slot.log.close();
        }),
      ),
    );
  }

  // ---- internals -------------------------------------------------------------------------------

  /** The health probe: every `healthIntervalMs`, one cheap request to each runtime that should answer. */
  private scheduleHealth(): void {
    if (this.closed) return;
    const { healthIntervalMs } = this.deps.settings.get().runtime;
    this.healthInterval = healthIntervalMs;
    this.healthTimer = setTimeout(() => void this.healthTick(), healthIntervalMs);
    this.healthTimer.unref();
  }

  private async healthTick(): Promise<void> {
    if (this.healthRunning) return;
    this.healthRunning = true;
    const { healthIntervalMs, healthMisses } = this.deps.settings.get().runtime;
    try {
      await Promise.all([...this.slots.values()].map((slot) => slot.checkHealth(Math.min(healthIntervalMs, 2_000), healthMisses)));
    } finally {
      this.healthRunning = false;
      this.scheduleHealth();
    }
  }

  private slot(name: RuntimeName): RuntimeSlot {
    const slot = this.slots.get(name);
    if (!slot) throw new AppError('runtime_not_found', `No local runtime "${name}" is supervised here; the runtimes are ${[...this.slots.keys()].join(', ')}.`);
    return slot;
  }

  private withLocks<T>(names: readonly RuntimeName[], work: () => Promise<T>): Promise<T> {
    const sorted = [...names].sort();
    const run = (i: number): Promise<T> => (i === sorted.length ? work() : this.slot(sorted[i]!).lock.run(() => run(i + 1)));
    return run(0);
  }

  /** Which runtime the OpenAI endpoint routes to; a change is a `runtime.state` of both (their `active` moved). */
  private setActive(name: RuntimeName | null): void {
    const was = this.active;
    if (was === name) return;
    this.active = name;
    this.deps.state.writeState('runtimes.active', name);
    if (was) this.emitState(this.slot(was));
    if (name) this.emitState(this.slot(name));
  }

  private rememberModel(name: RuntimeName, model: string): void {
    this.lastModels[name] = model;
    this.deps.state.writeState('runtimes.last_models', this.lastModels);
  }

  private emitState(slot: RuntimeSlot): void {
    this.deps.events.emit({ type: 'runtime.state', runtime: this.info(slot.name) });
  }

  private assertOpen(): void {
    if (this.closed) throw new AppError('runtime_busy', 'Switchyard is shutting down.');
  }
}
