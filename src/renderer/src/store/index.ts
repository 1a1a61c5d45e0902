import { create } from 'zustand';
import type { AppEvent } from '../../../shared/events';
import { createCatalogSlice, type CatalogSlice } from './catalog';
import { createChatSlice, type ChatSlice } from './chat';
import { createConnectionSlice, type ConnectionSlice } from './connection';
import { createGpuSlice, type GpuSlice } from './gpu';
import { createModelsSlice, type ModelsSlice } from './models';
import { createProvidersSlice, type ProvidersSlice } from './providers';
import { createRuntimesSlice, type RuntimesSlice } from './runtimes';
import { createSettingsSlice, type SettingsSlice } from './settings';

/** One store made of slices; each domain adds its slice here (type and creator). */
export type AppStore = ConnectionSlice & RuntimesSlice & SettingsSlice & ModelsSlice & GpuSlice & CatalogSlice & ChatSlice & ProvidersSlice;

export const useStore = create<AppStore>()((...a) => ({
  ...createConnectionSlice(...a),
  ...createRuntimesSlice(...a),
  ...createSettingsSlice(...a),
  ...createModelsSlice(...a),
  ...createGpuSlice(...a),
  ...createCatalogSlice(...a),
  ...createChatSlice(...a),
  ...createProvidersSlice(...a),
}));

/** Routes each SSE event to the slice that owns it. Slices add their cases here. */
export function dispatchEvent(event: AppEvent): void {
  const s = useStore.getState();
  switch (event.type) {
    case 'runtime.state':
      s.applyRuntimeState(event.runtime);
      break;
    case 'runtime.log':
      s.appendLog(event.log);
      break;
    case 'operation.updated':
      s.applyOperation(event.operation);
      break;
    case 'models.changed':
      void s.loadInstalled().catch(() => {});
      break;
    case 'gpu.sample':
      s.applyGpuSample(event.sample);
      break;
    case 'providers.changed':
      void s.loadProviders().catch(() => {});
      break;
    case 'provider.budget':
    case 'provider.fallback':
      s.applyProviderEvent(event);
      break;
    case 'model.activation':
      s.applyActivation(event);
      // the routes follow every slot change (both slots show on Runtimes and the Dashboard)
      void s.loadProviders().catch(() => {});
      // what /v1/models lists changed: Chat's model picker follows
      if (event.phase === 'serving' || event.phase === 'deactivated') void s.loadChatModels();
      break;
    case 'settings.changed':
      void s.loadSettings().catch(() => {});
      void s.loadOffline().catch(() => {});
      break;
    default:
      break;
  }
}
