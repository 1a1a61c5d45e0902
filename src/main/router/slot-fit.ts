import type { Slot } from '../../shared/api/router';
import { AppError } from '../../shared/errors';
import { formatBytes } from '../../shared/format';

/** What one slot's model takes of the memory both slots share. */
export interface SlotLoad {
  slot: Slot;
  model: string;
  label: string;
  bytes: number;
}

/** vLLM reserves its share of the GPU up front (`--gpu-memory-utilization`, vLLM's default 0.9). */
export const VLLM_DEFAULT_UTILIZATION = 0.9;
/** a model loaded by Ollama: its weights plus room for the KV cache and runtime (a rough, safe side) */
export const OLLAMA_OVERHEAD = 1.2;

/**
 * Refuses, with the numbers, two slots that do not fit together: the chat slot's model and the
 * embeddings slot's share the GPU's memory (or the RAM on a machine without a GPU).
 */
export function checkSlotsFit(loads: readonly SlotLoad[], capacity: { kind: 'VRAM' | 'RAM'; bytes: number }): void {
  const total = loads.reduce((n, l) => n + l.bytes, 0);
  if (loads.length < 2 || total <= capacity.bytes) return;
  const parts = [...loads].sort((a, b) => (a.slot === b.slot ? 0 : a.slot === 'chat' ? -1 : 1)).map((l) => `${l.model} (${l.slot}, ${l.label}) ${formatBytes(l.bytes)}`).join(' + ');
  throw new AppError(
    'insufficient_memory',
    `Both slots do not fit in ${formatBytes(capacity.bytes)} of ${capacity.kind}: ${parts} = ${formatBytes(total)}. Deactivate the other slot (POST /api/v1/models/deactivate {"slot":"…"}), pick a smaller model, or lower vLLM's GPU memory share (Settings › vLLM).`,
    { loads, capacity_bytes: capacity.bytes, total_bytes: total },
  );
}
