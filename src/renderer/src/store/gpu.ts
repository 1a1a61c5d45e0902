import type { StateCreator } from 'zustand';
import type { EndpointStats, GpuController, GpuProcess, GpuSample, GpuSampleEvent, GpuStatus, ModelsUsage, UsageDay } from '../../../shared/api/system';
import { sy } from '../api/endpoints';
import type { AppStore } from './index';

const HISTORY_MS = 10 * 60_000;

/** GPU samples (SSE `gpu.sample`, ≤ 1 Hz), system usage and the OpenAI endpoint's figures. */
export interface GpuSlice {
  gpuStatus: GpuStatus | null;
  /** oldest first, the last 10 minutes */
  gpuHistory: GpuSample[];
  gpuProcesses: GpuProcess[];
  /** non-NVIDIA (or driverless) display controllers, when no GPU can be sampled */
  gpuControllers: GpuController[];
  systemUsage: ModelsUsage | null;
  endpointStats: EndpointStats | null;
  usageDays: UsageDay[];
  loadGpus(): Promise<void>;
  loadSystemUsage(): Promise<void>;
  loadEndpointUsage(days?: number): Promise<void>;
  applyGpuSample(event: GpuSampleEvent): void;
}

export const createGpuSlice: StateCreator<AppStore, [], [], GpuSlice> = (set) => ({
  gpuStatus: null,
  gpuHistory: [],
  gpuProcesses: [],
  gpuControllers: [],
  systemUsage: null,
  endpointStats: null,
  usageDays: [],
  async loadGpus() {
    const res = await sy.system.gpus({ history_s: 600 });
    set({ gpuStatus: res.status, gpuHistory: res.history, gpuProcesses: res.processes, gpuControllers: res.controllers });
  },
  async loadSystemUsage() {
    const { usage } = await sy.system.usage();
    set({ systemUsage: usage });
  },
  async loadEndpointUsage(days = 7) {
    const [stats, daily] = await Promise.all([
      sy.system.endpointStats(),
      sy.system.usageDaily({ days }),
    ]);
    set({ endpointStats: stats.stats, usageDays: daily.days });
  },
  applyGpuSample(event) {
    set((s) => {
      const sample = event.sample;
      if (!sample) return { gpuStatus: event.status, gpuProcesses: event.processes, gpuHistory: event.status.available ? s.gpuHistory : [] };
      const last = s.gpuHistory[s.gpuHistory.length - 1];
      if (last && last.ts >= sample.ts) return { gpuStatus: event.status, gpuProcesses: event.processes };
      const since = sample.ts - HISTORY_MS;
      const kept = s.gpuHistory[0] && s.gpuHistory[0].ts < since ? s.gpuHistory.filter((h) => h.ts >= since) : s.gpuHistory;
      return { gpuStatus: event.status, gpuProcesses: event.processes, gpuHistory: [...kept, sample] };
    });
  },
});
