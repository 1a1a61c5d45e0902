// The local slots and load on demand against the emulated runtimes: a vLLM chat model with an Ollama
// embedding model beside it, both routed by name; the fit check over both slots; load on demand with
// one shared load, `model_switching` for the evicted model, and idle unload.
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Activation } from '../../src/shared/api/models';
import type { Route } from '../../src/shared/api/router';
import type { AppEvent } from '../../src/shared/events';
import { startTestCore, type TestCore } from '../support/core';
import { install, waitForOperation } from '../support/models';

const GPU_SMI = fileURLToPath(new URL('../fixtures/bin/nvidia-smi', import.meta.url));
const TINY = 'org/tiny-model';
const EMBED = 'nomic-embed-text:latest';
const fast = { EMU_START_DELAY_MS: '100', EMU_PULL_BYTES_PER_SEC: String(1024 ** 3) };

let t: TestCore | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function pull(name: string): Promise<void> {
  const op = await waitForOperation(t!, await install(t!, { name, provider: 'ollama' }));
  expect(op.status, op.message).toBe('completed');
}

async function ollamaPs(): Promise<string[]> {
  const base = t!.core.runtimes.info('ollama').base_url;
  return ((await (await fetch(`${base}/api/ps`)).json()) as { models: { name: string }[] }).models.map((m) => m.name);
}

const resolve = (model: string | undefined, endpoint: 'chat.completions' | 'embeddings' = 'chat.completions') => t!.core.router.resolve(model, endpoint);

describe('local slots', () => {
  it('a vLLM chat model and an Ollama embedding model answer side by side, each by name; deactivate takes a slot', async () => {
    t = await startTestCore({ hfModels: [TINY], env: fast });
    await pull(EMBED);
    const chat = await t.call<{ activation: Activation }>('POST', '/api/v1/models/activate', { name: TINY });
    expect(chat.status, JSON.stringify(chat.body)).toBe(200);
    expect(chat.body.activation.slot).toBe('chat');
    // no slot given: the embedding capability puts it in the embeddings slot, beside vLLM
    const emb = await t.call<{ activation: Activation }>('POST', '/api/v1/models/activate', { name: EMBED });
    expect(emb.status, JSON.stringify(emb.body)).toBe(200);
    expect(emb.body.activation).toMatchObject({ slot: 'embeddings', runtime: 'ollama' });
    expect(t.core.runtimes.info('vllm')).toMatchObject({ state: 'ready', model: TINY, active: true });
    expect(t.core.runtimes.info('ollama')).toMatchObject({ state: 'ready', active: false });
    expect(await ollamaPs()).toEqual([EMBED]);

    const routes = (await t.call<{ routes: Route[] }>('GET', '/api/v1/router/routes')).body.routes;
    expect(routes.map((r) => [r.model, r.slot, r.state, r.target.runtime])).toEqual([
      [TINY, 'chat', 'serving', 'vllm'],
      [EMBED, 'embeddings', 'serving', 'ollama'],
    ]);
    expect(t.core.router.models().data.map((m) => [m.id, m.owned_by])).toEqual([
      [TINY, 'vllm'],
      [EMBED, 'ollama'],
    ]);

    // each route's endpoint answers for its model
    const c = resolve('tiny-model');
    const e = resolve('nomic-embed-text', 'embeddings');
    if (!c.ok || !e.ok) throw new Error('not routed');
    expect(resolve(undefined, 'embeddings')).toMatchObject({ ok: true, upstreamModel: EMBED });
    const chatEndpoint = await t.core.router.ensureLoaded(c.route);
    const answer = await fetch(`${chatEndpoint.apiBase}/chat/completions`, { method: 'POST', headers: { ...chatEndpoint.headers, 'content-type': 'application/json' }, body: JSON.stringify({ model: c.upstreamModel, messages: [{ role: 'user', content: 'hi' }] }) });
    expect(answer.status).toBe(200);
    const embEndpoint = await t.core.router.ensureLoaded(e.route);
    const vector = await fetch(`${embEndpoint.apiBase}/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: e.upstreamModel, input: 'hello' }) });
    expect(((await vector.json()) as { data: { embedding: number[] }[] }).data[0]!.embedding.length).toBeGreaterThan(0);

    // a switch of the chat slot leaves the embeddings slot's runtime running
    await t.call('POST', '/api/v1/system/llm-servers/vllm/restart');
    expect(t.core.runtimes.info('ollama').state).toBe('ready');
    expect(resolve(EMBED, 'embeddings').ok).toBe(true);

    const off = await t.call<{ model: string }>('POST', '/api/v1/models/deactivate', { slot: 'embeddings' });
    expect(off.body.model).toBe(EMBED);
    expect(await ollamaPs()).toEqual([]);
    expect(t.core.runtimes.info('vllm')).toMatchObject({ state: 'ready', model: TINY });
    expect(resolve(EMBED, 'embeddings')).toMatchObject({ ok: false, code: 'model_not_loaded' });
  });

  it('Ollama serves both slots; chat moving to vLLM unloads only the chat model; deactivate without a slot empties both; stopping Ollama empties its slot', async () => {
    t = await startTestCore({ hfModels: [TINY], env: fast });
    await pull('qwen2.5:0.5b');
    await pull(EMBED);
    await t.call('POST', '/api/v1/models/activate', { name: 'qwen2.5:0.5b' });
    await t.call('POST', '/api/v1/models/activate', { name: EMBED });
    expect((await ollamaPs()).sort()).toEqual([EMBED, 'qwen2.5:0.5b'].sort());
    expect(resolve('QWEN2.5:0.5b', 'chat.completions')).toMatchObject({ ok: true, upstreamModel: 'qwen2.5:0.5b' });
    const registry = (await t.call<{ models: { name: string; slot: string | null; slots: string[]; serving: boolean }[] }>('GET', '/api/v1/models/registry')).body.models;
    expect(registry.filter((m) => m.slot).map((m) => [m.name, m.slot, m.serving])).toEqual(expect.arrayContaining([['qwen2.5:0.5b', 'chat', true], [EMBED, 'embeddings', true]]));
    expect(registry.find((m) => m.name === TINY)?.slots).toEqual(['chat']);
    expect(registry.find((m) => m.name === EMBED)?.slots).toEqual(['chat', 'embeddings']);

    // the chat slot moves to vLLM: Ollama keeps running for the embeddings slot, its chat model is unloaded
    expect((await t.call('POST', '/api/v1/models/activate', { name: TINY })).status).toBe(200);
    expect(await ollamaPs()).toEqual([EMBED]);
    expect(t.core.runtimes.info('ollama').state).toBe('ready');
    expect(t.core.router.routes().map((r) => [r.model, r.slot])).toEqual([
      [TINY, 'chat'],
      [EMBED, 'embeddings'],
    ]);
    // and back to Ollama: vLLM stops, the embedding model stays loaded
    await t.call('POST', '/api/v1/models/activate', { name: 'qwen2.5:0.5b' });
    expect(t.core.runtimes.info('vllm').state).toBe('stopped');
    expect((await ollamaPs()).sort()).toEqual([EMBED, 'qwen2.5:0.5b'].sort());
    await t.call('POST', '/api/v1/models/deactivate', {});
    expect(await ollamaPs()).toEqual([]);
    expect(t.core.router.routes()).toEqual([]);

    await t.call('POST', '/api/v1/models/activate', { name: EMBED });
    const gone: string[] = [];
    t.core.events.on((ev: AppEvent) => ev.type === 'model.activation' && ev.phase === 'deactivated' && gone.push(ev.model), ['model.activation']);
    await t.call('POST', '/api/v1/system/llm-servers/ollama/stop');
    expect(gone).toEqual([EMBED]);
    expect(t.core.activation.embeddings.current()).toBeNull();
  });

  it('the fit check counts both slots and refuses, with the numbers, what does not fit', async () => {
    t = await startTestCore({ hfModels: [TINY], env: { ...fast, SWITCHYARD_NVIDIA_SMI_BIN: GPU_SMI } });
    await expect.poll(() => t!.core.gpu.gpus()?.length ?? 0, { timeout: 10_000 }).toBe(1);
    await pull(EMBED);
    expect((await t.call('POST', '/api/v1/models/activate', { name: TINY, flags: { gpu_memory_utilization: 1 } })).status).toBe(200);
    const refused = await t.call<{ error: { code: string; message: string } }>('POST', '/api/v1/models/activate', { name: EMBED });
    expect(refused.status).toBe(507);
    expect(refused.body.error.code).toBe('insufficient_memory');
    expect(refused.body.error.message).toMatch(/org\/tiny-model \(chat, vLLM\) .*GiB \+ nomic-embed-text:latest \(embeddings, Ollama\)/);
    expect(await ollamaPs()).toEqual([]);
    // vLLM's default share (0.9) leaves room for it
    expect((await t.call('POST', '/api/v1/models/activate', { name: TINY })).status).toBe(200);
    expect((await t.call('POST', '/api/v1/models/activate', { name: EMBED })).status).toBe(200);
  });

  it('an embeddings slot on vLLM is refused: it serves the chat slot only', async () => {
    t = await startTestCore({ hfModels: [TINY], env: fast });
    const refused = await t.call<{ error: { message: string } }>('POST', '/api/v1/models/activate', { name: TINY, slot: 'embeddings' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('serves the chat slot only');
  });
});

describe('load on demand', () => {
  it('off: an installed model not loaded is 404 model_not_loaded; on: one shared load, the evicted model answers model_switching, then idle unload', async () => {
    t = await startTestCore({ env: { ...fast, EMU_LOAD_DELAY_MS: '300' } });
    await pull('qwen2.5:0.5b');
    await pull('llama3.2:1b');
    await t.call('POST', '/api/v1/models/activate', { name: 'qwen2.5:0.5b' });
    expect(resolve('llama3.2:1b')).toMatchObject({ ok: false, status: 404, code: 'model_not_loaded' });

    await t.call('PATCH', '/api/v1/settings', { router: { loadOnDemand: true } });
    expect(t.core.router.models().data.map((m) => m.id).sort()).toEqual(['llama3.2:1b', 'qwen2.5:0.5b']);
    const starts: string[] = [];
    t.core.events.on((ev: AppEvent) => ev.type === 'model.activation' && ev.phase === 'starting' && starts.push(ev.model), ['model.activation']);
    const r = resolve('llama3.2:1b');
    if (!r.ok) throw new Error(r.message);
    expect(r.load).toBe(true);
    const loads = [1, 2, 3].map(() => t!.core.router.ensureLoaded(r.route));
    await expect.poll(() => (resolve('qwen2.5:0.5b') as { code?: string }).code, { timeout: 10_000 }).toBe('model_switching');
    expect(resolve('qwen2.5:0.5b')).toMatchObject({ status: 503, retryAfter: 5 });
    const endpoints = await Promise.all(loads);
    expect(new Set(endpoints.map((e) => e.model))).toEqual(new Set(['llama3.2:1b']));
    expect(starts).toEqual(['llama3.2:1b']);
    expect(await ollamaPs()).toEqual(['llama3.2:1b']);
    expect(resolve('llama3.2:1b')).toMatchObject({ ok: true, load: false });
    expect(resolve('qwen2.5:0.5b')).toMatchObject({ ok: true, load: true });

    // a client that leaves while a load runs stops waiting; the load goes on for the others
    const gone = new AbortController();
    const again = resolve('qwen2.5:0.5b');
    if (!again.ok) throw new Error(again.message);
    const left = t.core.router.ensureLoaded(again.route, gone.signal);
    gone.abort();
    await expect(left).rejects.toMatchObject({ code: 'cancelled' });
    await expect.poll(() => resolve('qwen2.5:0.5b').ok && (resolve('qwen2.5:0.5b') as { load: boolean }).load, { timeout: 10_000 }).toBe(false);

    // idle unload: no request for the set time empties the slot
    const deactivated: string[] = [];
    t.core.events.on((ev: AppEvent) => ev.type === 'model.activation' && ev.phase === 'deactivated' && deactivated.push(ev.model), ['model.activation']);
    await t.call('PATCH', '/api/v1/settings', { router: { idleUnloadMinutes: 0.005 } });
    await expect.poll(() => deactivated, { timeout: 10_000 }).toContain('qwen2.5:0.5b');
    expect(await ollamaPs()).toEqual([]);
    expect(resolve('qwen2.5:0.5b')).toMatchObject({ ok: true, load: true });
  });
});
