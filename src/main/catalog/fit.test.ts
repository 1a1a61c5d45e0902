import { describe, expect, it } from 'vitest';
import { estimateFit, overrideGpus, parametersFromName, weightsGiB, type ModelShape } from './fit';

const GIB = 1024 ** 3;
const llama70b: ModelShape = {
  runtime: 'vllm',
  parametersB: 70.55,
  weightsBytes: null,
  dtype: 'BF16',
  layers: 80,
  kvHeads: 8,
  headDim: 128,
  maxContext: 131072,
  quantization: null,
};
const llama8b: ModelShape = { ...llama70b, parametersB: 8.03, layers: 32 };
const gpus = (gib: number, n = 1) => ({ gpus: overrideGpus(gib, n), gpuSource: 'override' as const });

describe('estimateFit', () => {
  it('70B in BF16 on one 24 GiB GPU needs 8 GPUs (hand-computed)', () => {
    // W = 70.55e9 × 2 B = 131.41 GiB; KV = 2 × 80 × 8 × 128 × 2 B = 320 KiB/token; budget = 0.9 × 24 = 21.6 GiB.
    // N=4: 32.85 + (1 + 1.64) + 0.625 = 36.1 > 21.6.  N=8: 16.43 + 1.82 + 0.3125 = 18.56 ≤ 21.6.
    const r = estimateFit(llama70b, gpus(24));
    expect(r.inputs.weights_gib).toBeCloseTo(131.41, 2);
    expect(r.inputs.kv_bytes_per_token).toBe(327_680);
    expect(r.summary.verdict).toBe('needs_gpus');
    expect(r.summary.gpus_needed).toBe(8);
    const n8 = r.options.find((o) => o.tensor_parallel_size === 8)!;
    expect(n8.weights_gib_per_gpu).toBeCloseTo(16.43, 2);
    expect(n8.overhead_gib_per_gpu).toBeCloseTo(1.82, 2);
    expect(n8.kv_cache_gib_per_gpu).toBeCloseTo(0.31, 2);
    expect(n8.required_gib_per_gpu).toBeCloseTo(18.56, 2);
    expect(n8.budget_gib_per_gpu).toBeCloseTo(21.6, 2);
    // the user has one GPU: no flags to run it, but a pointer to 4-bit builds (70.55e9 × 0.5625 B = 36.96 GiB + 2.85)
    expect(r.vllm_flags).toBeNull();
    expect(r.notes.join(' ')).toMatch(/4-bit build .* about 39\.8\d? GiB/);
  });

  it('70B on 8 × 24 GiB: tensor parallel 8 with flags', () => {
    const r = estimateFit(llama70b, gpus(24, 8));
    expect(r.summary.verdict).toBe('needs_gpus');
    expect(r.summary.gpus_needed).toBe(8);
    // the largest context that fits is pinned (not the 8k default), below the model's 131072
    expect(r.vllm_flags).toEqual(['--gpu-memory-utilization 0.9', '--max-model-len 87808', '--tensor-parallel-size 8']);
    // room per GPU 21.6 − 16.43 − 1.82 = 3.35 GiB; × 8 GPUs / 320 KiB = 87 k tokens → multiple of 256
    expect(r.options.find((o) => o.tensor_parallel_size === 8)!.max_context).toBe(87_808);
  });

  it('8B in BF16 fits on 24 GiB; max context hand-computed', () => {
    // W = 8.03e9 × 2 = 14.957 GiB, O = 1 + 0.748 = 1.748, KV = 128 KiB/token → 8192 tokens = 1 GiB.
    // room = 21.6 − 14.957 − 1.748 = 4.895 GiB = 40 100 tokens → 39 936 (multiple of 256).
    const r = estimateFit(llama8b, gpus(24));
    expect(r.summary.verdict).toBe('fits');
    expect(r.summary.required_gib).toBeCloseTo(17.7, 1);
    expect(r.options[0]!.max_context).toBe(39_936);
    expect(r.vllm_flags).toEqual(['--gpu-memory-utilization 0.9', '--max-model-len 39936']);
    // an explicit context is what gets pinned
    expect(estimateFit(llama8b, { ...gpus(24), context: 8192 }).vllm_flags).toEqual(['--gpu-memory-utilization 0.9', '--max-model-len 8192']);
  });

  it('8B at 128k context on 20 GiB: reduced context', () => {
    // budget 18; room = 18 − 14.957 − 1.748 = 1.295 GiB = 10 609 tokens → 10 496
    const r = estimateFit(llama8b, { ...gpus(20), context: 131072 });
    expect(r.summary.verdict).toBe('reduced_context');
    expect(r.summary.context).toBe(10_496);
    expect(r.vllm_flags).toContain('--max-model-len 10496');
  });

  it('8B on one 16 GiB GPU needs 2 GPUs', () => {
    const r = estimateFit(llama8b, gpus(16));
    expect(r.summary.verdict).toBe('needs_gpus');
    expect(r.summary.gpus_needed).toBe(2);
    expect(r.vllm_flags).toBeNull();
  });

  it('uses exact weight bytes (GGUF size) and a guessed KV for an Ollama 70B Q4: partial offload, CPU, or too large, by RAM', () => {
    const model: ModelShape = { runtime: 'ollama', parametersB: 70.6, weightsBytes: 43e9, dtype: 'Q4_K_M', layers: null, kvHeads: null, headDim: null, maxContext: 131072, quantization: null };
    expect(weightsGiB(model)).toBeCloseTo(40.05, 2);
    const ram = (gib: number) => ({ systemRamBytes: gib * GIB });
    // one 24 GiB GPU: 0.9 × 24 = 21.6 GiB; KV guess 80 × 8 × 128 × 4 B × 8192 = 2.5 GiB;
    // GPU share (21.6 − 1 − 2.5) / 40.05 = 45 %; RAM 40.05 × 0.55 + 0.5 = 22.45 GiB ≤ 0.8 × 64
    const r = estimateFit(model, { ...gpus(24), ...ram(64) });
    expect(r.inputs.kv_estimated).toBe(true);
    expect(r.notes.join(' ')).toMatch(/KV cache estimated .* Ollama library .* gives no layers/);
    expect(r.summary).toMatchObject({ verdict: 'partial_offload', ram_gib: 22.45, context: 8192 });
    expect(r.summary.note).toBe('Partial GPU offload: about 45 % of the layers on the GPU, the rest on the CPU with about 22.45 GiB of RAM of your 64 GiB. Runs, slower than on the GPU alone.');
    expect(r.ollama_num_ctx).toBe(8192);
    expect(r.vllm_flags).toBeNull();
    expect(r.options).toEqual([]);
    // 16 GiB of RAM cannot hold the CPU part
    expect(estimateFit(model, { ...gpus(24), ...ram(16) }).summary.verdict).toBe('does_not_fit');
    // no GPU: all on the CPU, 40.05 + 2.5 + 0.5 GiB
    const cpu = estimateFit(model, { gpus: null, gpuSource: 'none', ...ram(64) });
    expect(cpu.summary).toMatchObject({ verdict: 'cpu', ram_gib: 43.05 });
    // four 24 GiB GPUs hold it all: Ollama splits the layers over them
    const four = estimateFit(model, { ...gpus(24, 4), ...ram(16) });
    expect(four.summary).toMatchObject({ verdict: 'fits', gpus_needed: 4 });
    expect(four.summary.note).toMatch(/^Full GPU offload: .* split over 4 GPUs\.$/);
  });

  it('a small Ollama model without a GPU runs on the CPU (not "no GPU")', () => {
    const embed: ModelShape = { runtime: 'ollama', parametersB: 0.137, weightsBytes: 0.27e9, dtype: 'F16', layers: 12, kvHeads: 12, headDim: 64, maxContext: 8192, quantization: null };
    const r = estimateFit(embed, { gpus: null, gpuSource: 'none', systemRamBytes: 8 * GIB });
    expect(r.summary.verdict).toBe('cpu');
    expect(r.summary.note).toMatch(/^No GPU: runs on the CPU with about 1\.03 GiB of RAM of your 8 GiB at 8192 tokens/);
    // vLLM verdicts are as before
    expect(estimateFit({ ...embed, runtime: 'vllm' }, { gpus: null, gpuSource: 'none', systemRamBytes: 8 * GIB }).summary.verdict).toBe('no_gpu');
  });

  it('a tiny model fits and gives the Ollama num_ctx', () => {
    const model: ModelShape = { runtime: 'ollama', parametersB: 1.24, weightsBytes: 1.3e9, dtype: 'Q4_K_M', layers: null, kvHeads: null, headDim: null, maxContext: 131072, quantization: null };
    const r = estimateFit(model, { ...gpus(8), context: 4096 });
    expect(r.summary.verdict).toBe('fits');
    expect(r.ollama_num_ctx).toBe(4096);
  });

  it('does not fit even on 8 GPUs', () => {
    const r = estimateFit({ ...llama70b, parametersB: 671 }, gpus(8));
    expect(r.summary.verdict).toBe('does_not_fit');
    expect(r.summary.gpus_needed).toBeNull();
  });

  it('no GPU: says so, with the requirement', () => {
    const r = estimateFit(llama8b, { gpus: null, gpuSource: 'none' });
    expect(r.summary.verdict).toBe('no_gpu');
    expect(r.summary.required_gib).toBeCloseTo(14.957 + 1.748 + 1, 1);
  });

  it('unknown size: unknown verdict', () => {
    const r = estimateFit({ ...llama8b, parametersB: null }, gpus(24));
    expect(r.summary.verdict).toBe('unknown');
  });

  it('fits_now uses free memory of detected GPUs', () => {
    const busy = [{ index: 0, name: 'RTX 4090', memoryTotalMiB: 24564, memoryFreeMiB: 6000 }];
    const r = estimateFit(llama8b, { gpus: busy, gpuSource: 'detected' });
    expect(r.summary.verdict).toBe('fits');
    expect(r.fits_now).toBe(false);
  });

  it('leaves --quantization out for checkpoints vLLM detects (AWQ/GPTQ run with Marlin then), passes it otherwise', () => {
    const awq: ModelShape = { ...llama8b, weightsBytes: 5.7e9, dtype: 'AWQ', quantization: 'awq' };
    const flags = estimateFit(awq, gpus(12)).vllm_flags!;
    expect(flags.some((f) => f.startsWith('--quantization'))).toBe(false);
    expect(estimateFit({ ...awq, quantization: 'gptq' }, gpus(12)).vllm_flags!.join(' ')).not.toMatch(/--quantization/);
    expect(estimateFit({ ...awq, quantization: 'experts_int8' }, gpus(12)).vllm_flags).toContain('--quantization experts_int8');
    expect(GIB).toBeGreaterThan(0);
  });

  it('never pins a context above the model limit, and pins the full context when it fits', () => {
    const small: ModelShape = { ...llama8b, parametersB: 0.124, layers: 12, kvHeads: 12, headDim: 64, maxContext: 1024 };
    expect(estimateFit(small, gpus(24)).vllm_flags).toContain('--max-model-len 1024');
  });

  it('offers only tensor-parallel sizes that divide the attention heads', () => {
    // 70B with 20 heads (made up): 8 does not divide 20, so 4 is the largest on offer
    const r = estimateFit({ ...llama70b, attentionHeads: 20 }, gpus(80, 8));
    expect(r.options.map((o) => o.tensor_parallel_size)).toEqual([1, 2, 4]);
    const r6 = estimateFit({ ...llama70b, attentionHeads: 64 }, gpus(24, 8));
    expect(r6.vllm_flags).toContain('--tensor-parallel-size 8');
  });
});

describe('parametersFromName', () => {
  it.each([
    ['meta-llama/Llama-3.1-8B-Instruct', 8],
    ['Qwen/Qwen3-0.6B', 0.6],
    ['llama3.1:70b', 70],
    ['smollm2:135m', 0.135],
    ['mistralai/Mixtral-8x7B-v0.1', 44.8],
    ['google/gemma-2b-it', 2],
    ['gpt2', null],
  ])('%s → %s', (name, expected) => {
    const got = parametersFromName(name);
    if (expected === null) expect(got).toBeNull();
    else expect(got).toBeCloseTo(expected, 3);
  });
});
