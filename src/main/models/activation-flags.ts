import type { RuntimeFlags } from '../../shared/api/models';
import { AppError } from '../../shared/errors';
import { flagsFromSettings } from '../../shared/vllm-flags';
import { hfShape } from '../catalog/huggingface';
import { localHfDetails } from '../catalog/installed';
import { estimateFit, type FitRequest } from '../catalog/fit';
import type { SettingsService } from '../config';
import type { EventBus } from '../events';
import type { ModelRecord, ModelsRepo } from './models-repo';

export type FlagSource = 'fit' | 'settings' | 'model' | 'request';
/**
 * The flags an activation uses: fit estimate < Settings (when set) < the model's saved flags < the
 * request. Returns them with where each value came from.
 */
export function resolveFlags(layers: { source: FlagSource; flags: RuntimeFlags }[]): { flags: RuntimeFlags; sources: Record<string, FlagSource> } {
  const flags: Record<string, unknown> = {};
  const sources: Record<string, FlagSource> = {};
  for (const { source, flags: layer } of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) continue;
      flags[key] = value;
      sources[key] = source;
    }
  }
  return { flags: flags as RuntimeFlags, sources };
}

export interface ActivationFlagsDeps {
  models: ModelsRepo;
  settings: SettingsService;
  events: EventBus;
  /** the fit request for the GPUs detected now (no GPU → flags come from Settings only) */
  fitRequest(): FitRequest;
}

/** vLLM launch flags of installed models: their layers (fit, Settings, saved, request) and the saved ones. */
export class ActivationFlags {
  constructor(private readonly deps: ActivationFlagsDeps) {}

  /** The flags an activation of `m` would use now, with their sources. */
  effective(m: ModelRecord, request: RuntimeFlags, launchFlags: boolean): { flags: RuntimeFlags; sources: Record<string, FlagSource> } {
    return resolveFlags([
      { source: 'fit', flags: launchFlags ? this.fitFlags(m) : {} },
      { source: 'settings', flags: flagsFromSettings(this.deps.settings.get().vllm) },
      { source: 'model', flags: m.runtime_flags ?? {} },
      { source: 'request', flags: request },
    ]);
  }

  save(m: ModelRecord, flags: RuntimeFlags | null, driver: { label: string; launchFlags?: boolean }): void {
    if (!driver.launchFlags && flags && Object.keys(flags).length) {
      throw new AppError('bad_request', `${m.name} runs on ${driver.label}; launch flags apply to vLLM models only (${driver.label} options are set per request).`);
    }
    this.deps.models.setRuntimeFlags(m.name, flags);
    this.deps.events.emit({ type: 'models.changed' });
  }

  /** Fit-estimate flags from the snapshot's own config.json and weight sizes (no network). */
  private fitFlags(m: ModelRecord): RuntimeFlags {
    const local = m.local_path ? localHfDetails(m.name, m.local_path) : null;
    if (!local) return {};
    const shape = { ...hfShape(local.info, local.config), runtime: 'vllm' as const };
    return estimateFit(shape, this.deps.fitRequest()).runtime_flags ?? {};
  }
}
