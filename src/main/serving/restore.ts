import { DefaultNotServedReason, type RuntimeName, type SavedDefault } from '../../shared/api/runtimes';
import { errorMessage, isAppError } from '../../shared/errors';
import { sameModelName } from '../../shared/model-names';
import { isUp } from '../../shared/runtimes';
import { installsModels } from '../drivers/model-driver';
import type { DriverRegistry } from '../drivers/serving-driver';
import type { EventBus } from '../events';
import type { Logger } from '../logger';
import type { ModelsRepo } from '../models/models-repo';
import type { RuntimeManager } from '../runtimes/manager';
import type { ActiveServing } from './active-serving';
import type { EmbeddingsSlot } from './embeddings-slot';
import type { SavedRoute } from './saved-choice';

/** What putting back the saved choices after a restart of Switchyard reads and drives. */
export interface RestoreDeps {
  active: ActiveServing;
  embeddings: EmbeddingsSlot;
  drivers: DriverRegistry;
  models: ModelsRepo;
  runtimes: RuntimeManager;
  logger: Logger;
}

/** A failure's code as a reason the saved default is not in effect. */
const REASONS = new Set<string>(DefaultNotServedReason.options);
const reasonOf = (error: unknown): DefaultNotServedReason => {
  const code = isAppError(error) ? error.code : 'failed';
  return REASONS.has(code) ? (code as DefaultNotServedReason) : 'failed';
};

/**
 * The remote default the user chose (`router.default`) is the default route only while its provider can
 * serve it: after a restart it is served again through its driver's checks, and whenever a provider
 * changes (enabled, disabled, changed, validated, removed) it is checked again. One that cannot serve
 * leaves the default to the chat slot but stays stored, so it comes back once its provider can serve;
 * `info()` says which it is and why (`llm-runtime/active`).
 */
export class DefaultRoute {
  /** why the stored default is not in effect, as of the last try */
  private pending: (SavedRoute & { reason: DefaultNotServedReason; message: string }) | null = null;
  private trying: Promise<void> | null = null;
  private again = false;

  constructor(private readonly deps: Pick<RestoreDeps, 'active' | 'drivers' | 'logger'>) {}

  /** Serves the stored default when it is not in effect and its provider can serve it now. */
  async restore(): Promise<void> {
    const saved = this.deps.active.savedDefault();
    if (!saved || this.deps.active.remoteDriver()) return;
    const driver = this.deps.drivers.byProvider(saved.provider);
    if (!driver || driver.localRuntime !== null) {
      this.pending = { ...saved, reason: 'provider_not_found', message: `No provider "${saved.provider}" is set up any more — add it again (Providers) and validate it, or choose another default.` };
      return;
    }
    const model = { name: saved.model, provider: driver.provider, runtime: driver.runtime };
    try {
      await driver.activate(model, {}, { slot: 'chat', isCurrent: () => true, onLoading: () => {} });
    } catch (error) {
      this.pending = { ...saved, reason: reasonOf(error), message: errorMessage(error) };
      this.deps.logger.info({ error: errorMessage(error), provider: saved.provider, model: saved.model }, 'the saved default route cannot serve now; the chat slot is the default until it can');
      return;
    }
    const now = this.deps.active.savedDefault();
    // another default was chosen meanwhile: that one stands
    if (now?.provider !== saved.provider || now.model !== saved.model || this.deps.active.remoteDriver()) return void (await driver.deactivate(null));
    this.pending = null;
    this.deps.active.served(driver, model, `${saved.model} (${driver.label}) is the default route again.`);
  }

  /** Checks the default again on every provider change; returns the unsubscribe function. */
  follow(events: EventBus): () => void {
    return events.on(() => void this.recheck(), ['providers.changed']);
  }

  /** The stored default, and whether it is the default now (else why not); null when none is stored. */
  info(): SavedDefault | null {
    const saved = this.deps.active.savedDefault();
    if (!saved) return null;
    const remote = this.deps.active.remoteDriver();
    if (remote && remote.provider === saved.provider && remote.state('chat').model === saved.model) return { ...saved, in_effect: true, reason: null, message: null };
    const p = this.pending?.provider === saved.provider && this.pending.model === saved.model ? this.pending : null;
    return { ...saved, in_effect: false, reason: p?.reason ?? 'failed', message: p?.message ?? 'It has not been served since Switchyard started.' };
  }

  /** One check at a time; a change during one is checked after it. */
  private recheck(): Promise<void> {
    if (this.trying) {
      this.again = true;
      return this.trying;
    }
    this.trying = (async () => {
      do {
        this.again = false;
        await this.check().catch((error) => this.deps.logger.warn({ error: errorMessage(error) }, 'checking the default route failed'));
      } while (this.again);
    })().finally(() => (this.trying = null));
    return this.trying;
  }

  private async check(): Promise<void> {
    const remote = this.deps.active.remoteDriver();
    const model = remote?.state('chat').model;
    if (!remote || !model) return this.restore();
    try {
      remote.check?.({ name: model, provider: remote.provider, runtime: remote.runtime }, {});
    } catch (error) {
      const saved = { provider: remote.provider, model };
      this.pending = { ...saved, reason: reasonOf(error), message: errorMessage(error) };
      this.deps.active.suspend(remote, `${errorMessage(error)} The chat slot is the default until ${remote.label} can serve it again; then it is the default again.`);
      await remote.deactivate(null);
    }
  }
}

/** The embeddings slot's model, when its runtime is still up: put back (loaded again if the runtime dropped it). */
export function restoreEmbeddings(deps: RestoreDeps): void {
  const saved = deps.embeddings.savedModel();
  if (!saved) return;
  const m = deps.models.find(saved.model);
  const driver = m && m.status === 'installed' ? deps.drivers.byProvider(saved.provider) : null;
  // like the chat slot, nothing is started for it: a runtime that is down leaves the slot empty
  if (!m || !driver?.localRuntime || !isUp(deps.runtimes.info(driver.localRuntime as RuntimeName).state)) return deps.embeddings.forget();
  // not awaited: the start is not held up by a load; its events say how it went
  void deps.embeddings.activate(driver, m, () => {}, true).catch(() => {});
}

/**
 * A runtime Switchyard found running (an Ollama) that still holds the model that was active makes it
 * the runtime's model again, so the chat slot follows it once the runtimes are synced.
 */
export async function adoptLoadedModels(deps: Pick<RestoreDeps, 'drivers' | 'runtimes' | 'logger'>): Promise<void> {
  for (const driver of deps.drivers.all()) {
    if (!installsModels(driver) || !driver.loaded || !driver.localRuntime) continue;
    const info = deps.runtimes.info(driver.localRuntime as RuntimeName);
    const last = info.last_model;
    if (info.model || !last || !isUp(info.state)) continue;
    try {
      const loaded = await driver.loaded();
      if (loaded.some((n) => sameModelName(n, last))) deps.runtimes.setModel(info.name, last);
    } catch (error) {
      deps.logger.debug({ error: errorMessage(error), runtime: info.name }, 'could not ask the runtime which models are loaded');
    }
  }
}
