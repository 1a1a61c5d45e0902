import type { ModelFacts } from '../../src/main/kserve/render';
import { shapeFromFiles } from '../../src/main/kserve/export';

type Json = Record<string, unknown>;

/**
 * Models as they sit in the HF cache, with their real config.json numbers and weight sizes (from their
 * Hub pages), for golden manifests: a small dense model, one that needs two 24 GiB GPUs, one that
 * ships its own code, and a gated one.
 */
export const MODELS = {
  qwen3_0_6b: {
    model: 'Qwen/Qwen3-0.6B',
    commit: 'c1899de289a04d12100db370d81485cdf75e47ca',
    config: { architectures: ['Qwen3ForCausalLM'], model_type: 'qwen3', hidden_size: 1024, num_attention_heads: 16, num_key_value_heads: 8, head_dim: 128, num_hidden_layers: 28, max_position_embeddings: 40960, torch_dtype: 'bfloat16' },
    files: [{ path: 'config.json', size: 726 }, { path: 'model.safetensors', size: 1_503_300_328 }, { path: 'tokenizer.json', size: 11_422_654 }],
  },
  qwen3_14b: {
    model: 'Qwen/Qwen3-14B',
    commit: '40c069824f4251a91eefaf281ebe4c544efd3e18',
    config: { architectures: ['Qwen3ForCausalLM'], model_type: 'qwen3', hidden_size: 5120, num_attention_heads: 40, num_key_value_heads: 8, head_dim: 128, num_hidden_layers: 40, max_position_embeddings: 40960, torch_dtype: 'bfloat16' },
    files: [
      { path: 'config.json', size: 728 },
      { path: 'model.safetensors.index.json', size: 39_000 },
      ...Array.from({ length: 8 }, (_, i) => ({ path: `model-0000${i + 1}-of-00008.safetensors`, size: 3_692_076_800 })),
    ],
  },
  internlm2_5_7b: {
    model: 'internlm/internlm2_5-7b-chat',
    commit: '9b8d9553d2a8a2ad8ab1c6c3e3b2b6d1e2f64b77',
    config: {
      architectures: ['InternLM2ForCausalLM'],
      auto_map: { AutoConfig: 'configuration_internlm2.InternLM2Config', AutoModelForCausalLM: 'modeling_internlm2.InternLM2ForCausalLM' },
      model_type: 'internlm2',
      hidden_size: 4096,
      num_attention_heads: 32,
      num_key_value_heads: 8,
      num_hidden_layers: 32,
      max_position_embeddings: 32768,
      rope_scaling: { type: 'dynamic', factor: 2.0 },
      torch_dtype: 'bfloat16',
    },
    files: [
      { path: 'config.json', size: 1_000 },
      { path: 'configuration_internlm2.py', size: 8_000 },
      { path: 'modeling_internlm2.py', size: 80_000 },
      ...Array.from({ length: 8 }, (_, i) => ({ path: `model-0000${i + 1}-of-00008.safetensors`, size: 1_934_000_000 })),
    ],
  },
  llama_3_2_1b: {
    model: 'meta-llama/Llama-3.2-1B-Instruct',
    commit: '9213176726f574b556790deb65791e0c5aa438b6',
    config: {
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      hidden_size: 2048,
      num_attention_heads: 32,
      num_key_value_heads: 8,
      head_dim: 64,
      num_hidden_layers: 16,
      max_position_embeddings: 131072,
      rope_scaling: { rope_type: 'llama3', factor: 32.0, original_max_position_embeddings: 8192, low_freq_factor: 1.0, high_freq_factor: 4.0 },
      torch_dtype: 'bfloat16',
    },
    files: [{ path: 'config.json', size: 877 }, { path: 'model.safetensors', size: 2_471_645_608 }],
  },
} satisfies Record<string, { model: string; commit: string; config: Json; files: { path: string; size: number }[] }>;

export type ModelKey = keyof typeof MODELS;

export function facts(key: ModelKey, over: Partial<ModelFacts> = {}): ModelFacts {
  const m = MODELS[key];
  const shards = m.files.some((f) => f.path.endsWith('index.json')) ? new Set(m.files.filter((f) => f.path.endsWith('.safetensors')).map((f) => f.path)) : null;
  const config = (over.config ?? m.config) as Json;
  return {
    model: m.model,
    commit: m.commit,
    config,
    shape: shapeFromFiles(m.model, config, m.files, shards),
    gated: false,
    remoteCodeAllowed: false,
    flags: { dtype: null, quantization: null },
    ...over,
  };
}
