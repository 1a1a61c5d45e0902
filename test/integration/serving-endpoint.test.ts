import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppEvent } from '../../src/shared/events';
import { FakeRemoteDriver, startFakeUpstream } from '../support/fake-endpoint';
import { startTestCore, type TestCore } from '../support/core';
import { waitFor } from '../support/wait';

let t: TestCore | undefined;
let upstream: Awaited<ReturnType<typeof startFakeUpstream>> | undefined;
afterEach(async () => {
  await t?.close();
  await upstream?.close();
  t = undefined;
  upstream = undefined;
});

type Body = Record<string, unknown>;

async function listen(tc: TestCore): Promise<OpenAI> {
  await tc.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (tc.app.server.address() as AddressInfo).port;
  return new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: tc.token, maxRetries: 0 });
}

describe('serving follows an endpoint, not a local runtime slot', () => {
  it('a process-less, file-less driver registered in one line activates, serves chat and /v1/models, shows as active and is deactivated', async () => {
    upstream = await startFakeUpstream();
    t = await startTestCore();
    const phases: string[] = [];
    t.core.events.on((e: AppEvent) => e.type === 'model.activation' && phases.push(`${e.phase} ${e.model} ${e.runtime}`), ['model.activation']);
    t.core.activation.register(new FakeRemoteDriver('fake-cloud', upstream));

    const activated = await t.call<Body>('POST', '/api/v1/system/llm-runtime/active', { provider: 'fake-cloud', model: upstream.model });
    expect(activated.status, JSON.stringify(activated.body)).toBe(200);
    expect(activated.body).toMatchObject({ kind: 'remote', provider: 'fake-cloud', runtime: 'remote', model: upstream.model, phase: 'serving' });
    expect(phases).toEqual([`starting ${upstream.model} remote`, `loading ${upstream.model} remote`, `serving ${upstream.model} remote`]);
    // nothing was installed for it: remote models are not rows of the manifest
    expect(t.core.models.list().some((m) => m.name === upstream!.model)).toBe(false);

    const servers = await t.call<Body>('GET', '/api/v1/system/llm-servers/active');
    expect(servers.body).toMatchObject({ active_server: 'remote', active_model: upstream.model, server: null, endpoint: { kind: 'remote', provider: 'fake-cloud', api_base: upstream.apiBase } });
    // the upstream's key is sent, never answered
    expect(JSON.stringify(servers.body)).not.toContain(upstream.key);
    expect(JSON.stringify((await t.call('GET', '/api/v1/system/llm-runtime/active')).body)).not.toContain(upstream.key);

    const client = await listen(t);
    const chat = await client.chat.completions.create({ model: upstream.model, messages: [{ role: 'user', content: 'ping' }] });
    expect(chat.choices[0]!.message.content).toBe(`remote ${upstream.model} says: ping`);
    const stream = await client.chat.completions.create({ model: 'qwen3-8b', messages: [{ role: 'user', content: 'streamed' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text.trim()).toBe(`remote ${upstream.model} says: streamed`);
    // listed by its route name; its bare name (the default route's model) answers too, as above
    expect((await client.models.list()).data.map((m) => m.id)).toEqual([`fake-cloud/${upstream.model}`]);
    // the whole apiBase is kept (its /openai/v1 path), with the provider's key on every request
    const posts = upstream.seen.filter((r) => r.method === 'POST');
    expect(posts.map((r) => r.path)).toEqual(['/openai/v1/chat/completions', '/openai/v1/chat/completions']);
    expect(upstream.seen.every((r) => r.authorization === `Bearer ${upstream!.key}`)).toBe(true);
    // the alias was rewritten to the id the upstream serves
    expect(JSON.parse(posts[1]!.body).model).toBe(upstream.model);

    const off = await t.call<Body>('POST', '/api/v1/models/deactivate', { runtime: 'remote' });
    expect(off.status, JSON.stringify(off.body)).toBe(200);
    expect(off.body).toMatchObject({ runtime: 'remote', model: upstream.model });
    expect(phases.at(-1)).toBe(`deactivated ${upstream.model} remote`);
    expect((await t.call<Body>('GET', '/api/v1/system/llm-runtime/active')).body).toMatchObject({ kind: null, model: null, endpoint: null });
    const refused = await client.chat.completions.create({ model: upstream.model, messages: [{ role: 'user', content: 'ping' }] }).catch((e: unknown) => e);
    // no route serves it any more
    expect((refused as InstanceType<typeof OpenAI.APIError>).status).toBe(404);
    expect((refused as InstanceType<typeof OpenAI.APIError>).code).toBe('model_not_found');
    expect((await client.models.list()).data).toEqual([]);
  });

  it('an endpoint off the loopback fast path goes through NetClient: offline mode refuses it, online it answers', async () => {
    upstream = await startFakeUpstream({ basePath: '/serving/v1' });
    t = await startTestCore({ env: { SWITCHYARD_OFFLINE: '0' } });
    const driver = t.core.activation.register(new FakeRemoteDriver('fake-net', upstream, 'net'));
    const ok = await t.call<Body>('POST', '/api/v1/system/llm-runtime/active', { provider: 'fake-net', model: upstream.model });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body).toMatchObject({ endpoint: { transport: 'net' } });
    const client = await listen(t);
    const chat = await client.chat.completions.create({ model: upstream.model, messages: [{ role: 'user', content: 'over undici' }] });
    expect(chat.choices[0]!.message.content).toBe(`remote ${upstream.model} says: over undici`);

    // offline mode: the proxy refuses before a connection is made, OpenAI-shaped, and says what to do
    await t.call('PUT', '/api/v1/system/offline', { offline: true });
    const before = upstream.seen.length;
    const refused = (await client.chat.completions.create({ model: upstream.model, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(refused.status).toBe(503);
    expect(refused.code).toBe('offline');
    expect(refused.message).toMatch(/offline/i);
    expect(upstream.seen.length).toBe(before);
    // and a driver that needs the network is not activated while offline
    await t.call('POST', '/api/v1/models/deactivate', { runtime: 'remote' });
    const again = await t.call<{ error: { code: string } }>('POST', '/api/v1/system/llm-runtime/active', { provider: 'fake-net', model: upstream.model });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('offline');
    expect(driver.calls).toEqual([`activate ${upstream.model}`, 'deactivate']);
  });

  it('an unknown provider is refused with what is known', async () => {
    t = await startTestCore();
    const res = await t.call<{ error: { code: string; message: string } }>('POST', '/api/v1/system/llm-runtime/active', { provider: 'nope', model: 'x' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/huggingface, ollama/);
  });

  it('every stop goes through the activation service: a crash, its automatic restart, the API stop and restart give the same events', async () => {
    const TINY = 'org/tiny-model';
    t = await startTestCore({ hfModels: [TINY], env: { EMU_START_DELAY_MS: '100' } });
    const phases: string[] = [];
    t.core.events.on((e: AppEvent) => e.type === 'model.activation' && phases.push(e.phase), ['model.activation']);
    t.core.settings.update({ runtime: { autoRestart: true } });
    expect((await t.call('POST', '/api/v1/models/activate', { name: TINY })).status).toBe(200);
    expect(phases).toEqual(['starting', 'loading', 'serving']);

    // a crash: deactivated (with the reason), and served again once the automatic restart is up
    process.kill(t.core.runtimes.info('vllm').pid!, 'SIGKILL');
    await waitFor(() => phases.length === 5, 'deactivated, then serving again after the automatic restart', 10_000);
    expect(phases.slice(3)).toEqual(['deactivated', 'serving']);
    expect(t.core.activation.endpoint()).toMatchObject({ model: TINY, runtime: 'vllm' });

    // restart from Runtimes: always a new process, the model deactivated and served again
    const pid = t.core.runtimes.info('vllm').pid;
    const restarted = await t.call<{ server: { pid: number; state: string } }>('POST', '/api/v1/system/llm-servers/vllm/restart');
    expect(restarted.body.server).toMatchObject({ state: 'ready' });
    expect(restarted.body.server.pid).not.toBe(pid);
    expect(phases.slice(5)).toEqual(['deactivated', 'serving']);

    // the API's stop (the CLI's and the tray's "off" go the same way): one deactivated event
    expect((await t.call('POST', '/api/v1/system/llm-servers/vllm/stop')).status).toBe(200);
    expect(phases.slice(7)).toEqual(['deactivated']);
    expect(t.core.activation.endpoint()).toBeNull();
    expect((await t.call('GET', '/api/v1/system/llm-servers/active')).body).toMatchObject({ active_server: null, endpoint: null });
  });
});
