import type { StateCreator } from 'zustand';
import type { ProviderCreate, ProviderPatch, RemoteModel, RemoteProvider, RemoteTestResult, Validation } from '../../../shared/api/remote';
import type { AppEvent } from '../../../shared/events';
import type { Route } from '../../../shared/api/router';
import { sy } from '../api/endpoints';
import type { AppStore } from './index';

type Budget = Extract<AppEvent, { type: 'provider.budget' }>;
type Fallback = Extract<AppEvent, { type: 'provider.fallback' }>;

/** Remote providers as the API answers them; the server decides validation state and spend, never this slice. */
export interface ProvidersSlice {
  providers: RemoteProvider[];
  providerHistory: Record<string, Validation[]>;
  providerModels: Record<string, RemoteModel[]>;
  providerTests: Record<string, RemoteTestResult>;
  /** the remote model served now, if any */
  activeRemote: { provider: string; model: string } | null;
  /** every route of the router (local slots and remote models), with state and health, as the API answers */
  routes: Route[];
  budgetAlerts: Budget[];
  fallbacks: Fallback[];
  loadProviders(): Promise<void>;
  createProvider(body: ProviderCreate): Promise<void>;
  updateProvider(id: string, body: ProviderPatch): Promise<void>;
  removeProvider(id: string): Promise<void>;
  validateProvider(id: string): Promise<Validation>;
  loadProviderDetail(id: string): Promise<void>;
  testProvider(id: string, model: string, kind: 'chat' | 'embedding'): Promise<void>;
  activateRemote(provider: string, model: string): Promise<void>;
  applyProviderEvent(event: Budget | Fallback): void;
}

export const createProvidersSlice: StateCreator<AppStore, [], [], ProvidersSlice> = (set, get) => ({
  providers: [],
  providerHistory: {},
  providerModels: {},
  providerTests: {},
  activeRemote: null,
  routes: [],
  budgetAlerts: [],
  fallbacks: [],
  async loadProviders() {
    const [list, active, routes] = await Promise.all([sy.remote.list(), sy.remote.active(), sy.router.routes()]);
    set({ providers: list.providers, routes: routes.routes, activeRemote: active.kind === 'remote' && active.provider && active.model ? { provider: active.provider, model: active.model } : null });
  },
  async createProvider(body) {
    await sy.remote.create(body);
    await get().loadProviders();
  },
  async updateProvider(id, body) {
    await sy.remote.update(id, body);
    await get().loadProviders();
  },
  async removeProvider(id) {
    await sy.remote.remove(id);
    await get().loadProviders();
  },
  async validateProvider(id) {
    const { validation } = await sy.remote.validate(id);
    await Promise.all([get().loadProviders(), get().loadProviderDetail(id)]);
    return validation;
  },
  async loadProviderDetail(id) {
    const [history, models] = await Promise.all([sy.remote.validations(id), sy.remote.models(id)]);
    set((s) => ({ providerHistory: { ...s.providerHistory, [id]: history.validations }, providerModels: { ...s.providerModels, [id]: models.models } }));
  },
  async testProvider(id, model, kind) {
    const { result } = await sy.remote.test(id, { model, kind });
    set((s) => ({ providerTests: { ...s.providerTests, [id]: result } }));
    await get().loadProviders();
  },
  async activateRemote(provider, model) {
    await sy.remote.activate({ provider, model });
    await get().loadProviders();
  },
  applyProviderEvent(event) {
    if (event.type === 'provider.budget') set((s) => ({ budgetAlerts: [...s.budgetAlerts.slice(-9), event] }));
    else set((s) => ({ fallbacks: [...s.fallbacks.slice(-19), event] }));
  },
});
