import { totalmem } from 'node:os';
import type { RuntimeFlags } from '../../shared/api/models';
import type { Slot } from '../../shared/api/router';
import type { GpuSnapshot } from '../catalog/fit';
import type { ServingDriver } from '../drivers/serving-driver';
import { checkSlotsFit, OLLAMA_OVERHEAD, VLLM_DEFAULT_UTILIZATION } from '../router/slot-fit';
import type { ModelRecord } from './models-repo';

/**
 * What each slot's model takes of the memory they share, and the check: on a GPU, a driver that reserves
 * a share up front (`gpuShare`: vLLM's `--gpu-memory-utilization`) takes that share of the VRAM, the
 * others their weights plus room for the cache; without a GPU, the RAM.
 */
export function slotFit(gpus: GpuSnapshot[] | null, slots: { slot: Slot; model: ModelRecord; driver: ServingDriver; flags: RuntimeFlags }[]): void {
  const vram = (gpus ?? []).reduce((n, g) => n + g.memoryTotalMiB * 1024 * 1024, 0);
  const capacity = vram > 0 ? { kind: 'VRAM' as const, bytes: vram } : { kind: 'RAM' as const, bytes: totalmem() };
  checkSlotsFit(
    slots.map(({ slot, model, driver, flags }) => {
      const share = typeof flags.gpu_memory_utilization === 'number' ? flags.gpu_memory_utilization : VLLM_DEFAULT_UTILIZATION;
      const bytes = driver.gpuShare && vram > 0 ? share * vram : model.size_bytes * OLLAMA_OVERHEAD;
      return { slot, model: model.name, label: driver.label, bytes: Math.round(bytes) };
    }),
    capacity,
  );
}
