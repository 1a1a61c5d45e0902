import type { RuntimeInfo, RuntimeName } from '../../shared/api/runtimes';
import { sameModelName } from '../../shared/model-names';
import type { DriverRegistry } from '../drivers/serving-driver';
import type { EventBus } from '../events';
import type { RuntimeManager } from '../runtimes/manager';
import type { ActiveServing } from './active-serving';
import type { EmbeddingsSlot } from './embeddings-slot';

export interface RuntimeStopsDeps {
  runtimes: RuntimeManager;
  drivers: DriverRegistry;
  events: EventBus;
  active: ActiveServing;
  embeddings: EmbeddingsSlot;
  /** drops a chat-slot load in flight: the stop or restart is the newer request (the activation service's generation) */
  supersedeChat(): void;
  /** forgets the remote default through the activation service, with its `deactivated` event */
  deactivateRemote(runtime: string): Promise<unknown>;
}

/**
 * A local runtime stopped or restarted on request (API, CLI, tray), and "Off": what it served gets the
 * same `model.activation` events as a deactivation, through the activation service's serving state.
 */
export class RuntimeStops {
  constructor(private readonly deps: RuntimeStopsDeps) {}

  /** Stops a local runtime: its model is deactivated through here, with the same events. */
  async stop(name: RuntimeName): Promise<RuntimeInfo> {
    const { runtimes, drivers, events, active, embeddings } = this.deps;
    this.deps.supersedeChat();
    const info = await runtimes.stop(name);
    // stopped on request: the embeddings slot is not loaded again when the runtime is next up
    embeddings.forget(name);
    const driver = drivers.byLocalRuntime(name);
    if (driver && active.announcedModel(driver)) active.retire(driver, `${driver.label} was stopped.`);
    events.emit({ type: 'models.changed' });
    return info;
  }

  /** Restarts a local runtime with what it served (the events say deactivated, then serving again). */
  async restart(name: RuntimeName): Promise<RuntimeInfo> {
    const { runtimes, drivers, active } = this.deps;
    const driver = drivers.byLocalRuntime(name);
    // a running runtime beside the chat slot's (the embeddings slot's) restarts in place: no chat load is cancelled
    const before = runtimes.info(name);
    if (before.active || before.pid === null) this.deps.supersedeChat();
    const model = driver ? active.announcedModel(driver) : null;
    const info = await runtimes.restart(name);
    if (driver && model && info.model && sameModelName(info.model, model) && !active.announcedModel(driver)) {
      active.served(driver, { name: model, provider: driver.provider, runtime: driver.runtime }, `${model} is served again by ${driver.label} (restarted).`);
    }
    return info;
  }

  /** "Off" (tray, CLI): whatever serves stops — the remote default is forgotten, the chat slot's runtime stopped. */
  async stopAll(): Promise<void> {
    const remote = this.deps.active.remoteDriver();
    const local = this.deps.runtimes.activeInfo().active_server;
    if (remote) await this.deps.deactivateRemote(remote.runtime);
    // a stored default waiting for its provider is forgotten too: "Off" means nothing comes back
    this.deps.active.forgetSaved();
    if (local) await this.stop(local);
  }
}
