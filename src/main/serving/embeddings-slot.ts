import type { Slot } from '../../shared/api/router';
import type { RuntimeInfo, RuntimeName } from '../../shared/api/runtimes';
import { AppError, errorMessage, isAppError } from '../../shared/errors';
import type { ServedModel, ServingDriver } from '../drivers/serving-driver';
import type { EventBus } from '../events';
import type { RuntimeManager } from '../runtimes/manager';
import type { ActivationPhase, ActiveServing } from './active-serving';
import type { ServingEndpoint } from './endpoint';
import { SavedChoice, type SavedRoute, type StateStore } from './saved-choice';

interface Held {
  driver: ServingDriver;
  model: ServedModel;
}

const SLOT: Slot = 'embeddings';

/**
 * The local `embeddings` slot: at most one embedding model, served beside whatever serves `chat` —
 * the same runtime (Ollama keeps both loaded) or another one (Ollama beside vLLM, kept running through
 * the chat slot's switches). Its `model.activation` events (slot `embeddings`) go through the same
 * `ActiveServing.emit`. Its runtime stopping or crashing empties it, with one `deactivated`; when that
 * runtime is up again (an automatic or requested restart) the model is loaded again, unless the stop was
 * asked for (`forget`). Its model is stored, so a restart of Switchyard that finds the runtime still up
 * puts it back (`ActivationService.init`).
 */
export class EmbeddingsSlot {
  private held: Held | null = null;
  /** emptied by its runtime going down: loaded again when that runtime is up again */
  private recovering: Held | null = null;
  /** bumped by every activation/deactivation of this slot: a load that finishes after a newer request is dropped */
  private generation = 0;
  private readonly saved: SavedChoice;

  constructor(
    private readonly active: ActiveServing,
    private readonly runtimes: Pick<RuntimeManager, 'keepBeside'>,
    events: EventBus,
    store: StateStore | null = null,
  ) {
    this.saved = new SavedChoice(store, 'router.embeddings');
    events.on((e) => e.type === 'runtime.state' && this.follow(e.runtime), ['runtime.state']);
  }

  current(): { driver: ServingDriver; model: string } | null {
    return this.held ? { driver: this.held.driver, model: this.held.model.name } : null;
  }

  endpoint(): ServingEndpoint | null {
    return this.held ? this.held.driver.endpoint(SLOT) : null;
  }

  /** The model the slot held when Switchyard last ran (`{provider, model}`), or null. */
  savedModel(): SavedRoute | null {
    return this.saved.get();
  }

  /** Loads `model` into the slot on `driver`; the previous embedding model is unloaded (by the driver, or here when another driver held it). */
  async activate(driver: ServingDriver, model: ServedModel, recorded: (ok: boolean, details: Record<string, unknown>) => void, again = false): Promise<ServingEndpoint> {
    const generation = ++this.generation;
    this.recovering = null;
    const started = Date.now();
    this.emit(model, 'starting', `Loading ${model.name} into the embeddings slot (${driver.label})${again ? ' again' : ''}…`);
    if (driver.localRuntime) this.runtimes.keepBeside(driver.localRuntime as RuntimeName, true);
    try {
      const previous = this.held;
      if (previous && previous.driver !== driver) await this.release(previous);
      const endpoint = await driver.activate(model, {}, {
        slot: SLOT,
        isCurrent: () => generation === this.generation,
        onLoading: (message) => this.emit(model, 'loading', message),
      });
      if (generation !== this.generation) throw new AppError('cancelled', `The activation of ${model.name} was superseded by a newer request.`);
      if (previous && previous.model.name !== model.name && this.held === previous) this.emit(previous.model, 'deactivated', `${previous.model.name} is no longer served: ${model.name} took the embeddings slot.`);
      this.held = { driver, model };
      this.saved.set({ provider: driver.provider, model: model.name });
      const loadMs = Date.now() - started;
      recorded(true, { runtime: model.runtime, slot: SLOT, load_ms: loadMs });
      this.emit(model, 'serving', `${model.name} is served by ${driver.label} in the embeddings slot${again ? ' again' : ''} (${loadMs} ms).`);
      return endpoint;
    } catch (error) {
      const code = isAppError(error) ? error.code : 'runtime_failed';
      if (code !== 'cancelled') recorded(false, { runtime: model.runtime, slot: SLOT, error: { code, message: errorMessage(error) } });
      this.emit(model, 'failed', errorMessage(error), { code, message: errorMessage(error) });
      if (!this.held) {
        if (driver.localRuntime) this.runtimes.keepBeside(driver.localRuntime as RuntimeName, false);
        // what failed to load is not put back by the next start
        if (again) this.saved.set(null);
      }
      throw error;
    }
  }

  /** Empties the slot: the model unloaded, its runtime no longer kept beside. */
  async deactivate(reason = 'deactivated on request.'): Promise<{ runtime: string; model: string } | null> {
    this.generation++;
    this.forget();
    const held = this.held;
    if (!held) return null;
    await this.release(held);
    this.emit(held.model, 'deactivated', `${held.model.name} is no longer served: ${reason}`);
    return { runtime: held.model.runtime, model: held.model.name };
  }

  /** Nothing is loaded again and nothing is put back on the next start (its runtime was stopped on request). */
  forget(runtime?: string): void {
    if (runtime !== undefined && (this.held ?? this.recovering)?.driver.localRuntime !== runtime) return;
    this.recovering = null;
    this.saved.set(null);
  }

  private emit(model: ServedModel, phase: ActivationPhase, message: string, error: { code: string; message: string } | null = null): void {
    this.active.emit(model, phase, message, error, SLOT);
  }

  private async release(held: Held): Promise<void> {
    this.held = null;
    try {
      await held.driver.deactivate(held.model.name, SLOT);
    } finally {
      if (held.driver.localRuntime) this.runtimes.keepBeside(held.driver.localRuntime as RuntimeName, false);
    }
  }

  /** Its runtime went down: the slot is empty (one `deactivated`); its runtime up again: the model is loaded again. */
  private follow(info: RuntimeInfo): void {
    const r = this.recovering;
    if (r && r.driver.localRuntime === info.name && (info.state === 'ready' || info.state === 'external')) {
      void this.activate(r.driver, r.model, () => {}, true).catch(() => {}); // a failure is its `failed` event
      return;
    }
    const held = this.held;
    if (!held || held.driver.localRuntime !== info.name) return;
    if (info.state !== 'stopped' && info.state !== 'crashed' && info.state !== 'not_installed') return;
    this.held = null;
    this.recovering = info.state === 'not_installed' ? null : held;
    this.runtimes.keepBeside(info.name, false);
    void held.driver.deactivate(held.model.name, SLOT).catch(() => {});
    this.emit(held.model, 'deactivated', `${held.model.name} is no longer served: ${held.driver.label} ${info.state === 'crashed' ? 'crashed' : 'stopped'}.`);
  }
}
