import { describe, expect, it } from 'vitest';
import { RuntimeFlags } from '../api/models';
import { Settings } from '../settings';
import { flagArgs, flagLines, flagsFromArgs, flagsFromSettings } from './index';

describe('the vLLM flag table', () => {
  it('gives Settings and the API one rule per flag, as vLLM has it', () => {
    const both = (setting: Record<string, unknown>, api: Record<string, unknown>) => [Settings.safeParse({ vllm: setting }).success, RuntimeFlags.safeParse(api).success];
    expect(both({ dtype: 'fp16' }, { dtype: 'fp16' })).toEqual([false, false]); // not one of vLLM's choices
    expect(both({ dtype: 'bfloat16' }, { dtype: 'bfloat16' })).toEqual([true, true]);
    expect(both({ maxModelLen: 8 }, { max_model_len: 8 })).toEqual([true, true]); // vLLM takes any positive length
    expect(both({ maxModelLen: 0 }, { max_model_len: 0 })).toEqual([false, false]);
    expect(both({ gpuMemoryUtilization: 1.01 }, { gpu_memory_utilization: 1.01 })).toEqual([false, false]);
    expect(both({ quantization: 'awq marlin' }, { quantization: 'awq marlin' })).toEqual([false, false]);
    expect(both({ tensorParallelSize: 0 }, { tensor_parallel_size: 0 })).toEqual([false, false]);
    expect(both({ tensorParallelSize: 1.5 }, { tensor_parallel_size: 1.5 })).toEqual([false, false]);
  });

  it('keeps remote code per model: it is no setting', () => {
    expect(Settings.parse({ vllm: { trustRemoteCode: true } }).vllm).not.toHaveProperty('trustRemoteCode');
    expect(flagsFromSettings({ trustRemoteCode: true, maxModelLen: 4096, dtype: null })).toEqual({ max_model_len: 4096 });
  });

  it('writes arguments in table order, a true switch bare, a false or empty one not at all', () => {
    const flags = { trust_remote_code: true, max_model_len: 4096, dtype: null, gpu_memory_utilization: 0.85 } as const;
    expect(flagArgs(flags)).toEqual(['--gpu-memory-utilization', '0.85', '--max-model-len', '4096', '--trust-remote-code']);
    expect(flagLines({ ...flags, trust_remote_code: false })).toEqual(['--gpu-memory-utilization 0.85', '--max-model-len 4096']);
  });

  it('reads flags back from a command line: both spellings, the last one wins, unreadable values left out', () => {
    const args = ['serve', 'org/m', '--max-model-len=2048', '--dtype', 'half', '--max-model-len', '4096', '--tensor-parallel-size', '1k', '--quantization', '--enforce-eager', '--trust-remote-code'];
    expect(flagsFromArgs(args)).toEqual({ max_model_len: 4096, dtype: 'half', trust_remote_code: true });
    expect(flagsFromArgs(flagArgs({ gpu_memory_utilization: 0.5, quantization: 'fp8' }))).toEqual({ gpu_memory_utilization: 0.5, quantization: 'fp8' });
  });
});
