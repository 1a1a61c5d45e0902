import { describe, expect, it } from 'vitest';
import { HF_NAME_RULE } from '../drivers/hf-vllm/hf-vllm-driver';
import { OLLAMA_NAME_RULE } from '../drivers/ollama/ollama-driver';
import { quotaRefusal, validateModelName } from './guards';

describe('validateModelName', () => {
  it.each(['Qwen/Qwen3-0.6B', 'org/tiny-model', 'google/gemma-2b-it'])('accepts HF name %s', (n) => expect(() => validateModelName(n, HF_NAME_RULE)).not.toThrow());
  it.each(['tinyllama', 'qwen2.5:0.5b', 'library/llama3:8b', 'user/model:latest', 'm:latest', 'x:7b'])('accepts Ollama name %s', (n) => expect(() => validateModelName(n, OLLAMA_NAME_RULE)).not.toThrow());
  it.each(['../etc/passwd', 'org/../x', '/abs/path', 'a b', 'org//x', 'x;rm', 'org/name/extra', '', 'C:/x', 'c:\\x'])('refuses %s', (n) => {
    expect(() => validateModelName(n, HF_NAME_RULE)).toThrow(expect.objectContaining({ code: 'invalid_name' }));
  });
  it('refuses an Ollama name with too many segments, and keeps the generic rules without a driver rule', () => {
    expect(() => validateModelName('a/b/c/d', OLLAMA_NAME_RULE)).toThrow(/namespace\/model/);
    expect(() => validateModelName('org/../x', null)).toThrow(/not a valid/);
    expect(() => validateModelName('org/name/extra', null)).not.toThrow();
  });
  it('refuses traversal for Ollama too', () => expect(() => validateModelName('..:latest', OLLAMA_NAME_RULE)).toThrow(/not a valid/));
});

describe('quotaRefusal', () => {
  const disk = { path: '/x', total_bytes: 1000, free_bytes: 500 };
  it('passes when there is room', () => expect(quotaRefusal({ disk, needed: 100, used: 0, minFreePercent: 10, maxStorageBytes: null })).toBeNull());
  it('refuses under the minimum free percentage', () => expect(quotaRefusal({ disk, needed: 450, used: 0, minFreePercent: 10, maxStorageBytes: null })?.code).toBe('quota_exceeded'));
  it('refuses over the cap', () => expect(quotaRefusal({ disk, needed: 100, used: 950, minFreePercent: 0, maxStorageBytes: 1000 })?.code).toBe('quota_exceeded'));
  it('refuses when the disk is too small', () => expect(quotaRefusal({ disk, needed: 600, used: 0, minFreePercent: 0, maxStorageBytes: null })?.code).toBe('insufficient_disk'));
});
