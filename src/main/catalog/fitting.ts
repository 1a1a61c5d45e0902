import { totalmem } from 'node:os';
import type { CatalogModel, FitSummary } from '../../shared/api/catalog';
import type { CatalogEntry } from './entry';
import { estimateFit, overrideGpus, type FitRequest, type GpuInventory } from './fit';

/** `?vram_gb=24&gpus=2` asks "would it fit on 2 × 24 GiB" instead of the detected GPUs. */
export interface GpuQuery {
  vram_gb?: number;
  gpus?: number;
  context?: number;
}

/**
 * The GPUs a verdict is for: the what-if override, else the detected ones (a GPU whose memory could not
 * be read says nothing about fit), else none. Ollama's CPU and partial-offload verdicts are checked
 * against this machine's RAM, what-if or not.
 */
export function fitRequest(q: GpuQuery, gpus: GpuInventory, systemRamBytes: number = totalmem()): FitRequest {
  if (q.vram_gb) return { gpus: overrideGpus(q.vram_gb, q.gpus ?? 1), gpuSource: 'override', context: q.context, systemRamBytes };
  const detected = gpus.gpus()?.filter((g) => g.memoryTotalMiB > 0);
  if (detected && detected.length) return { gpus: q.gpus ? detected.slice(0, q.gpus) : detected, gpuSource: 'detected', context: q.context, systemRamBytes };
  return { gpus: null, gpuSource: 'none', context: q.context, systemRamBytes };
}

/**
 * "Runs on these GPUs": it fits (maybe at a reduced context), or tensor parallelism over no more GPUs
 * than the request has. The one rule for every list, filter and badge; the UI shows it as sent.
 */
export function runnable(fit: FitSummary | null, request: FitRequest): boolean {
  if (!fit) return false;
  if (fit.verdict === 'fits' || fit.verdict === 'reduced_context') return true;
  return fit.verdict === 'needs_gpus' && fit.gpus_needed !== null && fit.gpus_needed <= (request.gpus?.length ?? 0);
}

/** The API row: the entry with the fit for this request and the server's `runnable` verdict. */
export function withFit(e: CatalogEntry, request: FitRequest): CatalogModel {
  const fit = estimateFit(e.shape, request).summary;
  return { ...e.model, fit, runnable: runnable(fit, request) };
}
