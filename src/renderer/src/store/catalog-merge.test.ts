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
  fit: null,
  runnable: false,
  ...o,
});

describe('merging live Hub results with local matches', () => {
  it('lists each model once and marks the ones only the Hub knows', () => {
    const rows = mergeSearch([model('a/hub-only', { downloads: 5 }), model('a/both', { downloads: 50 })], [model('a/both', { downloads: 40 }), model('a/local', { downloads: 10 })], 'downloads');
    expect(rows.map((r) => [r.model.model_name, r.origin])).toEqual([
      ['a/both', 'local'],
      ['a/local', 'local'],
      ['a/hub-only', 'hub'],
    ]);
  });

  it('keeps the Hub order for trending and last update, local matches after', () => {
    const rows = mergeSearch([model('a/new', { downloads: 1 }), model('a/old', { downloads: 99 })], [model('a/cached', { downloads: 1000 })], 'updated');
    expect(rows.map((r) => r.model.model_name)).toEqual(['a/new', 'a/old', 'a/cached']);
  });

  it('keeps every row the server sent: it filtered them already, by its own runnable verdict', () => {
    const hub = [model('a/needs-2-gpus', { fit: { verdict: 'needs_gpus', gpus_needed: 2 } as CatalogModel['fit'], runnable: true })];
    expect(mergeSearch(hub, [], 'likes').map((r) => [r.model.model_name, r.model.runnable])).toEqual([['a/needs-2-gpus', true]]);
  });
});
