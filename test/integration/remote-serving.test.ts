// Remote providers behind Switchyard's /v1: activation, streaming, usage, governance, fallback, offline,
// asserted with what each emulator recorded. The core listens on a real port (the proxy's fast path).
import { readFileSync, readdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AppEvent } from '../../src/shared/events';
import { createLogger } from '../../src/main/logger';
import { NotificationPolicy } from '../../src/main/notifications';
import { startRemoteEmulator, type RemoteEmulator } from '../fixtures/remote/server.mjs';
import { startTestCore, type TestCore, type TestCoreOptions } from '../support/core';
import { tempDir } from '../support/temp';
import { waitFor } from '../support/wait';

let openai: RemoteEmulator;
let gemini: RemoteEmulator;
let anthropic: RemoteEmulator;
let t: TestCore | null = null;
let base = '';
let events: AppEvent[] = [];

beforeAll(async () => {
  openai = await startRemoteEmulator({ dialect: 'openai' });
  gemini = await startRemoteEmulator({ dialect: 'gemini' });
  anthropic = await startRemoteEmulator({ dialect: 'anthropic' });
});
afterAll(async () => {
  await Promise.all([openai.close(), gemini.close(), anthropic.close()]);
});
afterEach(async () => {
  await t?.close();
  t = null;
  for (const e of [openai, gemini, anthropic]) e.reset();
});

async function start(options: TestCoreOptions = {}): Promise<TestCore> {
  t = await startTestCore({ ...options, env: { SWITCHYARD_OFFLINE: '0', ...options.env }, seams: { remote: { timeoutMs: 3_000 }, ...options.seams } });
  events = [];
  t.core.events.on((e) => events.push(e));
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  return t;
}

/** Registers, validates and (optionally) activates a provider on an emulator. */
async function provider(id: string, e: RemoteEmulator, extra: Record<string, unknown> = {}, activate?: string) {
  const kind = e.dialect === 'kserve' ? 'kserve' : e.dialect;
  const created = await t!.call('POST', '/api/v1/remote-providers', { id, kind, base_url: e.baseUrl, api_key: e.keys[0], ...extra });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const v = await t!.call<{ validation: { ok: boolean; message: string } }>('POST', `/api/v1/remote-providers/${id}/validate`, {});
  expect(v.body.validation.ok, v.body.validation.message).toBe(true);
  if (activate) {
    const a = await t!.call('POST', '/api/v1/system/llm-runtime/active', { provider: id, model: activate });
    expect(a.status, JSON.stringify(a.body)).toBe(200);
  }
}

async function v1(path: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${t!.token}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}
const chat = (body: Record<string, unknown> = {}, headers?: Record<string, string>) => v1('/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'one two three' }], ...body }, headers);
const posts = (e: RemoteEmulator) => e.requests.filter((r) => r.method === 'POST');

describe('serving a remote model', () => {
  it('activates only after a current passing validation; serves chat, completions, embeddings and /v1/models with the provider key alone', async () => {
    await start();
    await t!.call('POST', '/api/v1/remote-providers', { id: 'oa', kind: 'openai', base_url: openai.baseUrl, api_key: openai.keys[0] });
    const early = await t!.call<{ error: { code: string } }>('POST', '/api/v1/system/llm-runtime/active', { provider: 'oa', model: 'gpt-4o-mini' });
    expect(early.body.error.code).toBe('model_not_validated');
    await t!.call('POST', '/api/v1/remote-providers/oa/validate', {});
    const unknown = await t!.call<{ error: { code: string } }>('POST', '/api/v1/system/llm-runtime/active', { provider: 'oa', model: 'gpt-imaginary' });
    expect(unknown.body.error.code).toBe('model_not_found');
    expect((await t!.call('POST', '/api/v1/system/llm-runtime/active', { provider: 'oa', model: 'gpt-4o-mini' })).status).toBe(200);
    expect((await t!.call('GET', '/api/v1/system/llm-runtime/active')).body).toMatchObject({ kind: 'remote', provider: 'oa', model: 'gpt-4o-mini' });
    expect((await t!.call('GET', '/api/v1/system/llm-servers/active')).body).toMatchObject({ active_server: 'remote', active_model: 'gpt-4o-mini' });

    const plain = await chat({}, { 'x-api-key': 'client-own-key', 'x-request-id': 'req-1' });
    expect(plain.status, plain.text).toBe(200);
    expect(plain.headers.get('x-switchyard-provider')).toBe('oa');
    expect(JSON.parse(plain.text).choices[0].message.content).toBe('Hello from openai.');
    const streamed = await chat({ stream: true, stream_options: { include_usage: true } });
    expect(streamed.headers.get('content-type')).toContain('text/event-stream');
    expect(streamed.text).toContain('data: [DONE]');
    expect((await v1('/completions', { model: 'gpt-4o-mini', prompt: 'hi' })).status).toBe(200);
    expect((await v1('/embeddings', { model: 'gpt-4o-mini', input: 'hi' })).status).toBe(200);
    const models = await (await fetch(`${base}/v1/models`, { headers: { authorization: `Bearer ${t!.token}` } })).json();
    // every model the provider listed, by its route name; the default route's bare name answers too (above)
    expect(models.data.map((m: { id: string }) => m.id)).toEqual(['oa/gpt-4o-mini', 'oa/gpt-4o', 'oa/text-embedding-3-small']);

    // what the upstream received: its key, never Switchyard's token, nothing of the client's own auth
    for (const r of openai.requests) {
      expect(r.headers.authorization).toBe(`Bearer ${openai.keys[0]}`);
      expect(r.headers['x-api-key']).toBeUndefined();
    }
    expect(JSON.stringify(openai.requests)).not.toContain(t!.token);
    expect(posts(openai)[0]!.headers['x-request-id']).toBe('req-1');
    expect(posts(openai).map((r) => r.path)).toEqual(['/v1/chat/completions', '/v1/chat/completions', '/v1/completions', '/v1/embeddings']);

    // usage recorded per provider and model: tokens from `usage` (streamed too)
    const usage = await t!.call<{ days: { provider: string; model: string; requests: number; prompt_tokens: number; completion_tokens: number }[] }>('GET', '/api/v1/models/usage/remote');
    expect(usage.body.days.find((d) => d.provider === 'oa')).toMatchObject({ model: 'gpt-4o-mini', requests: 4, completion_tokens: 4 + 4 + 4 });
  });

  it('leaves a local vLLM running and routed when a remote model becomes the default; runtimes never inherit the key variables', async () => {
    await start({ hfModels: ['org/tiny-model'], env: { EMU_START_DELAY_MS: '50', OPENAI_API_KEY: openai.keys[0]! } });
    expect((await t!.call('POST', '/api/v1/models/activate', { name: 'org/tiny-model' })).status).toBe(200);
    const pid = t!.core.runtimes.info('vllm').pid!;
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    expect(environ.some((v) => v.startsWith('OPENAI_API_KEY='))).toBe(false);
    expect(environ.some((v) => v.startsWith('PATH='))).toBe(true);

    await t!.call('POST', '/api/v1/remote-providers', { id: 'oa', kind: 'openai', base_url: openai.baseUrl });
    await t!.call('POST', '/api/v1/remote-providers/oa/validate', {});
    expect((await t!.call('POST', '/api/v1/system/llm-runtime/active', { provider: 'oa', model: 'gpt-4o-mini' })).status).toBe(200);
    expect(t!.core.runtimes.info('vllm')).toMatchObject({ state: 'ready', pid, active: true });
    expect((await chat()).headers.get('x-switchyard-provider')).toBe('oa');
    // the chat slot is not taken off the endpoint: no `deactivated`, and its name still reaches vLLM
    expect(events.some((e) => e.type === 'model.activation' && e.phase === 'deactivated' && e.model === 'org/tiny-model')).toBe(false);
    const local = await chat({ model: 'org/tiny-model' });
    expect(local.status, local.text).toBe(200);
    expect(local.headers.get('x-switchyard-provider')).toBeNull();
  });

  it('Anthropic: its own headers upstream, no embeddings endpoint (refused without a request)', async () => {
    await start();
    await provider('claude', anthropic, {}, 'claude-haiku-4-5');
    const ok = await chat({ model: 'claude-haiku-4-5' });
    expect(ok.status, ok.text).toBe(200);
    const last = posts(anthropic).at(-1)!;
    expect(last.headers).toMatchObject({ 'x-api-key': anthropic.keys[0], 'anthropic-version': '2023-06-01' });
    expect(last.headers.authorization).toBeUndefined();
    const emb = await v1('/embeddings', { model: 'claude-haiku-4-5', input: 'x' });
    expect(emb.status).toBe(404);
    expect(JSON.parse(emb.text).error.code).toBe('endpoint_not_supported');
    expect(posts(anthropic).length).toBe(1);
  });
});

describe('governance', () => {
  it('rpm: a 429 with Retry-After and code rate_limited, nothing sent upstream', async () => {
    await start();
    await provider('oa', openai, { governance: { rpm: 2 } }, 'gpt-4o-mini');
    expect((await chat()).status).toBe(200);
    expect((await chat()).status).toBe(200);
    const third = await chat();
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(JSON.parse(third.text).error.code).toBe('rate_limited');
    expect(posts(openai).length).toBe(2);
  });

  it('tpm: counts the tokens the upstream reported', async () => {
    await start();
    await provider('oa', openai, { governance: { tpm: 60 } }, 'gpt-4o-mini');
    expect((await chat({ max_tokens: 40 })).status).toBe(200);
    const over = await chat({ max_tokens: 80 });
    expect(over.status).toBe(429);
    expect(JSON.parse(over.text).error.code).toBe('rate_limited');
    expect(posts(openai).length).toBe(1);
  });

  it('budgets: soft → provider.budget event and a notification; hard → 429 budget_exceeded before sending; cost from usage', async () => {
    await start();
    // $1 per prompt token and $1 per completion token: one chat (3 + 4 tokens) costs $7, and each is
    // reserved at its worst case before it is sent: ~11 prompt tokens estimated + max_tokens 4 = $15
    await provider('oa', openai, { governance: { price: { input_per_mtok: 1e6, output_per_mtok: 1e6 }, budget: { soft_usd: 5, hard_usd: 24, period: 'day' } } }, 'gpt-4o-mini');
    expect((await chat({ max_tokens: 4 })).status).toBe(200);
    const soft = events.find((e) => e.type === 'provider.budget');
    expect(soft).toMatchObject({ provider: 'oa', scope: 'provider', level: 'soft', spent_usd: 7, limit_usd: 5, period: 'day' });
    expect(new NotificationPolicy().noticeFor(soft!)).toMatchObject({ title: 'oa: soft budget reached', urgent: false });
    expect((await chat({ max_tokens: 4 })).status).toBe(200); // $7 spent + $15 reserved fits $24
    // $14 spent + $15 reserved does not: refused before anything is sent, though the line is not crossed yet
    const refused = await chat({ max_tokens: 4 });
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.text).error).toMatchObject({ code: 'budget_exceeded', message: expect.stringMatching(/cannot hold this request/) });
    expect(posts(openai).length).toBe(2);
    const spend = (await t!.call<{ provider: { spend: { cost_usd: number; errors: number } } }>('GET', '/api/v1/remote-providers/oa')).body.provider.spend;
    expect(spend).toMatchObject({ cost_usd: 14, errors: 1 });
    // the Dashboard's usage per route: the route's cost beside its requests and latency
    const route = await waitFor(() => {
      t!.core.usage.flush();
      const row = t!.core.usageRepo.listSince('2000-01-01').find((d) => d.model === 'oa/gpt-4o-mini');
      return row && row.requests >= 2 ? row : null;
    }, 'the route oa/gpt-4o-mini in the daily usage');
    expect(route).toMatchObject({ runtime: 'remote', cost_usd: 14 });
    expect(route.latency_p50_ms).not.toBeNull();
    const days = (await t!.call<{ days: { errors_by_reason: Record<string, number> }[] }>('GET', '/api/v1/models/usage/remote')).body.days;
    expect(days[0]!.errors_by_reason).toEqual({ budget_exceeded: 1 });

    // the global budget in Settings applies over every provider
    await t!.call('PATCH', '/api/v1/remote-providers/oa', { governance: { price: { input_per_mtok: 1e6, output_per_mtok: 1e6 } } });
    expect((await chat({ max_tokens: 4 })).status).toBe(200);
    await t!.call('PATCH', '/api/v1/settings', { providers: { budgetHardUsd: 20, budgetPeriod: 'month' } });
    const global = await chat({ max_tokens: 4 });
    expect(JSON.parse(global.text).error).toMatchObject({ code: 'budget_exceeded' });
    expect(JSON.parse(global.text).error.message).toContain('global hard budget');
  });
});

describe('fallback', () => {
  it('takes over before the first byte when configured: header, SSE event, usage; without one the error is returned', async () => {
    await start();
    await provider('gem', gemini);
    await provider('oa', openai, {}, 'gpt-4o-mini');
    openai.setKnobs({ failStatus: 429, failOn: 'inference', retryAfter: 3 });
    const plain = await chat();
    expect(plain.status).toBe(429);
    expect(plain.headers.get('retry-after')).toBe('3');
    expect(posts(gemini).length).toBe(0);

    await t!.call('PATCH', '/api/v1/remote-providers/oa', { fallback: { provider: 'gem', model: 'gemini-2.0-flash' } });
    for (const [knobs, reason] of [
      [{ failStatus: 429 }, 'rate_limited'],
      [{ failStatus: 503 }, 'upstream_error'],
      [{ failStatus: 401 }, 'auth_error'],
    ] as const) {
      openai.setKnobs({ failOn: 'inference', ...knobs });
      const r = await chat();
      expect(r.status, r.text).toBe(200);
      expect(JSON.parse(r.text).choices[0].message.content).toBe('Hello from gemini.');
      expect(r.headers.get('x-switchyard-fallback')).toBe(`oa -> gem; reason=${reason}`);
      expect(r.headers.get('x-switchyard-provider')).toBe('gem');
      expect(posts(gemini).at(-1)!.body).toMatchObject({ model: 'gemini-2.0-flash' });
      expect(posts(gemini).at(-1)!.headers.authorization).toBe(`Bearer ${gemini.keys[0]}`);
    }
    expect(events.filter((e) => e.type === 'provider.fallback').map((e) => (e as { reason: string }).reason)).toEqual(['rate_limited', 'upstream_error', 'auth_error']);
    const usage = (await t!.call<{ days: { provider: string; fallbacks: number; requests: number }[] }>('GET', '/api/v1/models/usage/remote')).body.days;
    expect(usage.find((d) => d.provider === 'gem')).toMatchObject({ fallbacks: 3 });

    // a timeout before the first byte falls back too
    await t!.call('PATCH', '/api/v1/remote-providers/oa', { governance: { first_byte_timeout_s: 0.3 } });
    openai.setKnobs({ failStatus: null, headerDelayMs: 5_000 });
    const slow = await chat();
    expect(slow.headers.get('x-switchyard-fallback')).toBe('oa -> gem; reason=timeout');
  });

  it('never after the first byte: a stream cut mid-way reaches the client cut, the fallback gets nothing', async () => {
    await start();
    await provider('gem', gemini);
    await provider('oa', openai, { fallback: { provider: 'gem', model: 'gemini-2.0-flash' } }, 'gpt-4o-mini');
    openai.setKnobs({ cutAfterChunks: 2 });
    const cut = await chat({ stream: true }).catch((e: Error) => e);
    if (!(cut instanceof Error)) expect(cut.text).not.toContain('[DONE]');
    expect(posts(gemini).length).toBe(0);
    const days = (await t!.call<{ days: { provider: string; errors_by_reason: Record<string, number> }[] }>('GET', '/api/v1/models/usage/remote')).body.days;
    expect(days.find((d) => d.provider === 'oa')!.errors_by_reason).toEqual({ stream_cut: 1 });
  });

  it('not to a fallback that is not validated now', async () => {
    await start();
    await provider('gem', gemini);
    await provider('oa', openai, { fallback: { provider: 'gem', model: 'gemini-2.0-flash' } }, 'gpt-4o-mini');
    await t!.call('PATCH', '/api/v1/remote-providers/gem', { headers: { 'X-Goog-User-Project': 'p' } }); // stale now
    openai.setKnobs({ failStatus: 500, failOn: 'inference' });
    const r = await chat();
    expect(r.status).toBe(502);
    expect(r.headers.get('x-switchyard-fallback')).toBeNull();
    expect(posts(gemini).length).toBe(0);
  });
});

describe('offline, and the key nowhere it should not be', () => {
  it('offline: every proxied request and any fallback refused with zero connections; deactivation still works', async () => {
    const logFile = join(tempDir('switchyard-remote-'), 'core.log');
    const logger = createLogger({ level: 'debug', destination: logFile });
    await start({ seams: { logger } });
    await provider('gem', gemini);
    await provider('oa', openai, { fallback: { provider: 'gem', model: 'gemini-2.0-flash' } }, 'gpt-4o-mini');
    expect((await chat()).status).toBe(200);
    await t!.call('POST', '/api/v1/remote-providers/oa/test', { model: 'gpt-4o-mini' });
    await t!.call('PATCH', '/api/v1/remote-providers/oa', { api_key: 'sk-…' }); // a mask sent back

    openai.reset();
    gemini.reset();
    await t!.call('PATCH', '/api/v1/settings', { catalog: { offline: true } });
    for (const path of ['/chat/completions', '/completions', '/embeddings']) {
      const r = await v1(path, { model: 'gpt-4o-mini', messages: [], prompt: 'x', input: 'x' });
      expect(r.status).toBe(503);
      expect(JSON.parse(r.text).error.code).toBe('offline');
    }
    const again = await t!.call<{ error: { code: string } }>('POST', '/api/v1/system/llm-runtime/active', { provider: 'gem', model: 'gemini-2.0-flash' });
    expect(again.body.error.code).toBe('offline');
    expect(openai.connections + gemini.connections).toBe(0);
    expect((await t!.call('POST', '/api/v1/models/deactivate', {})).status).toBe(200);
    expect((await t!.call('GET', '/api/v1/system/llm-runtime/active')).body).toMatchObject({ kind: null });

    // grep: the keys are in no answer, no SSE event, not the DB files, not the log
    const answers = JSON.stringify([(await t!.call('GET', '/api/v1/remote-providers')).body, (await t!.call('GET', '/api/v1/remote-providers/oa/validations')).body]);
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
    const dbFiles = readdirSync(t!.dataDir).filter((f) => f.startsWith('switchyard.db'));
    expect(dbFiles.length).toBeGreaterThan(0);
    const log = readFileSync(logFile, 'utf8');
    expect(log).toContain('remote provider validated');
    for (const key of [openai.keys[0]!, gemini.keys[0]!]) {
      expect(answers).not.toContain(key);
      expect(JSON.stringify(events)).not.toContain(key);
      for (const f of dbFiles) expect(readFileSync(join(t!.dataDir, f)).includes(key), f).toBe(false);
      expect(log).not.toContain(key);
    }
  });
});
