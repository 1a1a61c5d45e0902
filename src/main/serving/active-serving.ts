import type { Slot } from '../../shared/api/router';
import type { RuntimeInfo } from '../../shared/api/runtimes';
import { sameModelName } from '../../shared/model-names';
import type { DriverRegistry, ServedModel, ServingDriver } from '../drivers/serving-driver';
import type { EventBus } from '../events';
import type { ServingEndpoint } from './endpoint';
import { SavedChoice, type SavedRoute, type StateStore } from './saved-choice';

export type ActivationPhase = 'starting' | 'loading' | 'serving' | 'failed' | 'deactivated';

interface Announced {
  driver: ServingDriver;
  model: string;
  runtime: string;
  /** the local slot it serves; null for the default route's remote model */
  slot: Slot | null;
}

/** The local slot a driver's `model.activation` events name: a process-less driver's model is in none. */
export const eventSlot = (driver: ServingDriver): Slot | null => (driver.localRuntime === null ? null : 'chat');

/**
 * Which drivers serve now, and the one place `model.activation` events come from. Two things are held
 * apart: the local `chat` slot (the active runtime's driver) and the default route when it is a remote
 * model (`llm-runtime/active {provider, model}`; stored, so a restart keeps it). Neither takes the other
 * off the endpoint: a remote default stays while a local chat model is activated, and a local model
 * keeps serving by name while a remote model is the default. Activations and deactivations tell it
 * what they did; a local runtime's own changes (a crash, an automatic restart, a stop from Runtimes,
 * the tray or the CLI, an Ollama that vanished) reach it as `runtime.state` events and end in the same
 * `deactivated` / `serving` events. A model is announced `serving` once and `deactivated` once.
 */
export class ActiveServing {
  /** the chat slot: the local driver of the active runtime */
  private chat: ServingDriver | null = null;
  /** the default route when it is a process-less driver's model (null: the chat slot is the default) */
  private remote: ServingDriver | null = null;
  private announcedChat: Announced | null = null;
  private announcedRemote: Announced | null = null;
  /** a serving model whose runtime crashed: served again if the automatic restart brings it back */
  private recovering: Announced | null = null;
  /** the remote default as the user set it, kept across restarts */
  private readonly saved: SavedChoice;

  constructor(
    private readonly drivers: DriverRegistry,
    private readonly events: EventBus,
    store: StateStore | null = null,
  ) {
    this.saved = new SavedChoice(store, 'router.default');
    events.on((e) => e.type === 'runtime.state' && this.sync(e.runtime), ['runtime.state']);
  }

  /** Where requests without a model go now: the default route's endpoint, or null. */
  endpoint(): ServingEndpoint | null {
    return this.driver()?.endpoint() ?? null;
  }

  /** The default route's driver: the remote default, else the chat slot's. */
  driver(): ServingDriver | null {
    return this.remote ?? this.chat;
  }

  /** The chat slot's local driver (whatever the default is). */
  chatDriver(): ServingDriver | null {
    return this.chat;
  }

  /** The process-less driver whose model is the default route, or null (the chat slot is the default). */
  remoteDriver(): ServingDriver | null {
    return this.remote;
  }

  /** The remote default the user chose (`{provider, model}`), stored; null: the chat slot is the default. */
  savedDefault(): SavedRoute | null {
    return this.saved.get();
  }

  emit(model: ServedModel | Announced | { name: string; runtime: string }, phase: ActivationPhase, message: string, error: { code: string; message: string } | null = null, slot: Slot | null = 'chat'): void {
    const name = 'name' in model ? model.name : model.model;
    this.events.emit({ type: 'model.activation', model: name, runtime: model.runtime, slot: 'driver' in model ? model.slot : slot, phase, message, error });
  }

  /** An activation of `driver` is under way: a pending automatic-restart announcement of the chat slot no longer applies. */
  begin(driver: ServingDriver): void {
    if (driver.localRuntime !== null) this.recovering = null;
  }

  /** `driver` serves `model` now (an activation succeeded): the chat slot's model, or the remote default. */
  served(driver: ServingDriver, model: ServedModel, message: string): void {
    const slot = eventSlot(driver);
    const previous = slot ? this.chat : this.remote;
    if (previous && previous !== driver) this.retire(previous, `${driver.label} serves ${model.name} now.`);
    const announced = { driver, model: model.name, runtime: model.runtime, slot };
    if (slot) {
      this.chat = driver;
      this.announcedChat = announced;
    } else {
      this.remote = driver;
      this.announcedRemote = announced;
      this.saved.set({ provider: driver.provider, model: model.name });
    }
    this.emit(announced, 'serving', message);
  }

  /** What `driver` is announced serving is not any more: one `deactivated` event (none if nothing was announced). */
  retire(driver: ServingDriver, reason: string): { model: string; runtime: string } | null {
    const a = this.announcedChat?.driver === driver ? this.announcedChat : this.announcedRemote?.driver === driver ? this.announcedRemote : null;
    if (!a) return null;
    if (a === this.announcedChat) this.announcedChat = null;
    else this.announcedRemote = null;
    this.emit(a, 'deactivated', `${a.model} is no longer served${reason ? `: ${reason}` : '.'}`);
    return { model: a.model, runtime: a.runtime };
  }

  /** `driver` serves nothing any more: a remote default is forgotten (the chat slot is the default again). */
  clear(driver: ServingDriver): void {
    if (this.chat === driver) this.chat = null;
    if (this.remote === driver) {
      this.remote = null;
      this.saved.set(null);
    }
    if (this.recovering?.driver === driver) this.recovering = null;
  }

  /**
   * The remote default cannot serve now (its provider was disabled, changed or removed): the chat slot
   * is the default, but the choice stays stored, to come back once its provider can serve again.
   */
  suspend(driver: ServingDriver, reason: string): void {
    if (this.remote !== driver) return;
    this.remote = null;
    this.retire(driver, reason);
  }

  /** The stored remote default is forgotten too (one that was not in effect: a local default chosen, "Off"). */
  forgetSaved(): void {
    if (!this.remote) this.saved.set(null);
  }

  /** The model a driver is announced serving, if any. */
  announcedModel(driver: ServingDriver): string | null {
    if (this.announcedChat?.driver === driver) return this.announcedChat.model;
    return this.announcedRemote?.driver === driver ? this.announcedRemote.model : null;
  }

  /** A local runtime changed: follow it (crash, stop, automatic restart, a switch made on the runtime itself). */
  sync(info: RuntimeInfo): void {
    const driver = this.drivers.byLocalRuntime(info.name);
    if (!driver) return;
    const state = driver.state();
    const a = this.announcedChat;
    if (a && a.driver === driver && (state.phase === 'down' || state.model === null || !sameModelName(state.model, a.model))) {
      if (info.state === 'crashed') this.recovering = a;
      this.retire(driver, describe(driver, info));
    }
    const r = this.recovering;
    if (r && r.driver === driver && state.phase === 'serving' && state.model !== null && sameModelName(state.model, r.model)) {
      this.recovering = null;
      this.announcedChat = r;
      this.emit(r, 'serving', `${r.model} is served again by ${driver.label} (restarted after a crash).`);
    }
    if (info.state === 'stopped' || info.state === 'not_installed') this.clear(driver);
    // the chat slot follows the active runtime; a remote default stays the default
    if (info.active && state.phase === 'serving') this.chat = driver;
  }
}

function describe(driver: ServingDriver, info: RuntimeInfo): string {
  if (info.state === 'crashed') return `${driver.label} crashed (${info.last_error?.message ?? 'see its log'}).`;
  if (info.state === 'stopped') return `${driver.label} stopped.`;
  if (info.state === 'stopping') return `${driver.label} is stopping.`;
  return `${driver.label} serves ${info.model ?? 'no model'} now.`;
}
