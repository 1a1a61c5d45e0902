import type { RuntimeName } from '../../shared/api/runtimes';
import { errorMessage } from '../../shared/errors';
import { isUp } from '../../shared/runtimes';
import type { DriverRegistry } from '../drivers/serving-driver';
import type { Logger } from '../logger';
import type { ModelsRepo } from '../models/models-repo';
import type { RuntimeManager } from '../runtimes/manager';
import type { ActiveServing } from './active-serving';
import type { EmbeddingsSlot } from './embeddings-slot';

/** What putting back the saved choices after a restart of Switchyard reads and drives. */
export interface RestoreDeps {
  active: ActiveServing;
  embeddings: EmbeddingsSlot;
  drivers: DriverRegistry;
  models: ModelsRepo;
  runtimes: RuntimeManager;
  logger: Logger;
}

/** The remote default the user set before the restart is the default again (its driver's checks apply). */
export async function restoreDefault(deps: RestoreDeps): Promise<void> {
  const saved = deps.active.savedDefault();
  const driver = saved ? deps.drivers.byProvider(saved.provider) : null;
  if (!saved || !driver || driver.localRuntime !== null) return;
  try {
    const model = { name: saved.model, provider: driver.provider, runtime: driver.runtime };
    await driver.activate(model, {}, { slot: 'chat', isCurrent: () => true, onLoading: () => {} });
    deps.active.served(driver, model, `${saved.model} (${driver.label}) is the default route again.`);
  } catch (error) {
    // still the default: requests without a model get the route's refusal (stale, disabled, offline), which says what to do
    deps.logger.warn({ error: errorMessage(error), provider: saved.provider, model: saved.model }, 'the default route could not be served again after the restart');
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
