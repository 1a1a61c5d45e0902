import { describe, expect, it } from 'vitest';
import type { CatalogModel } from '../../../shared/api/catalog';
import { mergeSearch } from './catalog-merge';

const model = (name: string, o: Partial<CatalogModel> = {}): CatalogModel => ({
  provider: 'huggingface',
  model_name: name,
  display_name: name,
  size_gb: 1,
  runtime: 'vllm',
  tags: [],
  downloads: 0,
  likes: 0,
  ...o,
});
const none = { maxSizeGb: '', fits: false, source: '' };

describe('merging live Hub results with local matches', () => {
  it('lists each model once and marks the ones only the Hub knows', () => {
    const rows = mergeSearch([model('a/hub-only', { downloads: 5 }), model('a/both', { downloads: 50 })], [model('a/both', { downloads: 40 }), model('a/local', { downloads: 10 })], none, 'downloads');
    expect(rows.map((r) => [r.model.model_name, r.origin])).toEqual([
      ['a/both', 'local'],
      ['a/local', 'local'],
      ['a/hub-only', 'hub'],
    ]);
  });

  it('keeps the Hub order for trending and last update, local matches after', () => {
    const rows = mergeSearch([model('a/new', { downloads: 1 }), model('a/old', { downloads: 99 })], [model('a/cached', { downloads: 1000 })], none, 'updated');
    expect(rows.map((r) => r.model.model_name)).toEqual(['a/new', 'a/old', 'a/cached']);
  });

  it('applies size, fit and source filters to Hub results as the index does to local ones', () => {
    const hub = [model('a/big', { size_gb: 40 }), model('a/small', { size_gb: 2, fit: { verdict: 'fits' } as CatalogModel['fit'] }), model('a/nofit', { size_gb: 3, fit: { verdict: 'does_not_fit' } as CatalogModel['fit'] })];
    expect(mergeSearch(hub, [], { ...none, maxSizeGb: '5' }, 'likes').map((r) => r.model.model_name)).toEqual(['a/small', 'a/nofit']);
    expect(mergeSearch(hub, [], { ...none, fits: true }, 'likes').map((r) => r.model.model_name)).toEqual(['a/small']);
    expect(mergeSearch(hub, [], { ...none, source: 'ollama' }, 'likes')).toEqual([]);
  });
});
