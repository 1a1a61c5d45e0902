import type { RuntimeInfo, RuntimeName } from '../../shared/api/runtimes';
import { AppError, errorMessage, isAppError } from '../../shared/errors';
import type { ServedModel, ServingDriver } from '../drivers/serving-driver';
import type { EventBus } from '../events';
import type { RuntimeManager } from '../runtimes/manager';
import type { ActiveServing } from './active-serving';
import type { ServingEndpoint } from './endpoint';

interface Held {
  driver: ServingDriver;
  model: ServedModel;
}

/**
 * The local `embeddings` slot: at most one embedding model, served beside whatever serves `chat` —
 * the same runtime (Ollama keeps both loaded) or another one (Ollama beside vLLM, kept running through
 * the chat slot's switches). Its `model.activation` events go through the same `ActiveServing.emit`;
 * its runtime stopping or crashing empties it, with one `deactivated`.
 */
export class EmbeddingsSlot {
  private held: Held | null = null;
  /** bumped by every activation/deactivation of this slot: a load that finishes after a newer request is dropped */
  private generation = 0;

  constructor(
    private readonly active: ActiveServing,
    private readonly runtimes: Pick<RuntimeManager, 'keepBeside'>,
    events: EventBus,
  ) {
    events.on((e) => e.type === 'runtime.state' && this.follow(e.runtime), ['runtime.state']);
  }

  current(): { driver: ServingDriver; model: string } | null {
    return this.held ? { driver: this.held.driver, model: this.held.model.name } : null;
  }

  endpoint(): ServingEndpoint | null {
    return this.held ? this.held.driver.endpoint('embeddings') : null;
  }

  /** Loads `model` into the slot on `driver`; the previous embedding model is unloaded (by the driver, or here when another driver held it). */
  async activate(driver: ServingDriver, model: ServedModel, recorded: (ok: boolean, details: Record<string, unknown>) => void): Promise<ServingEndpoint> {
    const generation = ++this.generation;
    const started = Date.now();
    this.active.emit(model, 'starting', `Loading ${model.name} into the embeddings slot (${driver.label})…`);
    if (driver.localRuntime) this.runtimes.keepBeside(driver.localRuntime as RuntimeName, true);
    try {
      const previous = this.held;
      if (previous && previous.driver !== driver) await this.release(previous);
      const endpoint = await driver.activate(model, {}, {
        slot: 'embeddings',
        isCurrent: () => generation === this.generation,
        onLoading: (message) => this.active.emit(model, 'loading', message),
      });
      if (generation !== this.generation) throw new AppError('cancelled', `The activation of ${model.name} was superseded by a newer request.`);
      if (previous && previous.model.name !== model.name && this.held === previous) this.active.emit(previous.model, 'deactivated', `${previous.model.name} is no longer served: ${model.name} took the embeddings slot.`);
      this.held = { driver, model };
      const loadMs = Date.now() - started;
      recorded(true, { runtime: model.runtime, slot: 'embeddings', load_ms: loadMs });
      this.active.emit(model, 'serving', `${model.name} is served by ${driver.label} in the embeddings slot (${loadMs} ms).`);
      return endpoint;
    } catch (error) {
      const code = isAppError(error) ? error.code : 'runtime_failed';
      if (code !== 'cancelled') recorded(false, { runtime: model.runtime, slot: 'embeddings', error: { code, message: errorMessage(error) } });
      this.active.emit(model, 'failed', errorMessage(error), { code, message: errorMessage(error) });
      if (!this.held && driver.localRuntime) this.runtimes.keepBeside(driver.localRuntime as RuntimeName, false);
      throw error;
    }
  }

  /** Empties the slot: the model unloaded, its runtime no longer kept beside. */
  async deactivate(reason = 'deactivated on request.'): Promise<{ runtime: string; model: string } | null> {
    this.generation++;
    const held = this.held;
    if (!held) return null;
    await this.release(held);
    this.active.emit(held.model, 'deactivated', `${held.model.name} is no longer served: ${reason}`);
    return { runtime: held.model.runtime, model: held.model.name };
  }

  private async release(held: Held): Promise<void> {
    this.held = null;
    try {
      await held.driver.deactivate(held.model.name, 'embeddings');
    } finally {
      if (held.driver.localRuntime) this.runtimes.keepBeside(held.driver.localRuntime as RuntimeName, false);
    }
  }

  /** Its runtime stopped or crashed: the slot is empty (one `deactivated`). */
  private follow(info: RuntimeInfo): void {
    const held = this.held;
    if (!held || held.driver.localRuntime !== info.name) return;
    if (info.state !== 'stopped' && info.state !== 'crashed' && info.state !== 'not_installed') return;
    this.held = null;
    this.runtimes.keepBeside(info.name, false);
    void held.driver.deactivate(held.model.name, 'embeddings').catch(() => {});
    this.active.emit(held.model, 'deactivated', `${held.model.name} is no longer served: ${held.driver.label} ${info.state === 'crashed' ? 'crashed' : 'stopped'}.`);
  }
}
