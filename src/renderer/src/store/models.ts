import type { Slot } from '../../../shared/api/router';
import type { StateCreator } from 'zustand';
import type { InstallBody, InstalledModel, InstallPlan, ModelTestResult, Operation } from '../../../shared/api/models';
import type { AppEvent } from '../../../shared/events';
import { ApiError } from '../api/client';
import { sy } from '../api/endpoints';
import type { AppStore } from './index';

const MAX_OPERATIONS = 200;

export interface ModelsSlice {
  installed: InstalledModel[];
  installedLoaded: boolean;
  /** operations by id, newest first in `operationOrder` */
  operations: Record<string, Operation>;
  operationOrder: string[];
  modelsError: string | null;
  /** per model: the action in flight (remove, activate, deactivate, test, verify) */
  modelBusy: Record<string, string | undefined>;
  /** per model: the latest activation progress (from `model.activation` events) */
  activations: Record<string, Extract<AppEvent, { type: 'model.activation' }> | undefined>;
  /** per model: the error of its last action, shown on its row */
  modelErrors: Record<string, string | undefined>;
  activateModel(name: string, slot?: Slot): Promise<void>;
  deactivateModel(name: string): Promise<void>;
  testModel(name: string): Promise<ModelTestResult | null>;
  verifyModel(name: string): Promise<void>;
  /** the per-model choice to run a model's own code (vLLM `--trust-remote-code`) */
  allowRemoteCode(name: string, allow: boolean): Promise<void>;
  applyActivation(event: Extract<AppEvent, { type: 'model.activation' }>): void;
  loadInstalled(refresh?: boolean): Promise<void>;
  loadOperations(): Promise<void>;
  planInstall(query: { name: string; provider: InstallBody['provider']; revision?: string; quantization?: string }, signal?: AbortSignal): Promise<InstallPlan>;
  startInstall(body: InstallBody): Promise<string>;
  removeModel(name: string): Promise<void>;
  cancelOperation(id: string, cleanup: boolean): Promise<void>;
  retryOperation(id: string): Promise<void>;
  applyOperation(op: Operation): void;
}

const errorText = (error: unknown) => (error instanceof ApiError ? error.message : String(error));

export const createModelsSlice: StateCreator<AppStore, [], [], ModelsSlice> = (set, get) => ({
  installed: [],
  installedLoaded: false,
  operations: {},
  operationOrder: [],
  modelsError: null,
  modelBusy: {},
  activations: {},
  modelErrors: {},
  async activateModel(name, slot) {
    await modelAction(set, get, name, 'activate', () => sy.models.activate(slot ? { name, slot } : { name }));
  },
  async deactivateModel(name) {
    await modelAction(set, get, name, 'deactivate', () => sy.models.deactivate({ name }));
  },
  async testModel(name) {
    const r = await modelAction(set, get, name, 'test', () => sy.models.test(name));
    if (r && !r.result.ok) set((s) => ({ modelErrors: { ...s.modelErrors, [name]: r.result.error?.message ?? 'The test failed.' } }));
    return r?.result ?? null;
  },
  async verifyModel(name) {
    await modelAction(set, get, name, 'verify', () => sy.models.verify(name));
  },
  async allowRemoteCode(name, allow) {
    const current = get().installed.find((m) => m.name === name)?.runtime_flags ?? {};
    await modelAction(set, get, name, 'flags', () => sy.models.setRuntimeFlags(name, { flags: { ...current, trust_remote_code: allow } }));
  },
  applyActivation(event) {
    set((s) => ({ activations: { ...s.activations, [event.model]: event } }));
  },
  async loadInstalled(refresh = false) {
    try {
      const { models } = await sy.models.registry(refresh ? { refresh: '1' } : {});
      set({ installed: models, installedLoaded: true, modelsError: null });
    } catch (error) {
      set({ modelsError: errorText(error), installedLoaded: true });
    }
  },
  async loadOperations() {
    const { operations } = await sy.models.operations({ limit: MAX_OPERATIONS });
    set({ operations: Object.fromEntries(operations.map((o) => [o.operation_id, o])), operationOrder: operations.map((o) => o.operation_id) });
  },
  async planInstall(query, signal) {
    const { plan } = await sy.models.plan({ name: query.name, provider: query.provider, revision: query.revision || undefined, quantization: query.quantization || undefined }, signal);
    return plan;
  },
  async startInstall(body) {
    const { operation_id } = await sy.models.install(body);
    const { operation } = await sy.models.operation(operation_id);
    get().applyOperation(operation);
    return operation_id;
  },
  async removeModel(name) {
    set((s) => ({ modelBusy: { ...s.modelBusy, [name]: 'remove' }, modelsError: null }));
    try {
      await sy.models.remove(name);
      await get().loadInstalled();
    } catch (error) {
      set({ modelsError: errorText(error) });
    } finally {
      set((s) => ({ modelBusy: { ...s.modelBusy, [name]: undefined } }));
    }
  },
  async cancelOperation(id, cleanup) {
    const { operation } = await sy.models.cancel(id, { cleanup });
    get().applyOperation(operation);
  },
  async retryOperation(id) {
    const { operation_id } = await sy.models.retry(id);
    const { operation } = await sy.models.operation(operation_id);
    get().applyOperation(operation);
  },
  applyOperation(op) {
    set((s) => {
      const current = s.operations[op.operation_id];
      // SSE updates and fetched snapshots race (a small install can finish before the GET that follows
      // its POST answers): an older snapshot never replaces a newer state
      if (current && isNewer(current, op)) return {};
      const known = op.operation_id in s.operations;
      const order = known ? s.operationOrder : [op.operation_id, ...s.operationOrder].slice(0, MAX_OPERATIONS);
      return { operations: { ...s.operations, [op.operation_id]: op }, operationOrder: order };
    });
  },
});

const FINAL: readonly Operation['status'][] = ['completed', 'failed', 'cancelled'];

/** Whether `a` is a later state of the operation than `b`. */
function isNewer(a: Operation, b: Operation): boolean {
  if (a.updated_at !== b.updated_at) return a.updated_at > b.updated_at;
  return FINAL.includes(a.status) && !FINAL.includes(b.status);
}

type Set = Parameters<StateCreator<AppStore, [], [], ModelsSlice>>[0];
type Get = Parameters<StateCreator<AppStore, [], [], ModelsSlice>>[1];

/** Runs one action on a model: busy flag, error on the row, registry reloaded after. */
async function modelAction<T>(set: Set, get: Get, name: string, action: string, run: () => Promise<T>): Promise<T | null> {
  set((s) => ({ modelBusy: { ...s.modelBusy, [name]: action }, modelErrors: { ...s.modelErrors, [name]: undefined } }));
  try {
    return await run();
  } catch (error) {
    set((s) => ({ modelErrors: { ...s.modelErrors, [name]: errorText(error) } }));
    return null;
  } finally {
    set((s) => ({ modelBusy: { ...s.modelBusy, [name]: undefined } }));
    await get().loadInstalled();
  }
}
