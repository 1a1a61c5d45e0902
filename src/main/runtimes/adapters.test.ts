import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/temp';
import { Settings } from '../../shared/settings';
import { vllmAdapter, vllmApiKey } from './adapters';

const commit = 'c'.repeat(40);
function cacheWith(repo: string): string {
  const cache = tempDir('adapters-');
  const snap = join(cache, `models--${repo.replace('/', '--')}`, 'snapshots', commit);
  mkdirSync(snap, { recursive: true });
  writeFileSync(join(snap, 'config.json'), '{}');
  return cache; // no refs/main: installed at a pinned commit
}

describe('vllmAdapter.launch', () => {
  const settings = Settings.parse({});

  it('serves the installed commit offline, with --trust-remote-code only when allowed', () => {
    const cache = cacheWith('org/m');
    const { args, env } = vllmAdapter.launch({ settings, model: 'org/m', env: { HF_TOKEN: 'hf_user' }, hfHubCache: cache, overrides: { revision: commit, trust_remote_code: true } });
    expect(args.join(' ')).toContain(`--revision ${commit} --tokenizer-revision ${commit} --code-revision ${commit}`);
    expect(args).toContain('--trust-remote-code');
    expect(env.HF_HUB_OFFLINE).toBe('1'); // the pinned snapshot is complete, though refs/main is absent
    expect(env.HF_TOKEN).toBeUndefined(); // nothing to fetch, no token
    const plain = vllmAdapter.launch({ settings, model: 'org/m', env: {}, hfHubCache: cache, overrides: { revision: commit } });
    expect(plain.args).not.toContain('--trust-remote-code');
    expect(plain.args).not.toContain('--code-revision');
  });

  it('gives vLLM the token Switchyard uses when it has files to fetch', () => {
    const cache = tempDir('adapters-empty-');
    const { env } = vllmAdapter.launch({ settings, model: 'org/absent', env: { HF_TOKEN: 'hf_user' }, hfHubCache: cache });
    expect(env.HF_HUB_OFFLINE).toBeUndefined();
    expect(env.HF_TOKEN).toBe('hf_user');
  });

  it('reads back the flags of an adopted process, trust-remote-code and revision included', () => {
    expect(vllmAdapter.flagsOf!(['serve', 'org/m', '--max-model-len', '1024', '--revision', commit, '--trust-remote-code'])).toEqual({ max_model_len: 1024, revision: commit, trust_remote_code: true });
  });
});

describe('vllmApiKey', () => {
  it('--api-key wins over VLLM_API_KEY, as in vLLM', () => {
    expect(vllmApiKey(['serve', 'm', '--api-key', 'a'], { VLLM_API_KEY: 'b' })).toBe('a');
    expect(vllmApiKey(['serve', 'm', '--api-key=a'], {})).toBe('a');
    expect(vllmApiKey(['serve', 'm'], { VLLM_API_KEY: 'b' })).toBe('b');
    expect(vllmApiKey(['serve', 'm'], {})).toBeNull();
  });
});
