import type { StateCreator } from 'zustand';
import type { RuntimeBinaryInfo } from '../../../shared/api/runtime-binary';
import type { DriverInfo, LogLine, RuntimeInfo, RuntimeName } from '../../../shared/api/runtimes';
import { ApiError } from '../api/client';
import { sy } from '../api/endpoints';
import type { AppStore } from './index';

const MAX_LOG_LINES = 500;
/** one empty list for every runtime without log lines yet (a selector must not return a new [] each time) */
export const NO_LOG_LINES: readonly LogLine[] = [];

export interface RuntimesSlice {
  /** by runtime id, as the API lists them (ids are open: whatever drivers the core has) */
  runtimes: Partial<Record<RuntimeName, RuntimeInfo>>;
  /** the runtime ids in the API's order (the Runtimes screen's cards) */
  runtimeNames: RuntimeName[];
  /** every driver's capabilities, null until loaded */
  drivers: DriverInfo[] | null;
  runtimeLogs: Partial<Record<RuntimeName, LogLine[]>>;
  /** per runtime: the action in flight, for disabling buttons */
  runtimeBusy: Partial<Record<RuntimeName, string>>;
  runtimeError: Partial<Record<RuntimeName, string>>;
  /** where each runtime's program is or was looked for, and how to install it */
  runtimeBinary: Partial<Record<RuntimeName, RuntimeBinaryInfo>>;
  loadRuntimes(): Promise<void>;
  loadDrivers(): Promise<void>;
  /** looks for the program again (after an install) */
  checkRuntimeBinary(name: RuntimeName): Promise<void>;
  /** points Switchyard at a program; throws ApiError when it is not one */
  locateRuntimeBinary(name: RuntimeName, path: string): Promise<void>;
  loadLogs(name: RuntimeName): Promise<void>;
  runtimeAction(name: RuntimeName, action: 'start' | 'stop' | 'restart' | 'switch', model?: string): Promise<void>;
  applyRuntimeState(info: RuntimeInfo): void;
  appendLog(line: LogLine): void;
}

export const createRuntimesSlice: StateCreator<AppStore, [], [], RuntimesSlice> = (set, get) => ({
  runtimes: {},
  runtimeNames: [],
  drivers: null,
  runtimeLogs: {},
  runtimeBusy: {},
  runtimeError: {},
  runtimeBinary: {},
  async checkRuntimeBinary(name) {
    const res = await sy.runtimes.binary(name);
    set((s) => ({ runtimeBinary: { ...s.runtimeBinary, [name]: res.binary } }));
    get().applyRuntimeState(res.server);
  },
  async locateRuntimeBinary(name, path) {
    const res = await sy.runtimes.locateBinary(name, { path });
    set((s) => ({ runtimeBinary: { ...s.runtimeBinary, [name]: res.binary } }));
    get().applyRuntimeState(res.server);
  },
  async loadRuntimes() {
    const { servers } = await sy.runtimes.list();
    for (const s of servers) get().applyRuntimeState(s);
  },
  async loadDrivers() {
    const { drivers } = await sy.runtimes.drivers();
    set({ drivers });
  },
  async loadLogs(name) {
    const { lines } = await sy.runtimes.logs(name, { tail: MAX_LOG_LINES });
    set((s) => ({ runtimeLogs: { ...s.runtimeLogs, [name]: lines } }));
  },
  async runtimeAction(name, action, model) {
    set((s) => ({ runtimeBusy: { ...s.runtimeBusy, [name]: action }, runtimeError: { ...s.runtimeError, [name]: undefined } }));
    try {
      if (action === 'switch') await sy.runtimes.setActive({ server_name: name, model_name: model || undefined });
      else if (action === 'start') await sy.runtimes.start(name, { model_name: model || undefined });
      else await sy.runtimes[action](name);
      await get().loadRuntimes();
    } catch (error) {
      const message = error instanceof ApiError ? error.message : String(error);
      set((s) => ({ runtimeError: { ...s.runtimeError, [name]: message } }));
    } finally {
      set((s) => ({ runtimeBusy: { ...s.runtimeBusy, [name]: undefined } }));
    }
  },
  applyRuntimeState(info) {
    set((s) => ({ runtimes: { ...s.runtimes, [info.name]: info }, ...(s.runtimeNames.includes(info.name) ? {} : { runtimeNames: [...s.runtimeNames, info.name] }) }));
  },
  appendLog(line) {
    set((s) => {
      const lines = [...(s.runtimeLogs[line.runtime] ?? []), line];
      return { runtimeLogs: { ...s.runtimeLogs, [line.runtime]: lines.length > MAX_LOG_LINES ? lines.slice(-MAX_LOG_LINES) : lines } };
    });
  },
});
