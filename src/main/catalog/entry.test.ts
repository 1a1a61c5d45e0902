import { describe, expect, it } from 'vitest';
import { type CatalogEntry, fromRow, toRow } from './entry';

const entry: CatalogEntry = {
  model: { provider: 'huggingface', model_name: 'org/m-8b', display_name: 'm-8b', size_gb: 16.1, runtime: 'vllm', tags: ['text-generation'], downloads: 5, likes: 1, parameters_b: 8, description: null, vllm_supported: true },
  shape: { runtime: 'vllm', parametersB: 8, weightsBytes: 16e9, dtype: 'BF16', layers: 32, kvHeads: 8, headDim: 128, maxContext: 131072, quantization: null, attentionHeads: 32 },
};

describe('the catalog entry: one row schema, stored and read back', () => {
  it('an entry survives the index columns unchanged, every shape field included', () => {
    const row = toRow(entry, 'remote', '2026-12-05T00:00:00.000Z');
    expect(row).toMatchObject({ vllm_supported: 1, origin: 'remote', facets: expect.stringContaining('srchuggingface rtvllm') });
    expect(row.min_vram_gib).toBeGreaterThan(16e9 / 1024 ** 3);
    expect(fromRow(row)).toEqual(entry);
  });

  it('a stored shape that is not one falls back to what the columns know', () => {
    const row = { ...toRow(entry, 'bundled', '2026-12-05T00:00:00.000Z'), shape: '{not json' };
    expect(fromRow(row).shape).toMatchObject({ runtime: 'vllm', parametersB: 8, layers: null });
  });
});
