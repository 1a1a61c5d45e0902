import { AppError } from '../../shared/errors';
import type { DriverRegistry, ServingDriver } from '../drivers/serving-driver';
import type { ModelRecord, ModelsRepo } from './models-repo';

/** An installed model by name (a removed one is gone): what activation and the model checks act on. */
export function requireInstalled(models: ModelsRepo, name: string): ModelRecord {
  const m = models.find(name);
  if (!m || m.status === 'removed') throw new AppError('model_not_found', `No installed model "${name}". Install it first (Catalog), or see GET /api/v1/models/registry.`);
  return m;
}

/** The driver that serves an installed model: its provider's, else its runtime's. */
export function driverOf(drivers: DriverRegistry, m: ModelRecord): ServingDriver<ModelRecord> {
  const driver = drivers.byProvider(m.provider) ?? drivers.byRuntime(m.runtime);
  if (!driver) throw new AppError('runtime_not_installed', `No driver serves ${m.runtime} models in this Switchyard.`);
  return driver as ServingDriver<ModelRecord>;
}
