import { describe, expect, it } from 'vitest';
import { attentionHeads, derivedMaxModelLen, needsRemoteCode, quantizationFlag, remoteCodeModules } from './model-config';

describe('derivedMaxModelLen (as vLLM derives it)', () => {
  it('takes the smallest of the limit keys', () => {
    expect(derivedMaxModelLen({ max_position_embeddings: 32768 })).toBe(32768);
    // GPT-2: n_positions, no max_position_embeddings
    expect(derivedMaxModelLen({ model_type: 'gpt2', n_positions: 1024, n_ctx: 1024 })).toBe(1024);
    expect(derivedMaxModelLen({ max_position_embeddings: 8192, seq_length: 4096 })).toBe(4096);
    expect(derivedMaxModelLen({ max_sequence_length: 2048, model_max_length: 4096 })).toBe(2048);
  });

  it('reads text_config of multimodal configs', () => {
    expect(derivedMaxModelLen({ architectures: ['Gemma3ForConditionalGeneration'], text_config: { max_position_embeddings: 131072 }, vision_config: {} })).toBe(131072);
  });

  it('applies rope scaling factors, YaRN from the original length; llama3/longrope not', () => {
    expect(derivedMaxModelLen({ max_position_embeddings: 32768, rope_scaling: { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 32768 } })).toBe(131072);
    expect(derivedMaxModelLen({ max_position_embeddings: 4096, rope_scaling: { type: 'linear', factor: 2 } })).toBe(8192);
    expect(derivedMaxModelLen({ max_position_embeddings: 131072, rope_scaling: { rope_type: 'llama3', factor: 8 } })).toBe(131072);
  });

  it('falls back to 2048 with no key, null without a config', () => {
    expect(derivedMaxModelLen({ hidden_size: 64 })).toBe(2048);
    expect(derivedMaxModelLen(null)).toBeNull();
  });
});

describe('remote code, heads, quantization', () => {
  it('lists the modules auto_map names', () => {
    const config = { auto_map: { AutoConfig: 'configuration_internlm2.InternLM2Config', AutoModelForCausalLM: 'modeling_internlm2.InternLM2ForCausalLM', AutoTokenizer: ['tokenization_internlm2.InternLM2Tokenizer', null] } };
    expect(needsRemoteCode(config)).toBe(true);
    expect(remoteCodeModules(config).sort()).toEqual(['configuration_internlm2.py', 'modeling_internlm2.py', 'tokenization_internlm2.py']);
    expect(needsRemoteCode({ architectures: ['LlamaForCausalLM'] })).toBe(false);
  });

  it('reads attention heads, in text_config too', () => {
    expect(attentionHeads({ num_attention_heads: 32 })).toBe(32);
    expect(attentionHeads({ n_head: 12 })).toBe(12);
    expect(attentionHeads({ text_config: { num_attention_heads: 8 } })).toBe(8);
  });

  it('leaves awq/gptq to vLLM (Marlin), passes methods it cannot detect', () => {
    expect(quantizationFlag('awq')).toBeNull();
    expect(quantizationFlag('gptq')).toBeNull();
    expect(quantizationFlag('experts_int8')).toBe('experts_int8');
    expect(quantizationFlag(null)).toBeNull();
  });
});
