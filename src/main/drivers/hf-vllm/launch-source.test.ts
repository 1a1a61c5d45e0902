import { describe, expect, it } from 'vitest';
import { Settings } from '../../../shared/settings';
import { vllmAdapter } from '../../runtimes/adapters';
import type { ModelRecord } from '../../models/models-repo';
import { launchSource } from './hf-vllm-driver';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const model = (m: Partial<ModelRecord>) => ({ name: 'org/m', provider: 'huggingface', runtime: 'vllm', source: 'installed', local_path: null, commit_sha: A, pinned_revision: null, ...m }) as ModelRecord;

describe('what vLLM is launched with', () => {
  it('the pinned commit over the installed one; an imported folder by its path, with no revision', () => {
    expect(launchSource(model({}))).toEqual({ revision: A, path: null });
    expect(launchSource(model({ pinned_revision: B }))).toEqual({ revision: B, path: null });
    expect(launchSource(model({ name: 'local/x', source: 'local', local_path: '/models/x', commit_sha: null }))).toEqual({ revision: null, path: '/models/x' });
  });

  it('a folder is served from its path under the model name, offline, and read back from the command line as such', () => {
    const { args, env } = vllmAdapter.launch({ settings: Settings.parse({}), model: 'local/x', env: {}, hfHubCache: '/nonexistent', overrides: { revision: null, path: '/models/x' } });
    expect(args.slice(0, 2)).toEqual(['serve', '/models/x']);
    expect(args[args.indexOf('--served-model-name') + 1]).toBe('local/x');
    expect(args).not.toContain('--revision');
    expect(env.HF_HUB_OFFLINE).toBe('1');
    expect(vllmAdapter.flagsOf!(args).path).toBe('/models/x');
    const hub = vllmAdapter.launch({ settings: Settings.parse({}), model: 'org/m', env: {}, hfHubCache: '/nonexistent', overrides: { revision: B } }).args;
    expect(vllmAdapter.flagsOf!(hub)).toMatchObject({ revision: B });
    expect(vllmAdapter.flagsOf!(hub).path).toBeUndefined();
  });
});
