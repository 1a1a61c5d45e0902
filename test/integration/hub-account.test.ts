import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeHub, type FakeHub } from '../fixtures/hub/server.mjs';
import { startTestCore, type TestCore } from '../support/core';

let t: TestCore | null = null;
let hub: FakeHub | null = null;
afterEach(async () => {
  await t?.close();
  await hub?.close();
  t = null;
  hub = null;
});

interface Check {
  valid: boolean;
  user: string | null;
  message: string;
  token: { masked: string | null; source: string | null };
}

describe('Hugging Face token check (Settings → Hub)', () => {
  it('says where the token comes from and whether the Hub accepts it, never showing it', async () => {
    hub = await startFakeHub();
    t = await startTestCore({ env: { HF_ENDPOINT: hub.url, SWITCHYARD_OFFLINE: '0' } });

    const none = await t.call<Check>('POST', '/api/v1/settings/hub/check');
    expect(none.body).toMatchObject({ valid: false, token: { masked: null, source: null } });
    expect(hub.stats.requests.whoami ?? 0).toBe(0);

    await t.call('PATCH', '/api/v1/settings', { hub: { token: 'hf_wrong_token_0000' } });
    const refused = await t.call<Check>('POST', '/api/v1/settings/hub/check');
    expect(refused.body).toMatchObject({ valid: false, user: null, token: { masked: '…0000', source: 'settings' } });
    expect(refused.body.message).toContain('refused');

    await t.call('PATCH', '/api/v1/settings', { hub: { token: 'hf_valid_token' } });
    const ok = await t.call<Check>('POST', '/api/v1/settings/hub/check');
    expect(ok.body).toMatchObject({ valid: true, user: 'switchyard-tester', token: { source: 'settings' } });
    expect(JSON.stringify(ok.body)).not.toContain('hf_valid_token');
    expect(hub.stats.requests.whoami).toBe(2);
  });

  it('reports HF_TOKEN from the environment as the source', async () => {
    hub = await startFakeHub();
    t = await startTestCore({ env: { HF_ENDPOINT: hub.url, HF_TOKEN: 'hf_valid_token', SWITCHYARD_OFFLINE: '0' } });
    const info = await t.call<{ token: { source: string } }>('GET', '/api/v1/settings/hub/token');
    expect(info.body.token.source).toBe('env');
    expect((await t.call<Check>('POST', '/api/v1/settings/hub/check')).body.valid).toBe(true);
  });

  it('names the file `hf auth login` wrote as the source of the token it holds', async () => {
    hub = await startFakeHub();
    t = await startTestCore({ env: { HF_ENDPOINT: hub.url, SWITCHYARD_OFFLINE: '0' } });
    const hfHome = join(t.dataDir, '.cache', 'huggingface');
    mkdirSync(hfHome, { recursive: true });
    writeFileSync(join(hfHome, 'token'), 'hf_valid_token\n', { mode: 0o600 });
    const info = await t.call<{ token: { source: string; masked: string } }>('GET', '/api/v1/settings/hub/token');
    expect(info.body.token).toMatchObject({ source: 'file', masked: '…oken' });
    expect((await t.call<Check>('POST', '/api/v1/settings/hub/check')).body.valid).toBe(true);
    // a token typed into Settings wins over the file
    await t.call('PATCH', '/api/v1/settings', { hub: { token: 'hf_other_token_9999' } });
    expect((await t.call<{ token: { source: string } }>('GET', '/api/v1/settings/hub/token')).body.token.source).toBe('settings');
  });

  it('in offline mode the check makes no call and says why', async () => {
    hub = await startFakeHub();
    t = await startTestCore({ env: { HF_ENDPOINT: hub.url, HF_TOKEN: 'hf_valid_token', SWITCHYARD_OFFLINE: '1' } });
    const res = await t.call<{ error: { code: string } }>('POST', '/api/v1/settings/hub/check');
    expect(res.body.error.code).toBe('offline');
    expect(hub.stats.requests.whoami ?? 0).toBe(0);
  });

  it('answers offline with what to do when the Hub does not answer', async () => {
    hub = await startFakeHub({ knobs: { down: true } });
    t = await startTestCore({ env: { HF_ENDPOINT: hub.url, HF_TOKEN: 'hf_valid_token', SWITCHYARD_OFFLINE: '0' } });
    const res = await t.call<{ error: { code: string; message: string } }>('POST', '/api/v1/settings/hub/check');
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.body.error.code).toBe('offline');
    expect(res.body.error.message).toContain('Cannot reach the Hugging Face Hub');
  });
});
