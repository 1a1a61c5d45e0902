import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { estimateFit, overrideGpus, type ModelShape } from './fit';
import { hfShape } from './huggingface';
import { localHfDetails, ollamaMetadataShape } from './installed';
import { bundledLibrary, ollamaShape } from './ollama-library';

const gpus = (gib: number, n = 1) => ({ gpus: overrideGpus(gib, n), gpuSource: 'override' as const });

/** `ollama show qwen2.5:7b` (Ollama 0.12), trimmed to the keys the estimate reads plus a few neighbours. */
const QWEN25_7B_SHOW = {
  details: { parent_model: '', format: 'gguf', family: 'qwen2', families: ['qwen2'], parameter_size: '7.6B', quantization_level: 'Q4_K_M' },
  model_info: {
    'general.architecture': 'qwen2',
    'general.file_type': 15,
    'general.parameter_count': 7_615_616_512,
    'general.quantization_version': 2,
    'qwen2.attention.head_count': 28,
    'qwen2.attention.head_count_kv': 4,
    'qwen2.attention.layer_norm_rms_epsilon': 0.000001,
    'qwen2.block_count': 28,
    'qwen2.context_length': 32768,
    'qwen2.embedding_length': 3584,
    'qwen2.feed_forward_length': 18944,
    'qwen2.rope.freq_base': 1_000_000,
    'tokenizer.ggml.model': 'gpt2',
  },
  capabilities: ['completion', 'tools'],
};

describe('ollamaMetadataShape', () => {
  it('reads layers, KV heads and head dim from /api/show model_info', () => {
    expect(ollamaMetadataShape(QWEN25_7B_SHOW)).toEqual({ layers: 28, kvHeads: 4, headDim: 128, maxContext: 32768, parametersB: 7.615616512, dtype: 'Q4_K_M' });
  });

  it('prefers attention.key_length, takes the largest of per-layer KV head lists, and survives junk', () => {
    const show = { model_info: { 'general.architecture': 'gemma3', 'gemma3.block_count': 26, 'gemma3.attention.head_count': 4, 'gemma3.attention.head_count_kv': [1, 1, 2], 'gemma3.attention.key_length': 256, 'gemma3.embedding_length': 1152 } };
    expect(ollamaMetadataShape(show)).toMatchObject({ layers: 26, kvHeads: 2, headDim: 256 });
    expect(ollamaMetadataShape(null)).toEqual({});
    expect(ollamaMetadataShape({ model_info: { 'general.architecture': 'llama', 'llama.block_count': 32 } })).toEqual({});
  });

  it('an installed Ollama model: exact KV from metadata instead of the guess (hand-computed)', () => {
    const lib = bundledLibrary.find((m) => m.name === 'qwen2.5');
    const base: ModelShape = lib ? ollamaShape(lib, lib.tags.find((t) => t.tag === '7b') ?? lib.tags[0]!) : { runtime: 'ollama', parametersB: 7.6, weightsBytes: 4.7e9, dtype: 'Q4_K_M', layers: null, kvHeads: null, headDim: null, maxContext: 32768, quantization: null };
    // the library alone: KV guessed from the size class (7.6 B → 32 layers × 8 KV heads × 128)
    const guessed = estimateFit({ ...base, weightsBytes: 4_683_087_332 }, gpus(8));
    expect(guessed.inputs.kv_estimated).toBe(true);
    expect(guessed.inputs.kv_bytes_per_token).toBe(131_072);
    // installed: size on disk 4 683 087 332 B = 4.3615 GiB; O = 1 + 0.05 × 4.3615 = 1.2181 GiB;
    // KV = 2 × 28 × 4 × 128 × 2 B = 56 KiB/token → 8192 tokens = 0.4375 GiB; need 6.02 GiB ≤ 0.9 × 8 = 7.2.
    const shape: ModelShape = { ...base, weightsBytes: 4_683_087_332, ...ollamaMetadataShape(QWEN25_7B_SHOW) };
    const r = estimateFit(shape, gpus(8));
    expect(r.inputs.kv_estimated).toBe(false);
    expect(r.inputs.kv_bytes_per_token).toBe(57_344);
    expect(r.inputs.weights_gib).toBeCloseTo(4.36, 2);
    expect(r.summary.verdict).toBe('fits');
    expect(r.summary.required_gib).toBeCloseTo(6.02, 2);
    // Ollama places layers itself: no tensor-parallel table, a placement sentence instead
    expect(r.options).toEqual([]);
    expect(r.summary.note).toBe('Full GPU offload: needs about 6.02 GiB of VRAM at 8192 tokens.');
    expect(r.ollama_num_ctx).toBe(8192);
    expect(r.notes.join(' ')).not.toMatch(/estimated/);
  });
});

describe('localHfDetails', () => {
  const root = mkdtempSync(join(tmpdir(), 'switchyard-local-fit-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('counts the weights vLLM loads: a consolidated copy beside the indexed shards (hf download of a Mistral repo) is not counted', () => {
    const snap = join(root, 'models--me--mistral', 'snapshots', 'b'.repeat(40));
    mkdirSync(join(snap, 'original'), { recursive: true });
    writeFileSync(join(snap, 'config.json'), JSON.stringify({ architectures: ['MistralForCausalLM'], torch_dtype: 'bfloat16', max_position_embeddings: 32768 }));
    writeFileSync(join(snap, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { a: 'model-00001-of-00001.safetensors' } }));
    for (const [name, size] of [['model-00001-of-00001.safetensors', 1_000_000_000], ['consolidated.safetensors', 1_000_000_000], ['original/consolidated.safetensors', 1_000_000_000]] as const) {
      writeFileSync(join(snap, name), '');
      truncateSync(join(snap, name), size);
    }
    const local = localHfDetails('me/mistral', snap)!;
    expect(local.info.safetensors?.total).toBe(500_000_000); // 1 GB of BF16, once
  });

  it('builds details from a snapshot: config.json and the safetensors sizes (hand-computed fit)', () => {
    const snap = join(root, 'models--me--local-1b', 'snapshots', 'a'.repeat(40));
    mkdirSync(snap, { recursive: true });
    const config = { architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 2048, num_attention_heads: 16, num_key_value_heads: 8, num_hidden_layers: 24, max_position_embeddings: 32768, torch_dtype: 'bfloat16' };
    writeFileSync(join(snap, 'config.json'), JSON.stringify(config));
    writeFileSync(join(snap, 'model-00001-of-00002.safetensors'), '');
    truncateSync(join(snap, 'model-00001-of-00002.safetensors'), 2_000_000_000); // sparse
    writeFileSync(join(snap, 'model-00002-of-00002.safetensors'), '');
    truncateSync(join(snap, 'model-00002-of-00002.safetensors'), 1_000_000_000);
    const local = localHfDetails('me/local-1b', snap)!;
    expect(local.info.safetensors).toEqual({ parameters: { BF16: 1_500_000_000 }, total: 1_500_000_000 });
    expect(local.info.config?.architectures).toEqual(['LlamaForCausalLM']);
    expect(local.info.siblings).toHaveLength(3);
    const shape = hfShape(local.info, local.config);
    expect(shape).toMatchObject({ runtime: 'vllm', parametersB: 1.5, weightsBytes: 3e9, dtype: 'BF16', layers: 24, kvHeads: 8, headDim: 128, maxContext: 32768 });
    // W = 3e9 B = 2.794 GiB; O = 1.1397; KV = 2 × 24 × 8 × 128 × 2 = 96 KiB/token; budget 0.9 × 6 = 5.4 GiB
    // room = 5.4 − 2.794 − 1.1397 = 1.4664 GiB → 16 017 tokens → 15 872
    const r = estimateFit(shape, gpus(6));
    expect(r.summary.verdict).toBe('fits');
    expect(r.options[0]!.max_context).toBe(15_872);
    // the largest context that fits is pinned, not the 8k default
    expect(r.vllm_flags).toEqual(['--gpu-memory-utilization 0.9', '--max-model-len 15872']);
  });

  it('a GGUF-only snapshot is an Ollama-runtime shape sized by its file; a missing dir is null', () => {
    const snap = join(root, 'models--me--gguf', 'snapshots', 'b'.repeat(40));
    mkdirSync(snap, { recursive: true });
    writeFileSync(join(snap, 'model.Q4_K_M.gguf'), '');
    truncateSync(join(snap, 'model.Q4_K_M.gguf'), 4_920_734_016);
    const local = localHfDetails('me/gguf-8B', snap)!;
    expect(local.config).toBeNull();
    expect(hfShape(local.info, local.config)).toMatchObject({ runtime: 'ollama', parametersB: 8, weightsBytes: 4_920_734_016, dtype: 'Q4_K_M' });
    expect(localHfDetails('me/nothing', join(root, 'nope'))).toBeNull();
  });
});
