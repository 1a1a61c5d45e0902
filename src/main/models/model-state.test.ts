import { describe, expect, it } from 'vitest';
import { servingState } from './model-state';

describe('servingState (the one rule for active / serving)', () => {
  it('active while its runtime starts it, serving once the runtime answers', () => {
    expect(servingState({ name: 'org/m' }, { state: 'starting', model: 'org/m' })).toEqual({ active: true, serving: false });
    expect(servingState({ name: 'org/m' }, { state: 'ready', model: 'org/m' })).toEqual({ active: true, serving: true });
    expect(servingState({ name: 'qwen2.5:0.5b' }, { state: 'external', model: 'qwen2.5:0.5b' })).toEqual({ active: true, serving: true });
  });

  it('neither for another model, a stopped or crashed runtime; Ollama names compare canonically', () => {
    expect(servingState({ name: 'org/m' }, { state: 'ready', model: 'org/other' })).toEqual({ active: false, serving: false });
    expect(servingState({ name: 'org/m' }, { state: 'crashed', model: 'org/m' })).toEqual({ active: false, serving: false });
    expect(servingState({ name: 'llama3.2' }, { state: 'ready', model: 'llama3.2:latest' })).toEqual({ active: true, serving: true });
  });
});
