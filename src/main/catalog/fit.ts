/**
 * "Will it fit my GPU?" — a VRAM estimate for serving a model, and the vLLM flags that make it fit.
 *
 * Formula (all sizes in GiB = 2^30 bytes; N = tensor-parallel size; C = context length in tokens):
 *
 *   weights W      = exact bytes when known (sum of safetensors counts × dtype bytes, or the GGUF file
 *                    size), else parameters × bytes per parameter of the dtype/quantization
 *                    (BF16/F16 2, F32 4, FP8/INT8 1, Q8_0 1.0625, Q6_K 0.82, Q5_K_M 0.71, Q4_K_M 0.61,
 *                    Q4_0 0.5625, AWQ/GPTQ 4-bit 0.5625, MXFP4 0.53, Q3_K_M 0.49, Q2_K 0.41).
 *   KV per token   = 2 (K and V) × layers × KV heads × head dim × 2 bytes (FP16 cache), from config.json
 *                    (`num_hidden_layers`, `num_key_value_heads` ?? `num_attention_heads`, `head_dim` ??
 *                    `hidden_size / num_attention_heads`); unknown → a GQA guess from the parameter count
 *                    (8 KV heads × 128 dims, layers by size class), flagged `kv_estimated`. Ollama: the
 *                    bundled library has no architecture numbers, so library entries are estimated;
 *                    installed Ollama models use `/api/show` (`{arch}.block_count`, `.attention.head_count_kv`,
 *                    `.attention.key_length` ?? `embedding_length / head_count`) and their size on disk.
 *   overhead O     = 1 GiB per GPU (CUDA context, cuBLAS workspace, CUDA graphs) + 5 % of the weights on
 *                    that GPU (activations of the profiling pass, allocator slack).
 *   per-GPU need   = W/N + O + KV per token × C / N
 *   per-GPU budget = gpu_memory_utilization (0.90, vLLM's default) × the smallest total VRAM in the set.
 *   max context(N) = floor((budget − W/N − O) × N / KV per token), rounded down to a multiple of 256.
 *
 * Verdict for G available GPUs, trying N ∈ {1, 2, 4, 8}: the smallest N ≤ G whose max context ≥ C gives
 * `fits` (N = 1) or `needs_gpus` (N > 1, all present); else the N ≤ G with the largest max context ≥ 2048
 * gives `reduced_context`; else the smallest N > G (same GPU model) that would fit gives `needs_gpus`
 * (more GPUs than you have); else `does_not_fit`. No GPU detected → `no_gpu` with the requirement.
 * Free VRAM only decides `fits_now` (other programs hold memory now); the verdict is about the hardware.
 *
 * Worked example (unit-tested): Llama-3-70B in BF16 (70.55 B params, 80 layers, 8 KV heads, head dim 128)
 * on one 24 GiB GPU at C = 8192: W = 131.41 GiB, KV = 320 KiB/token. N = 1, 2, 4 exceed the 21.6 GiB
 * budget; N = 8 needs 16.43 + 1.82 + 0.31 = 18.56 GiB per GPU → `needs_gpus`, 8 GPUs.
 */
import type { FitReport, FitSummary, FitVerdict } from '../../shared/api/catalog';
import type { RuntimeFlags } from '../../shared/api/models';
import { flagLines } from '../../shared/vllm-flags';
import { quantizationFlag } from '../drivers/hf-vllm/model-config';
import type { ModelShape } from './entry';

const GIB = 1024 ** 3;
export const DEFAULT_CONTEXT = 8192;
export const MIN_CONTEXT = 2048;
export const DEFAULT_GPU_MEMORY_UTILIZATION = 0.9;
const TP_SIZES = [1, 2, 4, 8] as const;
const CONTEXT_STEP = 256;

/** What the catalog knows about the GPUs; the GPU sampler (issue 5) provides the real one. */
export interface GpuSnapshot {
  index: number;
  name: string;
  memoryTotalMiB: number;
  memoryFreeMiB: number;
}
export interface GpuInventory {
  /** null: no GPU detected (or no sampler yet) */
  gpus(): GpuSnapshot[] | null;
}
export const noGpuInventory: GpuInventory = { gpus: () => null };

/** Everything the estimate needs about a model: the catalog entry's shape (one definition, entry.ts). */
export type { ModelShape } from './entry';

export interface FitRequest {
  /** override: these GPUs instead of the detected ones */
  gpus: GpuSnapshot[] | null;
  gpuSource: 'detected' | 'override' | 'none';
  context?: number;
  gpuMemoryUtilization?: number;
  /** total system RAM, for Ollama's CPU and partial-offload verdicts */
  systemRamBytes?: number | null;
}

const BYTES_PER_PARAM: [RegExp, number][] = [
  [/^(F32|FP32|FLOAT32)$/i, 4],
  [/^(BF16|F16|FP16|FLOAT16|HALF)$/i, 2],
  [/^(FP8|F8|F8_E4M3|F8_E5M2|INT8|I8|Q8|BITSANDBYTES_8BIT)$/i, 1],
  [/^Q8_0$/i, 1.0625],
  [/^Q6_K$/i, 0.82],
  [/^Q5_K(_M|_S)?$|^Q5_[01]$/i, 0.71],
  [/^Q4_K(_M)?$/i, 0.61],
  [/^Q4_K_S$|^Q4_[01]$|^IQ4_(NL|XS)$/i, 0.5625],
  [/^(AWQ|GPTQ|INT4|W4A16|BITSANDBYTES|NF4)$/i, 0.5625],
  [/^MXFP4$/i, 0.53],
  [/^Q3_K(_M|_L|_S)?$/i, 0.49],
  [/^Q2_K$/i, 0.41],
];

export function bytesPerParam(dtype: string | null): number {
  if (!dtype) return 2;
  for (const [re, bytes] of BYTES_PER_PARAM) if (re.test(dtype)) return bytes;
  return 2;
}

/** Bytes of each safetensors dtype (`safetensors.parameters` keys on the Hub). */
export function safetensorsDtypeBytes(dtype: string): number {
  const d = dtype.toUpperCase();
  if (d === 'F64' || d === 'I64' || d === 'U64') return 8;
  if (d === 'F32' || d === 'I32' || d === 'U32') return 4;
  if (d === 'F16' || d === 'BF16' || d === 'I16' || d === 'U16') return 2;
  if (d.startsWith('F8') || d === 'I8' || d === 'U8' || d === 'BOOL') return 1;
  if (d === 'F4' || d === 'FP4' || d === 'U4' || d === 'I4') return 0.5;
  return 2;
}

/** A GQA guess when config.json is unknown: 8 KV heads × 128 dims, layers by size class. */
export function guessArchitecture(parametersB: number): { layers: number; kvHeads: number; headDim: number } {
  const layers = parametersB < 1.5 ? 16 : parametersB < 4 ? 28 : parametersB < 10 ? 32 : parametersB < 20 ? 40 : parametersB < 40 ? 64 : parametersB < 100 ? 80 : 126;
  return { layers, kvHeads: 8, headDim: 128 };
}

export function weightsGiB(model: ModelShape): number | null {
  if (model.weightsBytes && model.weightsBytes > 0) return model.weightsBytes / GIB;
  if (model.parametersB && model.parametersB > 0) return (model.parametersB * 1e9 * bytesPerParam(model.dtype)) / GIB;
  return null;
}

export function kvBytesPerToken(model: ModelShape): { bytes: number; estimated: boolean; layers: number; kvHeads: number; headDim: number } | null {
  if (model.layers && model.kvHeads && model.headDim) {
    return { bytes: 2 * model.layers * model.kvHeads * model.headDim * 2, estimated: false, layers: model.layers, kvHeads: model.kvHeads, headDim: model.headDim };
  }
  if (!model.parametersB) return null;
  const g = guessArchitecture(model.parametersB);
  return { bytes: 2 * g.layers * g.kvHeads * g.headDim * 2, estimated: true, ...g };
}

export function overheadGiB(weightsPerGpuGiB: number): number {
  return 1 + 0.05 * weightsPerGpuGiB;
}

interface Option {
  n: number;
  weightsPerGpu: number;
  overhead: number;
  kvPerGpu: number;
  budget: number;
  maxContext: number;
}

function option(n: number, w: number, kvPerToken: number, context: number, budget: number, modelMax: number | null): Option {
  const weightsPerGpu = w / n;
  const overhead = overheadGiB(weightsPerGpu);
  const room = budget - weightsPerGpu - overhead;
  let maxContext = room > 0 ? Math.floor((room * n * GIB) / kvPerToken / CONTEXT_STEP) * CONTEXT_STEP : 0;
  if (modelMax) maxContext = Math.min(maxContext, modelMax);
  return { n, weightsPerGpu, overhead, kvPerGpu: (kvPerToken * context) / n / GIB, budget, maxContext };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** The full report behind a model page's fit table; `summary` is what lists show. */
export function estimateFit(model: ModelShape, request: FitRequest): FitReport {
  const utilization = request.gpuMemoryUtilization ?? DEFAULT_GPU_MEMORY_UTILIZATION;
  const modelMax = model.maxContext && model.maxContext > 0 ? model.maxContext : null;
  const context = Math.min(request.context ?? DEFAULT_CONTEXT, modelMax ?? Number.MAX_SAFE_INTEGER);
  const w = weightsGiB(model);
  const kv = kvBytesPerToken(model);
  const gpus = request.gpus ?? [];
  const notes: string[] = [];
  const inputs: FitReport['inputs'] = {
    parameters_b: model.parametersB,
    weights_gib: w === null ? null : round2(w),
    bytes_per_param: model.weightsBytes ? null : bytesPerParam(model.dtype),
    dtype: model.dtype,
    layers: kv?.layers ?? null,
    kv_heads: kv?.kvHeads ?? null,
    head_dim: kv?.headDim ?? null,
    kv_bytes_per_token: kv?.bytes ?? null,
    kv_estimated: kv?.estimated ?? true,
    max_position_embeddings: modelMax,
    context,
    gpu_memory_utilization: utilization,
  };
  const gpuInfo = gpus.map((g) => ({ index: g.index, name: g.name, memory_total_mib: g.memoryTotalMiB, memory_free_mib: g.memoryFreeMiB }));
  const base = { gpus: gpuInfo, gpu_source: request.gpuSource, inputs };

  if (w === null || kv === null) {
    const summary: FitSummary = { verdict: 'unknown', required_gib: null, gpus_needed: null, context: null, note: 'Size unknown: the model does not say how many parameters it has.' };
    return { ...base, summary, options: [], vllm_flags: null, runtime_flags: null, ollama_num_ctx: null, fits_now: null, notes: [summary.note] };
  }
  if (kv.estimated) {
    notes.push(
      model.runtime === 'ollama'
        ? 'KV cache estimated from the parameter count: the Ollama library (and a GGUF listing) gives no layers / KV heads; exact once installed in Ollama, from its metadata.'
        : 'KV cache estimated from the parameter count (no config.json with layers / KV heads).',
    );
  }
  const requiredSingle = w + overheadGiB(w) + (kv.bytes * context) / GIB;
  if (model.runtime === 'ollama') return ollamaFit({ ...base, inputs: { ...inputs, system_ram_gib: request.systemRamBytes ? round2(request.systemRamBytes / GIB) : null } }, w, kv.bytes, context, gpus, request.systemRamBytes ?? null, notes);

  if (gpus.length === 0) {
    const summary: FitSummary = {
      verdict: 'no_gpu',
      required_gib: round2(requiredSingle),
      gpus_needed: null,
      context,
      note: `No GPU detected: needs about ${round2(requiredSingle)} GiB of VRAM at ${context} tokens.`,
    };
    return { ...base, summary, options: [], vllm_flags: null, runtime_flags: null, ollama_num_ctx: null, fits_now: null, notes: [summary.note, ...notes] };
  }

  const totalGiB = Math.min(...gpus.map((g) => g.memoryTotalMiB)) / 1024;
  const budget = totalGiB * utilization;
  // vLLM refuses a tensor-parallel size that does not divide the attention heads
  const heads = model.attentionHeads ?? null;
  const all = TP_SIZES.filter((n) => !heads || heads % n === 0).map((n) => option(n, w, kv.bytes, context, budget, modelMax));
  const have = all.filter((o) => o.n <= gpus.length);
  let chosen: Option | undefined;
  let verdict: FitVerdict;
  let verdictContext = context;
  const full = have.find((o) => o.maxContext >= context);
  if (full) {
    chosen = full;
    verdict = full.n === 1 ? 'fits' : 'needs_gpus';
  } else {
    const reduced = have.filter((o) => o.maxContext >= MIN_CONTEXT).sort((a, b) => b.maxContext - a.maxContext)[0];
    if (reduced) {
      chosen = reduced;
      verdict = 'reduced_context';
      verdictContext = reduced.maxContext;
    } else {
      const more = all.find((o) => o.n > gpus.length && o.maxContext >= context) ?? all.find((o) => o.n > gpus.length && o.maxContext >= MIN_CONTEXT);
      if (more) {
        chosen = more;
        verdict = 'needs_gpus';
        verdictContext = Math.min(context, more.maxContext);
      } else verdict = 'does_not_fit';
    }
  }

  const sizeName = `${round2(totalGiB)} GiB`;
  let note: string;
  switch (verdict) {
    case 'fits':
      note = `Fits on one ${sizeName} GPU at ${context} tokens.`;
      break;
    case 'reduced_context':
      note = `Fits on ${chosen!.n} × ${sizeName} with the context reduced to ${verdictContext} tokens.`;
      break;
    case 'needs_gpus':
      note =
        chosen!.n <= gpus.length
          ? `Needs ${chosen!.n} GPUs with tensor parallelism (you have ${gpus.length}).`
          : `Needs ${chosen!.n} × ${sizeName} GPUs with tensor parallelism; you have ${gpus.length}.`;
      break;
    case 'does_not_fit':
      note = `Does not fit on up to 8 × ${sizeName}: needs about ${round2(requiredSingle)} GiB. Try a 4-bit quantized variant.`;
      break;
    default:
      note = '';
  }
  const runnable = chosen && chosen.n <= gpus.length;
  const summary: FitSummary = {
    verdict,
    required_gib: round2(chosen ? chosen.n * (chosen.weightsPerGpu + chosen.overhead) + (kv.bytes * verdictContext) / GIB : requiredSingle),
    gpus_needed: chosen?.n ?? null,
    context: verdict === 'does_not_fit' ? null : verdictContext,
    note,
  };

  let fitsNow: boolean | null = null;
  if (runnable && request.gpuSource === 'detected') {
    const perGpu = chosen!.weightsPerGpu + chosen!.overhead + (kv.bytes * verdictContext) / chosen!.n / GIB;
    const used = [...gpus].sort((a, b) => b.memoryFreeMiB - a.memoryFreeMiB).slice(0, chosen!.n);
    fitsNow = used.every((g) => g.memoryFreeMiB / 1024 >= perGpu);
    if (!fitsNow) notes.push('Not enough free VRAM right now: other programs hold GPU memory. Stop them (or the other runtime) first.');
  }

  let flags: RuntimeFlags | null = null;
  if (model.runtime === 'vllm' && runnable) {
    // The largest context that fits, never above the model's own limit (vLLM refuses that): pinning the
    // 8k default when the model's full context fits would only take context away from the user.
    const maxModelLen = request.context === undefined ? Math.min(chosen!.maxContext, modelMax ?? verdictContext) : verdictContext;
    flags = { gpu_memory_utilization: utilization, max_model_len: Math.max(maxModelLen, verdictContext) };
    if (chosen!.n > 1) flags.tensor_parallel_size = chosen!.n;
    // vLLM reads the method from the checkpoint and picks Marlin kernels; naming awq/gptq would force the slow ones
    const quantization = quantizationFlag(model.quantization);
    if (quantization) flags.quantization = quantization;
  }
  if (verdict === 'does_not_fit' || (verdict === 'needs_gpus' && !runnable)) {
    const w4 = model.parametersB ? (model.parametersB * 1e9 * 0.5625) / GIB : null;
    if (w4 && bytesPerParam(model.dtype) > 0.6) notes.push(`A 4-bit build (AWQ/GPTQ/GGUF Q4) would need about ${round2(w4 + overheadGiB(w4))} GiB for weights and overhead.`);
  }

  return {
    ...base,
    summary,
    options: all.map((o) => ({
      tensor_parallel_size: o.n,
      verdict: (o.maxContext >= context ? 'fits' : o.maxContext >= MIN_CONTEXT ? 'reduced_context' : 'does_not_fit') as FitVerdict,
      weights_gib_per_gpu: round2(o.weightsPerGpu),
      kv_cache_gib_per_gpu: round2(o.kvPerGpu),
      overhead_gib_per_gpu: round2(o.overhead),
      required_gib_per_gpu: round2(o.weightsPerGpu + o.overhead + o.kvPerGpu),
      budget_gib_per_gpu: round2(o.budget),
      max_context: o.maxContext,
    })),
    vllm_flags: flags && flagLines(flags),
    runtime_flags: flags,
    ollama_num_ctx: null,
    fits_now: fitsNow,
    notes,
  };
}

/** Share of system RAM a model may take: the desktop, the browser and Switchyard need the rest. */
const USABLE_RAM_SHARE = 0.8;
/** Ollama keeps some VRAM free for its own buffers; it uses every GPU, layers split between them. */
const OLLAMA_VRAM_SHARE = 0.9;
/** CPU inference buffers beyond the weights and the KV cache (GiB) */
const CPU_OVERHEAD_GIB = 0.5;

/**
 * Ollama's placement, as LM Studio labels it: the whole model on the GPUs (full GPU offload), some
 * layers on the GPUs and the rest on the CPU (partial offload), or all on the CPU; the CPU part is
 * checked against system RAM.
 *
 *   on GPUs: W + O + KV(C) ≤ 0.9 × total VRAM of all GPUs                                → fits (full GPU)
 *   else GPU share s = clamp((0.9 × VRAM − 1 GiB − KV(C)) / W, 0, 1) of the layers;
 *   RAM need = W × (1 − s) + (s = 0 ? KV(C) : 0) + 0.5 GiB ≤ 0.8 × system RAM    → partial_offload / cpu
 *   else does_not_fit.
 */
function ollamaFit(
  base: Pick<FitReport, 'gpus' | 'gpu_source' | 'inputs'>,
  w: number,
  kvPerToken: number,
  context: number,
  gpus: GpuSnapshot[],
  systemRamBytes: number | null,
  notes: string[],
): FitReport {
  const kvGiB = (kvPerToken * context) / GIB;
  const vram = (gpus.reduce((sum, g) => sum + g.memoryTotalMiB, 0) / 1024) * OLLAMA_VRAM_SHARE;
  const onGpu = w + overheadGiB(w) + kvGiB;
  const ramGiB = systemRamBytes ? systemRamBytes / GIB : null;
  const report = (summary: FitSummary, numCtx: number | null, fitsNow: boolean | null = null): FitReport => ({
    ...base,
    summary,
    options: [],
    vllm_flags: null,
    runtime_flags: null,
    ollama_num_ctx: numCtx,
    fits_now: fitsNow,
    notes,
  });
  if (gpus.length && onGpu <= vram) {
    const free = gpus.reduce((sum, g) => sum + g.memoryFreeMiB, 0) / 1024;
    const fitsNow = base.gpu_source === 'detected' ? free >= onGpu : null;
    if (fitsNow === false) notes.push('Not enough free VRAM right now: other programs hold GPU memory, so Ollama would put some layers on the CPU.');
    const note = `Full GPU offload: needs about ${round2(onGpu)} GiB of VRAM at ${context} tokens${gpus.length > 1 ? `, split over ${gpus.length} GPUs` : ''}.`;
    return report({ verdict: 'fits', required_gib: round2(onGpu), gpus_needed: gpus.length > 1 ? gpus.length : 1, context, ram_gib: null, note }, context, fitsNow);
  }
  const share = gpus.length ? Math.min(1, Math.max(0, (vram - 1 - kvGiB) / w)) : 0;
  const ramNeed = w * (1 - share) + (share === 0 ? kvGiB : 0) + CPU_OVERHEAD_GIB;
  const ramText = ramGiB ? ` of your ${round2(ramGiB)} GiB` : '';
  if (ramGiB !== null && ramNeed > ramGiB * USABLE_RAM_SHARE) {
    const note = `Likely too large for this machine: needs about ${round2(ramNeed)} GiB of RAM${share > 0 ? ` beside the GPU` : ''} at ${context} tokens${ramText}. Try a smaller quantization.`;
    return report({ verdict: 'does_not_fit', required_gib: round2(onGpu), gpus_needed: null, context: null, ram_gib: round2(ramNeed), note }, null);
  }
  if (share > 0) {
    const note = `Partial GPU offload: about ${Math.round(share * 100)} % of the layers on the GPU, the rest on the CPU with about ${round2(ramNeed)} GiB of RAM${ramText}. Runs, slower than on the GPU alone.`;
    return report({ verdict: 'partial_offload', required_gib: round2(onGpu), gpus_needed: null, context, ram_gib: round2(ramNeed), note }, context);
  }
  const note = `${gpus.length ? 'Too large for the GPU: runs' : 'No GPU: runs'} on the CPU with about ${round2(ramNeed)} GiB of RAM${ramText} at ${context} tokens — slower than a GPU, fine for small models.`;
  return report({ verdict: 'cpu', required_gib: round2(onGpu), gpus_needed: null, context, ram_gib: round2(ramNeed), note }, context);
}

/** GPUs for `?vram_gb=&gpus=`: identical cards, all free. */
export function overrideGpus(vramGb: number, count: number): GpuSnapshot[] {
  return Array.from({ length: count }, (_, index) => ({ index, name: `${vramGb} GiB (what-if)`, memoryTotalMiB: vramGb * 1024, memoryFreeMiB: vramGb * 1024 }));
}

/** Parameter count from a name: "Llama-3.1-8B", "Mixtral-8x7B", "Qwen3-0.6B", "smollm2:135m". */
export function parametersFromName(name: string): number | null {
  const base = name.split('/').pop() ?? name;
  const moe = /(?:^|[^a-z0-9.])(\d+)x(\d+(?:\.\d+)?)b(?![a-z])/i.exec(base);
  if (moe) return Number(moe[1]) * Number(moe[2]) * 0.8; // experts share attention: ~80 % of n × size
  const b = /(?:^|[^a-z0-9.])(\d+(?:\.\d+)?)b(?![a-z0-9])/i.exec(base);
  if (b) return Number(b[1]);
  const m = /(?:^|[^a-z0-9.])(\d+(?:\.\d+)?)m(?![a-z0-9])/i.exec(base);
  if (m) return Number(m[1]) / 1000;
  return null;
}
