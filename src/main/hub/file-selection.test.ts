import { describe, expect, it } from 'vitest';
import { ggufQuantization, indexedShards, selectFiles, weightBytes } from './file-selection';

const f = (path: string, size = 10) => ({ path, size, sha256: path.endsWith('.json') ? null : 'a'.repeat(64), oid: 'b'.repeat(40) });

describe('selectFiles', () => {
  it('takes safetensors + config/tokenizer and skips .bin, .pth and original/', () => {
    const all = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'README.md', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'pytorch_model.bin', 'original/consolidated.pth', 'model.safetensors.index.json'].map((p) => f(p));
    const sel = selectFiles(all);
    expect(sel.format).toBe('safetensors');
    expect(sel.files.map((x) => x.path).sort()).toEqual(['config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json', 'tokenizer.json', 'tokenizer_config.json']);
  });

  it('picks one GGUF quantization: requested, else Q4_K_M, else the smallest', () => {
    const all = [f('m.Q8_0.gguf', 30), f('m.Q4_K_M.gguf', 20), f('m.F16.gguf', 50), f('README.md')];
    expect(selectFiles(all).files.map((x) => x.path)).toEqual(['m.Q4_K_M.gguf']);
    expect(selectFiles(all, { quantization: 'q8_0' }).files.map((x) => x.path)).toEqual(['m.Q8_0.gguf']);
    expect(selectFiles(all).quantizations.sort()).toEqual(['F16', 'Q4_K_M', 'Q8_0']);
    expect(() => selectFiles(all, { quantization: 'Q2_K' })).toThrow(/No Q2_K/);
    expect(selectFiles([f('m.Q8_0.gguf', 30), f('m.Q5_K_S.gguf', 25)]).quantization).toBe('Q5_K_S');
  });

  it('parses quantization names, including split files', () => {
    expect(ggufQuantization('Qwen3-0.6B-Q4_K_M.gguf')).toBe('Q4_K_M');
    expect(ggufQuantization('llama-IQ2_XXS-00001-of-00002.gguf')).toBe('IQ2_XXS');
    expect(ggufQuantization('model.bf16.gguf')).toBe('BF16');
  });

  it('honours an explicit list and refuses unknown files', () => {
    const all = [f('a.json'), f('b.safetensors')];
    expect(selectFiles(all, { files: ['a.json'] }).files).toHaveLength(1);
    expect(() => selectFiles(all, { files: ['nope'] })).toThrow(/Not in the repo/);
  });
});

describe('selectFiles: what vLLM reads', () => {
  it('Mistral-style: the indexed shards, not consolidated.safetensors beside them', () => {
    const all = ['config.json', 'params.json', 'tekken.json', 'consolidated.safetensors', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json'].map((p) => f(p, 100));
    const names = selectFiles(all).files.map((x) => x.path);
    expect(names).not.toContain('consolidated.safetensors');
    expect(names).toEqual(expect.arrayContaining(['params.json', 'tekken.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']));
    // with the index read, exactly what its weight_map names
    const shards = indexedShards({ weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' } });
    expect(selectFiles(all, { indexedShards: shards }).files.filter((x) => x.path.endsWith('.safetensors')).map((x) => x.path)).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    expect(weightBytes(selectFiles(all).files)).toBe(200);
  });

  it('remote code, quantization, processor and sentence-transformers files come along', () => {
    const all = ['config.json', 'configuration_internlm2.py', 'modeling_internlm2.py', 'quantize_config.json', 'hf_quant_config.json', 'preprocessor_config.json', 'processor_config.json', 'chat_template.json', 'modules.json', 'sentence_bert_config.json', '1_Pooling/config.json', 'model.safetensors', 'original/params.json', 'onnx/model.onnx'].map((p) => f(p));
    const names = selectFiles(all).files.map((x) => x.path);
    expect(names.sort()).toEqual(['1_Pooling/config.json', 'chat_template.json', 'config.json', 'configuration_internlm2.py', 'hf_quant_config.json', 'model.safetensors', 'modeling_internlm2.py', 'modules.json', 'preprocessor_config.json', 'processor_config.json', 'quantize_config.json', 'sentence_bert_config.json']);
  });

  it('without safetensors: .bin, else .pt/.pth — one format', () => {
    expect(selectFiles([f('config.json'), f('pytorch_model.bin'), f('model.pt'), f('training_args.bin')]).files.map((x) => x.path)).toEqual(['config.json', 'pytorch_model.bin']);
    expect(selectFiles([f('config.json'), f('model.pth')]).files.map((x) => x.path)).toEqual(['config.json', 'model.pth']);
  });
});
