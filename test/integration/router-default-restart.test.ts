// A stored remote default whose provider cannot serve after a restart of Switchyard (disabled, removed,
// changed since its validation) is not the default: the router and `llm-runtime/active` agree on the
// chat slot (or none), `saved_default` says why, and the choice comes back once the provider can serve.
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SavedDefault } from '../../src/shared/api/runtimes';
import type { AppEvent } from '../../src/shared/events';
import { killGroup } from '../../src/main/runtimes/process-group';
import { startRemoteEmulator, type RemoteEmulator } from '../fixtures/remote/server.mjs';
import { emulatorEnv, startTestCore, type TestCore } from '../support/core';
import { tempDir } from '../support/temp';
import { killCoreAfterActivating } from '../support/killed-core';

const TINY = 'org/tiny-model';
let openai: RemoteEmulator;
let t: TestCore | null = null;
let base = '';
const leftovers: number[] = [];

beforeAll(async () => {
  openai = await startRemoteEmulator({ dialect: 'openai' });
});
afterAll(async () => {
  await openai.close();
});
afterEach(async () => {
  await t?.close();
  t = null;
  openai.reset();
  for (const pgid of leftovers.splice(0)) killGroup(pgid, 'SIGKILL');
});

async function newDataDir(): Promise<{ dataDir: string; env: Record<string, string> }> {
  const dataDir = tempDir('switchyard-default-');
  return { dataDir, env: { ...(await emulatorEnv(dataDir)), SWITCHYARD_OFFLINE: '0', EMU_START_DELAY_MS: '50' } };
}

async function start(dataDir: string, env: Record<string, string>, hfModels: string[] = []): Promise<TestCore> {
  t = await startTestCore({ dataDir, env, hfModels, seams: { remote: { timeoutMs: 3_000 } } });
  await t.call('PATCH', '/api/v1/settings', { router: { healthIntervalSeconds: 0 } });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  return t;
}

async function addProvider(): Promise<void> {
  expect((await t!.call('POST', '/api/v1/remote-providers', { id: 'oa', kind: 'openai', base_url: openai.baseUrl, api_key: openai.keys[0] })).status).toBe(201);
  await validate();
}

async function validate(): Promise<void> {
  const v = await t!.call<{ validation: { ok: boolean; message: string } }>('POST', '/api/v1/remote-providers/oa/validate', {});
  expect(v.body.validation.ok, v.body.validation.message).toBe(true);
}

async function chat(): Promise<{ status: number; provider: string | null; model: string | null }> {
  const res = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${t!.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }),
  });
  const body = (await res.json()) as { model?: string };
  return { status: res.status, provider: res.headers.get('x-switchyard-provider'), model: body.model ?? null };
}

type ActiveEndpoint = { kind: string | null; provider: string | null; runtime: string | null; model: string | null; saved_default: SavedDefault | null };
const routerDefault = async () => (await t!.call<{ default: string | null }>('GET', '/api/v1/router/routes')).body.default;
const defaultEndpoint = async () => (await t!.call<ActiveEndpoint>('GET', '/api/v1/system/llm-runtime/active')).body;
const upstreamChats = () => openai.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/chat/completions')).length;
const savedIs = (in_effect: boolean, reason: SavedDefault['reason']) => ({ provider: 'oa', model: 'gpt-4o', in_effect, reason });

describe('a stored remote default its provider cannot serve', () => {
  it('disabled while Switchyard was down (killed, vLLM left serving): the chat slot is the default for both; enabled again, it is back', async () => {
    const { dataDir, env } = await newDataDir();
    await start(dataDir, env, [TINY]);
    await addProvider();
    expect((await t!.call('POST', '/api/v1/system/llm-runtime/active', { provider: 'oa', model: 'gpt-4o' })).status).toBe(200);
    expect((await t!.call('PATCH', '/api/v1/remote-providers/oa', { enabled: false })).status).toBe(200);
    await t!.close();
    t = null;
    // a core that serves the local model in the chat slot, killed as a crash would: vLLM keeps running
    leftovers.push(await killCoreAfterActivating(dataDir, 'vllm', TINY, env));

    await start(dataDir, env);
    const activations: Extract<AppEvent, { type: 'model.activation' }>[] = [];
    t!.core.events.on((e) => e.type === 'model.activation' && activations.push(e), ['model.activation']);
    expect(t!.core.runtimes.info('vllm')).toMatchObject({ state: 'ready', active: true, model: TINY });
    expect(await routerDefault()).toBe(TINY);
    expect(await defaultEndpoint()).toMatchObject({ kind: 'local', runtime: 'vllm', model: TINY, saved_default: { ...savedIs(false, 'model_disabled'), message: expect.stringMatching(/enable it/) } });
    expect(await chat()).toMatchObject({ status: 200, provider: null, model: TINY });
    expect(upstreamChats()).toBe(0);
    // the choice is kept: enabled again, the remote model is the default for both once more
    expect(t!.core.state.readState('router.default')).toEqual({ provider: 'oa', model: 'gpt-4o' });
    expect((await t!.call('PATCH', '/api/v1/remote-providers/oa', { enabled: true })).status).toBe(200);
    expect(await routerDefault()).toBe('oa/gpt-4o');
    expect(await defaultEndpoint()).toMatchObject({ kind: 'remote', provider: 'oa', model: 'gpt-4o', saved_default: { ...savedIs(true, null), message: null } });
    expect(await chat()).toMatchObject({ status: 200, provider: 'oa', model: 'gpt-4o' });
    expect(upstreamChats()).toBe(1);

    // changed since its validation: the same, until it is validated again
    expect((await t!.call('PATCH', '/api/v1/remote-providers/oa', { headers: { 'x-team': 'a' } })).status).toBe(200);
    expect(await routerDefault()).toBe(TINY);
    expect(await defaultEndpoint()).toMatchObject({ kind: 'local', model: TINY, saved_default: savedIs(false, 'validation_stale') });
    expect(await chat()).toMatchObject({ status: 200, provider: null, model: TINY });
    await validate();
    expect(await routerDefault()).toBe('oa/gpt-4o');
    expect(await defaultEndpoint()).toMatchObject({ kind: 'remote', saved_default: savedIs(true, null) });
    // each change said so: served again, put aside, served again (the chat slot's model untouched)
    expect(activations.map((e) => [e.model, e.slot, e.phase])).toEqual([
      ['gpt-4o', null, 'serving'],
      ['gpt-4o', null, 'deactivated'],
      ['gpt-4o', null, 'serving'],
    ]);
    expect(t!.core.runtimes.info('vllm')).toMatchObject({ state: 'ready', model: TINY });
  });

  it('removed while Switchyard was down: nothing is the default and the reason says so; added and validated again, it is back', async () => {
    const { dataDir, env } = await newDataDir();
    await start(dataDir, env);
    await addProvider();
    expect((await t!.call('POST', '/api/v1/system/llm-runtime/active', { provider: 'oa', model: 'gpt-4o' })).status).toBe(200);
    await t!.call('PATCH', '/api/v1/remote-providers/oa', { enabled: false });
    expect((await t!.call('DELETE', '/api/v1/remote-providers/oa')).status).toBe(200);
    await t!.close();
    t = null;

    await start(dataDir, env);
    expect(await routerDefault()).toBeNull();
    expect(await defaultEndpoint()).toMatchObject({ kind: null, model: null, saved_default: savedIs(false, 'provider_not_found') });
    expect((await chat()).status).toBe(503);
    await addProvider();
    expect(await routerDefault()).toBe('oa/gpt-4o');
    expect(await defaultEndpoint()).toMatchObject({ kind: 'remote', provider: 'oa', model: 'gpt-4o', saved_default: savedIs(true, null) });
    expect(await chat()).toMatchObject({ status: 200, provider: 'oa' });
    // "Off" forgets it for good
    await t!.core.activation.stops.stopAll();
    expect((await defaultEndpoint()).saved_default).toBeNull();
    expect(t!.core.state.readState('router.default')).toBeNull();
  });
});
