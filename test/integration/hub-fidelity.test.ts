import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { InstallPlan } from '../../src/shared/api/models';
import { type FakeHub } from '../fixtures/hub/server.mjs';
import { useFakeHub } from '../support/fake-hub';
import { startTestCore, type TestCore } from '../support/core';
import { install, waitForOperation } from '../support/models';
import { tempDir } from '../support/temp';

/**
 * Installs from a Hub that behaves as the real one: LFS files on another host (the CDN refuses a
 * forwarded token), revoked tokens refused everywhere, and repos shaped like the ones users meet.
 */
let hub: FakeHub;
let t: TestCore | undefined;
useFakeHub((started) => (hub = started));
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const start = (env: Record<string, string> = {}) => startTestCore({ env: { HF_ENDPOINT: hub.url, SWITCHYARD_OFFLINE: '0', ...env }, seams: { downloadRetryBaseMs: 20 } });
const snapshot = (tc: TestCore, repo: string) => join(tc.dataDir, 'hf-cache', `models--${repo.replace('/', '--')}`, 'snapshots', hub.repo(repo)!.commit);
const plan = async (tc: TestCore, repo: string) => (await tc.call<{ plan: InstallPlan }>('GET', `/api/v1/models/registry/plan?name=${encodeURIComponent(repo)}&provider=huggingface`)).body.plan;

describe('Hub fidelity', () => {
  it('Mistral-style repo: the indexed shards only, never consolidated.safetensors; the fit counts them once', async () => {
    t = await start();
    const p = await plan(t, 'org/mistral-style');
    const files = p.files.map((f) => f.path);
    expect(files).not.toContain('consolidated.safetensors');
    expect(files).toEqual(expect.arrayContaining(['params.json', 'tekken.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']));
    const op = await waitForOperation(t, await install(t, { name: 'org/mistral-style', provider: 'huggingface' }));
    expect(op.status, op.message).toBe('completed');
    expect(hub.stats.bytesByFile['org/mistral-style/consolidated.safetensors']).toBeUndefined();
    expect(existsSync(join(snapshot(t, 'org/mistral-style'), 'consolidated.safetensors'))).toBe(false);
  });

  it('remote-code repo: the modules auto_map names are installed (vLLM cannot fetch them offline)', async () => {
    t = await start();
    const op = await waitForOperation(t, await install(t, { name: 'org/remote-code', provider: 'huggingface' }));
    expect(op.status, op.message).toBe('completed');
    const snap = snapshot(t, 'org/remote-code');
    for (const f of ['configuration_internlm2.py', 'modeling_internlm2.py', 'tokenization_internlm2.py']) expect(existsSync(join(snap, f)), f).toBe(true);
  });

  it('AWQ and image-text-to-text repos bring quantize_config.json and the processor files', async () => {
    t = await start();
    expect((await plan(t, 'org/awq-model')).files.map((f) => f.path)).toContain('quantize_config.json');
    expect((await plan(t, 'org/vision-model')).files.map((f) => f.path)).toEqual(expect.arrayContaining(['preprocessor_config.json', 'processor_config.json', 'chat_template.json']));
  });

  it('LFS files come from the CDN host, and the token never goes there', async () => {
    t = await start({ HF_TOKEN: 'hf_valid_token' });
    const op = await waitForOperation(t, await install(t, { name: 'org/gated-model', provider: 'huggingface' }));
    expect(op.status, op.message).toBe('completed');
    expect(hub.stats.requests.cdn ?? 0).toBeGreaterThan(0);
    expect(hub.stats.cdnAuthorization).toBe(0);
  });

  it('uses the token `hf auth login` saved ($HF_HOME/token, or $HF_TOKEN_PATH) when neither Settings nor HF_TOKEN has one', async () => {
    const home = tempDir('hf-home-');
    writeFileSync(join(home, 'token'), 'hf_valid_token\n');
    t = await start({ HF_HOME: home });
    const gatedPlan = await t.call<{ plan?: InstallPlan; error?: { code: string } }>('GET', '/api/v1/models/registry/plan?name=org%2Fgated-model&provider=huggingface');
    expect(gatedPlan.status, JSON.stringify(gatedPlan.body)).toBe(200);
    await t.close();
    const tokenPath = join(home, 'elsewhere-token');
    writeFileSync(tokenPath, 'hf_valid_token');
    t = await start({ HF_TOKEN_PATH: tokenPath, HF_HOME: join(home, 'empty') });
    expect((await t.call('GET', '/api/v1/models/registry/plan?name=org%2Fgated-model&provider=huggingface')).status).toBe(200);
  });

  it('a revoked token is reported as an invalid token, not as a gated repo', async () => {
    t = await start({ HF_TOKEN: 'hf_revoked_token' });
    const res = await t.call<{ error: { code: string; message: string } }>('GET', '/api/v1/models/registry/plan?name=org%2Ftiny-model&provider=huggingface');
    expect(res.body.error.code).toBe('hub_token_invalid');
    expect(res.body.error.message).toMatch(/invalid/i);
    expect(res.body.error.message).not.toMatch(/gated/);
    const cache = join(t.dataDir, 'hf-cache');
    expect(existsSync(cache) ? readdirSync(cache).filter((d) => d.startsWith('models--')) : []).toEqual([]);
  });
});
