// The default route is its own choice, apart from the local chat slot: `llm-runtime/active {provider,
// model}` sets it (stored: a restart keeps it), activating a local chat model never takes a remote
// default away, and neither takes the other off /v1. Both orders, through the real proxy on a port.
import { rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Route } from '../../src/shared/api/router';
import type { AppEvent } from '../../src/shared/events';
import { startRemoteEmulator, type RemoteEmulator } from '../fixtures/remote/server.mjs';
import { startTestCore, type TestCore } from '../support/core';

const TINY = 'org/tiny-model';
let openai: RemoteEmulator;
let t: TestCore | null = null;
let base = '';
let activations: Extract<AppEvent, { type: 'model.activation' }>[] = [];
const dirs: string[] = [];

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
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function start(dataDir?: string): Promise<TestCore> {
  t = await startTestCore({ hfModels: dataDir ? [] : [TINY], dataDir, env: { SWITCHYARD_OFFLINE: '0', EMU_START_DELAY_MS: '50' }, seams: { remote: { timeoutMs: 3_000 } } });
  await t.call('PATCH', '/api/v1/settings', { router: { healthIntervalSeconds: 0 } });
  activations = [];
  t.core.events.on((e) => e.type === 'model.activation' && activations.push(e), ['model.activation']);
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  return t;
}

async function addProvider(): Promise<void> {
  expect((await t!.call('POST', '/api/v1/remote-providers', { id: 'oa', kind: 'openai', base_url: openai.baseUrl, api_key: openai.keys[0] })).status).toBe(201);
  const v = await t!.call<{ validation: { ok: boolean; message: string } }>('POST', '/api/v1/remote-providers/oa/validate', {});
  expect(v.body.validation.ok, v.body.validation.message).toBe(true);
}

/** A chat completion through /v1: which provider answered (null: a local runtime), and what model the answer names. */
async function chat(model?: string): Promise<{ status: number; provider: string | null; model: string | null }> {
  const res = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${t!.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ...(model ? { model } : {}), messages: [{ role: 'user', content: 'hi' }] }),
  });
  const body = (await res.json()) as { model?: string };
  return { status: res.status, provider: res.headers.get('x-switchyard-provider'), model: body.model ?? null };
}

const routes = async () => (await t!.call<{ routes: Route[]; default: string | null }>('GET', '/api/v1/router/routes')).body;
const defaultEndpoint = async () => (await t!.call<{ kind: string | null; provider: string | null; model: string | null }>('GET', '/api/v1/system/llm-runtime/active')).body;
const modelIds = async () => ((await (await fetch(`${base}/v1/models`, { headers: { authorization: `Bearer ${t!.token}` } })).json()) as { data: { id: string }[] }).data.map((m) => m.id);
const upstreamChats = () => openai.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/chat/completions')).length;

describe('the default route', () => {
  it('remote default first, then a local chat model: the remote stays the default, the local model answers by name', async () => {
    await start();
    await addProvider();
    expect((await t!.call('POST', '/api/v1/system/llm-runtime/active', { provider: 'oa', model: 'gpt-4o-mini' })).status).toBe(200);
    expect((await t!.call('POST', '/api/v1/models/activate', { name: TINY })).status).toBe(200);

    expect((await routes()).default).toBe('oa/gpt-4o-mini');
    expect(await defaultEndpoint()).toMatchObject({ kind: 'remote', provider: 'oa', model: 'gpt-4o-mini' });
    // Chat's initial choice: the default first in /v1/models; the chat slot is listed too
    const ids = await modelIds();
    expect(ids[0]).toBe('oa/gpt-4o-mini');
    expect(ids).toContain(TINY);
    // requests without a model reach the remote default; the local model's name reaches vLLM
    expect(await chat()).toMatchObject({ status: 200, provider: 'oa' });
    expect(upstreamChats()).toBe(1);
    expect(await chat(TINY)).toMatchObject({ status: 200, provider: null, model: TINY });
    expect(upstreamChats()).toBe(1);
    expect(t!.core.runtimes.info('vllm')).toMatchObject({ state: 'ready', active: true, model: TINY });

    // nothing was taken off: no `deactivated`; each event says which slot (none for the remote default)
    expect(activations.filter((e) => e.phase === 'deactivated')).toEqual([]);
    expect(activations.filter((e) => e.phase === 'serving').map((e) => [e.model, e.slot])).toEqual([
      ['gpt-4o-mini', null],
      [TINY, 'chat'],
    ]);
  });

  it('local chat model first, then a remote default; llm-runtime/active with the local model makes the chat slot the default again', async () => {
    await start();
    await addProvider();
    expect((await t!.call('POST', '/api/v1/models/activate', { name: TINY })).status).toBe(200);
    // no remote default: the chat slot is the default
    expect((await routes()).default).toBe(TINY);
    expect(await chat()).toMatchObject({ status: 200, provider: null, model: TINY });

    expect((await t!.call('POST', '/api/v1/system/llm-runtime/active', { provider: 'oa', model: 'gpt-4o-mini' })).status).toBe(200);
    expect((await routes()).default).toBe('oa/gpt-4o-mini');
    expect(await chat()).toMatchObject({ status: 200, provider: 'oa' });
    expect(await chat(TINY)).toMatchObject({ status: 200, provider: null, model: TINY });
    expect(activations.filter((e) => e.phase === 'deactivated')).toEqual([]);
    // the tray and `llm-servers/active` show the default
    expect((await t!.call('GET', '/api/v1/system/llm-servers/active')).body).toMatchObject({ active_server: 'remote', active_model: 'gpt-4o-mini' });

    // the local model named by provider: the chat slot is the default again, the remote route stays
    const back = await t!.call('POST', '/api/v1/system/llm-runtime/active', { provider: 'huggingface', model: TINY });
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    expect((await routes()).default).toBe(TINY);
    expect(await defaultEndpoint()).toMatchObject({ kind: 'local', runtime: 'vllm', model: TINY });
    expect(await chat()).toMatchObject({ status: 200, provider: null, model: TINY });
    expect(await chat('oa/gpt-4o-mini')).toMatchObject({ status: 200, provider: 'oa' });
    expect(activations.filter((e) => e.phase === 'deactivated').map((e) => [e.model, e.slot])).toEqual([['gpt-4o-mini', null]]);
  });

  it('is stored: a new core over the same data dir has the same remote default; the tray Off forgets it', async () => {
    await start();
    const dataDir = t!.dataDir;
    dirs.push(dataDir);
    await addProvider();
    expect((await t!.call('POST', '/api/v1/system/llm-runtime/active', { provider: 'oa', model: 'gpt-4o' })).status).toBe(200);
    await t!.core.stop();
    await t!.app.close();
    t = null;

    await start(dataDir);
    expect((await routes()).default).toBe('oa/gpt-4o');
    expect(await defaultEndpoint()).toMatchObject({ kind: 'remote', provider: 'oa', model: 'gpt-4o' });
    expect(await chat()).toMatchObject({ status: 200, provider: 'oa', model: 'gpt-4o' });

    await t!.core.activation.stops.stopAll();
    expect((await routes()).default).toBeNull();
    expect(t!.core.state.readState('router.default')).toBeNull();
    expect(await chat('oa/gpt-4o')).toMatchObject({ status: 200, provider: 'oa' });
  });
});
