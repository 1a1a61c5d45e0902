import type { Slot } from '../../shared/api/router';
import { AppError } from '../../shared/errors';
import type { Logger } from '../logger';
import type { ServingEndpoint } from '../serving/endpoint';
import type { RouteEntry } from './table';

export interface OnDemandOptions {
  /** the slot an installed model loads into (by its capability) */
  slotFor(model: string): Promise<Slot>;
  /** Activate's path, with its checks and events */
  activate(model: string, slot: Slot): Promise<void>;
  deactivate(slot: Slot): Promise<void>;
  /** the model a slot holds now, if any */
  held(slot: Slot): string | null;
  /** where a loaded model's requests go now (from the rebuilt table) */
  endpointOf(model: string): ServingEndpoint | null;
  /** the switching set changed: rebuild the table */
  changed(): void;
  settings: () => { loadTimeoutSeconds: number; idleUnloadMinutes: number };
  logger: Logger;
  now?: () => number;
}

/**
 * Load on demand (LM Studio's JIT): a request naming an installed model that is not loaded switches
 * the right slot through Activate, and every request for that model meanwhile shares the one load.
 * The model being evicted answers `model_switching` until the switch ends. Idle unload: a slot whose
 * model had no request for `router.idleUnloadMinutes` is emptied (its VRAM back to the user).
 */
export class OnDemand {
  private readonly loads = new Map<string, Promise<ServingEndpoint>>();
  /** local models being evicted by a load (the table answers them `model_switching`) */
  readonly switching = new Set<string>();
  private readonly lastUse = new Map<Slot, { model: string; at: number }>();
  private readonly idleTimers = new Map<Slot, NodeJS.Timeout>();
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly options: OnDemandOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * The endpoint for a resolved route: at once when it serves; otherwise its load (shared with every
   * other request for it), waited for up to `router.loadTimeoutSeconds` (504 `start_timeout` after,
   * the load goes on) or until `signal` aborts (the client left; the load goes on for the others).
   */
  async ensureLoaded(route: RouteEntry, signal?: AbortSignal): Promise<ServingEndpoint> {
    if (route.endpoint && route.state === 'serving') {
      if (route.slot) this.touch(route.slot, route.name);
      return route.endpoint;
    }
    if (route.kind !== 'local') throw new AppError('upstream_error', `${route.name} has no endpoint now.`);
    let load = this.loads.get(route.name);
    if (!load) {
      load = this.load(route.name).finally(() => this.loads.delete(route.name));
      this.loads.set(route.name, load);
    }
    const { loadTimeoutSeconds } = this.options.settings();
    const timeout = AbortSignal.timeout(loadTimeoutSeconds * 1000);
    const stop = signal ? AbortSignal.any([signal, timeout]) : timeout;
    return new Promise<ServingEndpoint>((resolve, reject) => {
      const onAbort = () =>
        reject(
          timeout.aborted
            ? new AppError('start_timeout', `${route.name} did not load within ${loadTimeoutSeconds} s (router.loadTimeoutSeconds) — it keeps loading; retry in a while, or see its runtime's log.`)
            : new AppError('cancelled', `The request for ${route.name} was cancelled while it loaded.`),
        );
      stop.addEventListener('abort', onAbort, { once: true });
      void load.then(resolve, reject).finally(() => stop.removeEventListener('abort', onAbort));
    });
  }

  /** A request used a slot's model (idle unload counts from the last one). A map write. */
  touch(slot: Slot, model: string): void {
    const use = this.lastUse.get(slot);
    if (use && use.model === model) use.at = this.now();
    else this.lastUse.set(slot, { model, at: this.now() });
  }

  /** The slots after a rebuild: idle timers armed for the loaded ones, dropped for the empty ones. */
  follow(held: Record<Slot, string | null>): void {
    const { idleUnloadMinutes } = this.options.settings();
    for (const slot of ['chat', 'embeddings'] as const) {
      const model = held[slot];
      if (!model || idleUnloadMinutes <= 0 || this.closed) {
        this.clearIdle(slot);
        if (!model) this.lastUse.delete(slot);
        continue;
      }
      if (this.lastUse.get(slot)?.model !== model) this.lastUse.set(slot, { model, at: this.now() });
      if (!this.idleTimers.has(slot)) this.armIdle(slot, idleUnloadMinutes * 60_000);
    }
  }

  /** The idle setting changed: timers are armed again from the last use. */
  retime(held: Record<Slot, string | null>): void {
    for (const slot of [...this.idleTimers.keys()]) this.clearIdle(slot);
    this.follow(held);
  }

  close(): void {
    this.closed = true;
    for (const slot of [...this.idleTimers.keys()]) this.clearIdle(slot);
  }

  private async load(model: string): Promise<ServingEndpoint> {
    const slot = await this.options.slotFor(model);
    const evicted = this.options.held(slot);
    if (evicted) this.switching.add(evicted);
    this.options.changed();
    try {
      this.options.logger.info({ model, slot, evicted }, 'loading a model on request');
      await this.options.activate(model, slot);
    } finally {
      if (evicted) this.switching.delete(evicted);
      this.options.changed();
    }
    const endpoint = this.options.endpointOf(model);
    if (!endpoint) throw new AppError('runtime_failed', `${model} was loaded but does not answer — see its runtime's log (Runtimes).`);
    this.touch(slot, model);
    return endpoint;
  }

  private armIdle(slot: Slot, idleMs: number): void {
    const use = this.lastUse.get(slot);
    const wait = Math.max(0, (use?.at ?? this.now()) + idleMs - this.now());
    const timer = setTimeout(() => {
      this.idleTimers.delete(slot);
      const last = this.lastUse.get(slot);
      const held = this.options.held(slot);
      if (!last || !held || last.model !== held || this.closed) return;
      if (this.now() - last.at < idleMs) return this.armIdle(slot, idleMs); // used meanwhile: wait from that use
      if (this.loads.size > 0) return this.armIdle(slot, idleMs); // a load is switching slots: not now
      this.options.logger.info({ slot, model: held }, 'unloading an idle model');
      this.options.deactivate(slot).catch((error) => this.options.logger.warn({ slot, model: held, error: String(error) }, 'idle unload failed'));
    }, wait);
    timer.unref();
    this.idleTimers.set(slot, timer);
  }

  private clearIdle(slot: Slot): void {
    const timer = this.idleTimers.get(slot);
    if (timer) clearTimeout(timer);
    this.idleTimers.delete(slot);
  }
}
