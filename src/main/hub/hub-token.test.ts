import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hubTokenPath, resolveHubToken } from './hub-token';
import { isInvalidTokenAnswer } from './hub-client';
import { tempDir } from '../../../test/support/temp';

describe('resolveHubToken', () => {
  const home = tempDir('hf-home-');
  writeFileSync(join(home, 'token'), 'hf_from_login\n');

  it('Settings, else HF_TOKEN, else the file hf auth login wrote', () => {
    expect(resolveHubToken('hf_settings', { HF_TOKEN: 'hf_env', HF_HOME: home })).toEqual({ token: 'hf_settings', source: 'settings' });
    expect(resolveHubToken(null, { HF_TOKEN: 'hf_env', HF_HOME: home })).toEqual({ token: 'hf_env', source: 'HF_TOKEN' });
    expect(resolveHubToken(null, { HF_HOME: home })).toEqual({ token: 'hf_from_login', source: 'token_file', path: join(home, 'token') });
    expect(resolveHubToken(null, { HF_HOME: join(home, 'nope') })).toBeNull();
  });

  it('finds the file where huggingface_hub puts it', () => {
    expect(hubTokenPath({ HF_TOKEN_PATH: '/x/tok', HF_HOME: '/h' })).toBe('/x/tok');
    expect(hubTokenPath({ HF_HOME: '/h' })).toBe('/h/token');
    expect(hubTokenPath({ XDG_CACHE_HOME: '/c', HOME: '/u' })).toBe('/c/huggingface/token');
    expect(hubTokenPath({ HOME: '/u' })).toBe('/u/.cache/huggingface/token');
    // Settings › Hub › home wins over HF_HOME, as it does for the cache
    expect(hubTokenPath({ HF_HOME: '/h' }, '/settings-home')).toBe('/settings-home/token');
  });

  it('tells a revoked token from a gated repo', () => {
    expect(isInvalidTokenAnswer(401, null, 'Invalid credentials in Authorization header')).toBe(true);
    expect(isInvalidTokenAnswer(401, 'GatedRepo', 'Access to model x is restricted')).toBe(false);
    expect(isInvalidTokenAnswer(403, null, 'Invalid credentials in Authorization header')).toBe(false);
  });
});
