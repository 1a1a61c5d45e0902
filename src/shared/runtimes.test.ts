import { describe, expect, it } from 'vitest';
import { RuntimeState } from './api/runtimes';
import { isUp, runtimeLabel } from './runtimes';

describe('runtime facts', () => {
  it('names runtimes as people write them, an unknown one as it is called', () => {
    expect([runtimeLabel('vllm'), runtimeLabel('ollama'), runtimeLabel('kserve')]).toEqual(['vLLM', 'Ollama', 'kserve']);
  });

  it('is up when it answers: ready, or running outside Switchyard', () => {
    expect(RuntimeState.options.filter(isUp)).toEqual(['ready', 'external']);
  });
});
