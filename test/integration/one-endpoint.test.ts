// Issue 30's acceptance: one base URL for a local chat model (vLLM), a local embedding model (Ollama) and
// OpenAI-, Anthropic- and KServe-dialect providers, all at once through the official `openai` client,
// checking what each upstream really received. Then the refusals that send nothing anywhere.
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRemoteEmulator, type RemoteEmulator } from '../fixtures/remote/server.mjs';
import { startTestCore, type TestCore } from '../support/core';
import { install, waitForOperation } from '../support/models';

const TINY = 'org/tiny-model';
const EMBED = 'nomic-embed-text:latest';

let t: TestCore;
let client: OpenAI;
let oa: RemoteEmulator;
let an: RemoteEmulator;
let ks: RemoteEmulator;
let vllmUrl = '';

async function provider(id: string, e: RemoteEmulator): Promise<void> {
  const kind = e.dialect === 'kserve' ? 'kserve' : e.dialect;
  expect((await t.call('POST', '/api/v1/remote-providers', { id, kind, base_url: e.baseUrl, ...(e.keys[0] ? { api_key: e.keys[0] } : {}) })).status).toBe(201);
  const v = await t.call<{ validation: { ok: boolean; message: string } }>('POST', `/api/v1/remote-providers/${id}/validate`, {});
  expect(v.body.validation.ok, v.body.validation.message).toBe(true);
}

beforeAll(async () => {
  [oa, an, ks] = await Promise.all([startRemoteEmulator({ dialect: 'openai' }), startRemoteEmulator({ dialect: 'anthropic' }), startRemoteEmulator({ dialect: 'kserve' })]);
  t = await startTestCore({ hfModels: [TINY], env: { SWITCHYARD_OFFLINE: '0', EMU_START_DELAY_MS: '100', EMU_PULL_BYTES_PER_SEC: String(1024 ** 3) } });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  client = new OpenAI({ baseURL: `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/v1`, apiKey: t.token, maxRetries: 0 });
  const op = await waitForOperation(t, await install(t, { name: EMBED, provider: 'ollama' }));
  expect(op.status, op.message).toBe('completed');
  expect((await t.call('POST', '/api/v1/models/activate', { name: TINY })).status).toBe(200);
  expect((await t.call('POST', '/api/v1/models/activate', { name: EMBED, slot: 'embeddings' })).status).toBe(200);
  vllmUrl = t.core.runtimes.info('vllm').base_url;
  await provider('openai', oa);
  await provider('claude', an);
  await provider('lab', ks);
}, 120_000);
afterAll(async () => {
  await t?.close();
  await Promise.all([oa?.close(), an?.close(), ks?.close()]);
});

describe('one endpoint, every model by name', () => {
  it('local chat, local embeddings and three dialects of providers answer concurrently through one base URL', async () => {
    const ids = (await client.models.list()).data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining([TINY, EMBED, 'openai/gpt-4o-mini', 'openai/text-embedding-3-small', 'claude/claude-haiku-4-5', 'lab/qwen3-8b']));

    const ask = (model: string) => client.chat.completions.create({ model, messages: [{ role: 'user', content: `hello ${model}` }] });
    const stream = async (model: string) => {
      let text = '';
      for await (const c of await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'stream please' }], stream: true })) text += c.choices[0]?.delta?.content ?? '';
      return text;
    };
    const [local, gpt, claude, lab, bare, streamed, localEmb, gptEmb, labEmb] = await Promise.all([
      ask(TINY),
      ask('openai/gpt-4o-mini'),
      ask('claude/claude-haiku-4-5'),
      ask('lab/qwen3-8b'),
      ask('claude-opus-4-1'), // a bare remote name exactly one route serves
      stream('openai/gpt-4o'),
      client.embeddings.create({ model: EMBED, input: ['a', 'b'] }),
      client.embeddings.create({ model: 'openai/text-embedding-3-small', input: 'c' }),
      client.embeddings.create({ model: 'lab/qwen3-8b', input: 'd' }),
    ]);
    expect(local.choices[0]!.message.content).toContain(`Hello from ${TINY}`);
    expect(gpt.choices[0]!.message.content).toBe('Hello from openai.');
    expect(claude.choices[0]!.message.content).toBe('Hello from anthropic.');
    expect(lab.choices[0]!.message.content).toBe('Hello from kserve.');
    expect(bare.choices[0]!.message.content).toBe('Hello from anthropic.');
    expect(streamed).toBe('Hello from openai.');
    expect(localEmb.data).toHaveLength(2);
    expect(gptEmb.data).toHaveLength(1);
    expect(labEmb.data).toHaveLength(1);

    // each upstream got its own model id, its own auth and nothing of Switchyard's token
    const posts = (e: RemoteEmulator) => e.requests.filter((r) => r.method === 'POST').map((r) => [r.path, (r.body as { model: string }).model]);
    expect(posts(oa)).toEqual(expect.arrayContaining([['/v1/chat/completions', 'gpt-4o-mini'], ['/v1/chat/completions', 'gpt-4o'], ['/v1/embeddings', 'text-embedding-3-small']]));
    expect(posts(an).sort()).toEqual([['/v1/chat/completions', 'claude-haiku-4-5'], ['/v1/chat/completions', 'claude-opus-4-1']]);
    expect(posts(ks)).toEqual(expect.arrayContaining([['/openai/v1/chat/completions', 'qwen3-8b'], ['/openai/v1/embeddings', 'qwen3-8b']]));
    for (const r of oa.requests) expect(r.headers.authorization).toBe(`Bearer ${oa.keys[0]}`);
    for (const r of an.requests) expect([r.headers['x-api-key'], r.headers.authorization]).toEqual([an.keys[0], undefined]);
    for (const e of [oa, an, ks]) for (const r of e.requests) expect(JSON.stringify(r.headers)).not.toContain(t.token);

    // the local runtimes served their own: vLLM's metrics count the chat, Ollama's ps holds the embedding model
    const vllmMetrics = await (await fetch(`${vllmUrl}/metrics`)).text();
    expect(vllmMetrics).toMatch(/vllm:request_success_total\{[^}]*\} [1-9]/);
    const ps = (await (await fetch(`${t.core.runtimes.info('ollama').base_url}/api/ps`)).json()) as { models: { name: string }[] };
    expect(ps.models.map((m) => m.name)).toContain(EMBED);
  });

  it('refusals send nothing upstream: ambiguous, unsupported endpoint, disabled, stale, unknown', async () => {
    const before = [oa, an, ks].map((e) => e.requests.length);
    const refused = async (p: Promise<unknown>) => (await p.catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    // two providers serve `qwen3-8b` now: a bare name is ambiguous, and the message lists both
    await provider('lab2', await startRemoteEmulatorFor(ks));
    const ambiguous = await refused(client.chat.completions.create({ model: 'qwen3-8b', messages: [{ role: 'user', content: 'x' }] }));
    expect([ambiguous.status, ambiguous.code]).toEqual([400, 'ambiguous_model']);
    expect(ambiguous.message).toContain('lab/qwen3-8b');
    const noEmb = await refused(client.embeddings.create({ model: 'claude/claude-haiku-4-5', input: 'x' }));
    expect([noEmb.status, noEmb.code]).toEqual([404, 'endpoint_not_supported']);
    await t.call('PATCH', '/api/v1/remote-providers/openai', { enabled: false });
    const disabled = await refused(client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }));
    expect([disabled.status, disabled.code]).toEqual([403, 'model_disabled']);
    await t.call('PATCH', '/api/v1/remote-providers/lab', { headers: { 'x-team': 'b' } });
    const stale = await refused(client.chat.completions.create({ model: 'lab/qwen3-8b', messages: [{ role: 'user', content: 'x' }] }));
    expect([stale.status, stale.code]).toEqual([409, 'validation_stale']);
    const unknown = await refused(client.chat.completions.create({ model: 'nobody/nothing', messages: [{ role: 'user', content: 'x' }] }));
    expect([unknown.status, unknown.code]).toEqual([404, 'model_not_found']);
    expect([oa, an, ks].map((e) => e.requests.length)).toEqual(before);
  });
});

const extra: RemoteEmulator[] = [];
async function startRemoteEmulatorFor(like: RemoteEmulator): Promise<RemoteEmulator> {
  const e = await startRemoteEmulator({ dialect: like.dialect });
  extra.push(e);
  return e;
}
afterAll(async () => {
  await Promise.all(extra.map((e) => e.close()));
});
