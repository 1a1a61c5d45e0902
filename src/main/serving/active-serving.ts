import type { RuntimeInfo } from '../../shared/api/runtimes';
import { sameModelName } from '../../shared/model-names';
import type { DriverRegistry, ServedModel, ServingDriver } from '../drivers/serving-driver';
import type { EventBus } from '../events';
import type { ServingEndpoint } from './endpoint';

export type ActivationPhase = 'starting' | 'loading' | 'serving' | 'failed' | 'deactivated';

interface Announced {
  driver: ServingDriver;
  model: string;
  runtime: string;
}

/**
 * Which driver serves now, and the one place `model.activation` events come from. Activations and
 * deactivations tell it what they did; a local runtime's own changes (a crash, an automatic restart, a
 * stop from Runtimes, the tray or the CLI, an Ollama that vanished) reach it as `runtime.state` events
 * and end in the same `deactivated` / `serving` events. A model is announced `serving` once and
 * `deactivated` once, whichever way it goes.
 */
export class ActiveServing {
  private current: ServingDriver | null = null;
  private announced: Announced | null = null;
  /** a serving model whose runtime crashed: served again if the automatic restart brings it back */
  private recovering: Announced | null = null;

  constructor(
    private readonly drivers: DriverRegistry,
    private readonly events: EventBus,
  ) {
    events.on((e) => e.type === 'runtime.state' && this.sync(e.runtime), ['runtime.state']);
  }

  /** Where OpenAI requests go now (the proxy's per-request question), or null. */
  endpoint(): ServingEndpoint | null {
    return this.current ? this.current.endpoint() : null;
  }

  driver(): ServingDriver | null {
    return this.current;
  }

  emit(model: ServedModel | Announced | { name: string; runtime: string }, phase: ActivationPhase, message: string, error: { code: string; message: string } | null = null): void {
    const name = 'name' in model ? model.name : model.model;
    this.events.emit({ type: 'model.activation', model: name, runtime: model.runtime, phase, message, error });
  }

  /** An activation is under way: a pending automatic-restart announcement no longer applies. */
  begin(): void {
    this.recovering = null;
  }

  /** `driver` serves `model` now (an activation succeeded). */
  served(driver: ServingDriver, model: ServedModel, message: string): void {
    if (this.current && this.current !== driver && this.announced?.driver === this.current) this.retire(`${driver.label} serves ${model.name} now.`);
    this.current = driver;
    this.announced = { driver, model: model.name, runtime: model.runtime };
    this.emit(model, 'serving', message);
  }

  /** What is announced as serving is not any more: one `deactivated` event (none if nothing was announced). */
  retire(reason: string): { model: string; runtime: string } | null {
    const a = this.announced;
    if (!a) return null;
    this.announced = null;
    this.emit(a, 'deactivated', `${a.model} is no longer served${reason ? `: ${reason}` : '.'}`);
    return { model: a.model, runtime: a.runtime };
  }

  /** Nothing serves any more (a process-less endpoint was deactivated). */
  clear(driver: ServingDriver): void {
    if (this.current === driver) this.current = null;
    if (this.recovering?.driver === driver) this.recovering = null;
  }

  /** The model a driver is announced serving, if it is that driver. */
  announcedModel(driver: ServingDriver): string | null {
    return this.announced?.driver === driver ? this.announced.model : null;
  }

  /** A local runtime changed: follow it (crash, stop, automatic restart, a switch made on the runtime itself). */
  sync(info: RuntimeInfo): void {
    const driver = this.drivers.byLocalRuntime(info.name);
    if (!driver) return;
    const state = driver.state();
    const a = this.announced;
    if (a && a.driver === driver && (state.phase === 'down' || state.model === null || !sameModelName(state.model, a.model))) {
      if (info.state === 'crashed') this.recovering = a;
      this.retire(describe(driver, info));
    }
    const r = this.recovering;
    if (r && r.driver === driver && state.phase === 'serving' && state.model !== null && sameModelName(state.model, r.model)) {
      this.recovering = null;
      this.announced = r;
      this.emit(r, 'serving', `${r.model} is served again by ${driver.label} (restarted after a crash).`);
    }
    if (info.state === 'stopped' || info.state === 'not_installed') this.clear(driver);
    if (info.active && state.phase === 'serving' && this.current !== driver) {
      const previous = this.current;
      if (previous && previous.kind === 'remote') {
        this.retire(`${driver.label} was switched on.`);
        void previous.deactivate(null).catch(() => {});
      }
      this.current = driver;
    }
  }
}

function describe(driver: ServingDriver, info: RuntimeInfo): string {
  if (info.state === 'crashed') return `${driver.label} crashed (${info.last_error?.message ?? 'see its log'}).`;
  if (info.state === 'stopped') return `${driver.label} stopped.`;
  if (info.state === 'stopping') return `${driver.label} is stopping.`;
  return `${driver.label} serves ${info.model ?? 'no model'} now.`;
}
