// Issue 27, "Trust the gateway": clients and upstreams that cannot hurt it. Stalled and plain disconnects
// are billed and leave nothing in flight; concurrent requests cannot take spend past a hard budget or
// tokens past tpm; a gigabyte (or a gzip bomb) of error body costs 64 KiB; a runtime that hangs releases
// the requests waiting on it at once.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../src/main/runtimes/process-group';
import { startRemoteEmulator, type RemoteEmulator } from '../fixtures/remote/server.mjs';
import { startTestCore, type TestCore } from '../support/core';
import { waitFor } from '../support/wait';

let oa: RemoteEmulator;
let t: TestCore | null = null;
let base = '';
const suspended: number[] = [];

beforeAll(async () => {
  oa = await startRemoteEmulator({ dialect: 'openai' });
});
afterAll(async () => {
  await oa.close();
});
afterEach(async () => {
  for (const pid of suspended.splice(0)) if (isAlive(pid)) process.kill(pid, 'SIGCONT');
  await t?.close();
  t = null;
  oa.reset();
});

async function start(options: Parameters<typeof startTestCore>[0] = {}): Promise<TestCore> {
  t = await startTestCore({ ...options, env: { SWITCHYARD_OFFLINE: '0', ...options.env }, seams: { remote: { timeoutMs: 5_000 }, ...options.seams } });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  return t;
}

async function serveOpenAi(governance: Record<string, unknown> = {}): Promise<void> {
  expect((await t!.call('POST', '/api/v1/remote-providers', { id: 'oa', kind: 'openai', base_url: oa.baseUrl, api_key: oa.keys[0], governance })).status).toBe(201);
  const v = await t!.call<{ validation: { ok: boolean; message: string } }>('POST', '/api/v1/remote-providers/oa/validate', {});
  expect(v.body.validation.ok, v.body.validation.message).toBe(true);
  expect((await t!.call('POST', '/api/v1/system/llm-runtime/active', { provider: 'oa', model: 'gpt-4o-mini' })).status).toBe(200);
}

const body = (extra: Record<string, unknown> = {}) => JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'one two three four' }], ...extra });
async function chat(extra: Record<string, unknown> = {}): Promise<{ status: number; text: string }> {
  const res = await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${t!.token}`, 'content-type': 'application/json' }, body: body(extra) });
  return { status: res.status, text: await res.text() };
}

async function inFlight(): Promise<number> {
  return Number(/switchyard_openai_requests_in_flight (\d+)/.exec(await metricsText())?.[1] ?? NaN);
}
async function metricsText(): Promise<string> {
  const res = await t!.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${t!.token}` } });
  return res.body;
}
const spend = async () =>
  (await t!.call<{ provider: { spend: { requests: number; errors: number; prompt_tokens: number; completion_tokens: number; cost_usd: number } } }>('GET', '/api/v1/remote-providers/oa')).body.provider.spend;

/** A client on a raw socket: sends a streamed chat, reads the head, then stops reading. */
function stallingClient(): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(new URL(base).port), '127.0.0.1', () => {
      const payload = body({ stream: true });
      socket.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:${new URL(base).port}\r\nAuthorization: Bearer ${t!.token}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`);
    });
    socket.once('data', (head: Buffer) => {
      socket.pause(); // and never reads again
      if (!head.toString('latin1').startsWith('HTTP/1.1 200')) reject(new Error(`not a stream: ${head.toString('latin1').slice(0, 200)}`));
      else resolve(socket);
    });
    socket.on('error', reject);
  });
}

describe('one streaming loop, never stuck', () => {
  it('five clients that stop reading, then disconnect: each request is recorded and billed, in-flight returns to 0', async () => {
    await start();
    await serveOpenAi({ price: { input_per_mtok: 1e6, output_per_mtok: 1e6 } });
    // a long answer in big chunks: more than the sockets between the client and the upstream can hold
    oa.setKnobs({ streamChunks: 4000, chunkPadBytes: 8192 });
    const clients = [];
    for (let i = 0; i < 5; i++) clients.push(await stallingClient());
    await waitFor(() => oa.backpressured >= 5, 'the upstream held back by all five stalled clients', 30_000);
    expect(await inFlight()).toBe(5);
    for (const c of clients) c.destroy();
    await waitFor(async () => (await inFlight()) === 0, 'no request in flight');
    const s = await spend();
    expect(s.requests).toBe(5);
    // a client that left is not the provider's fault: no error (stream_cut) recorded
    expect(s.errors).toBe(0);
    expect(s.prompt_tokens).toBeGreaterThan(0);
    expect(s.completion_tokens).toBeGreaterThan(0);
    expect(s.cost_usd).toBeGreaterThan(0);
    const metrics = await metricsText();
    expect(metrics).toMatch(/switchyard_openai_requests_total\{model="oa\/gpt-4o-mini",runtime="remote",endpoint="chat.completions",status="499"\} 5/);
  });

  it('a plain disconnect after the first chunk records the prompt it sent', async () => {
    await start();
    await serveOpenAi();
    oa.setKnobs({ streamChunks: 50, chunkDelayMs: 20 });
    const abort = new AbortController();
    const res = await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${t!.token}`, 'content-type': 'application/json' }, body: body({ stream: true }), signal: abort.signal });
    const reader = res.body!.getReader();
    await reader.read();
    abort.abort();
    await waitFor(async () => (await inFlight()) === 0, 'no request in flight');
    const s = await spend();
    expect(s.requests).toBe(1);
    expect(s.errors).toBe(0);
    expect(s.prompt_tokens).toBeGreaterThan(0);
  });
});

describe('budgets and tpm that hold under concurrency', () => {
  it('20 concurrent requests against a hard budget (the provider’s, then the global one): spend never passes it', async () => {
    await start();
    // $1 per token: each request is reserved at ~(prompt estimate + max_tokens 10) dollars, and costs 4 + 4
    await serveOpenAi({ price: { input_per_mtok: 1e6, output_per_mtok: 1e6 }, budget: { hard_usd: 50, period: 'day' } });
    oa.setKnobs({ headerDelayMs: 200 }); // all twenty are in flight together
    const answers = await Promise.all(Array.from({ length: 20 }, () => chat({ max_tokens: 10 })));
    const ok = answers.filter((a) => a.status === 200).length;
    expect(ok).toBeGreaterThan(0);
    for (const a of answers.filter((x) => x.status !== 200)) {
      expect(a.status).toBe(429);
      expect(JSON.parse(a.text).error.code).toBe('budget_exceeded');
    }
    const s = await spend();
    expect(s.cost_usd).toBeLessThanOrEqual(50);
    expect(oa.requests.filter((r) => r.method === 'POST').length).toBe(ok);

    // the global line, over every provider
    await t!.call('PATCH', '/api/v1/remote-providers/oa', { governance: { price: { input_per_mtok: 1e6, output_per_mtok: 1e6 } } });
    await t!.call('PATCH', '/api/v1/settings', { providers: { budgetHardUsd: s.cost_usd + 50, budgetPeriod: 'day' } });
    const more = await Promise.all(Array.from({ length: 20 }, () => chat({ max_tokens: 10 })));
    expect(more.filter((a) => a.status === 200).length).toBeGreaterThan(0);
    expect((await spend()).cost_usd).toBeLessThanOrEqual(s.cost_usd + 50);
  });

  it('tpm without max_tokens: each request is capped and reserved, 20 at once stay within the limit', async () => {
    await start();
    await serveOpenAi({ tpm: 3000 });
    oa.setKnobs({ headerDelayMs: 200 });
    const answers = await Promise.all(Array.from({ length: 20 }, () => chat()));
    const sent = oa.requests.filter((r) => r.method === 'POST').map((r) => r.body as { max_completion_tokens?: number; messages: unknown });
    expect(sent.length).toBe(answers.filter((a) => a.status === 200).length);
    expect(sent.length).toBeGreaterThan(0);
    // every request left with a cap, and what may be generated in the minute fits the limit
    const reserved = sent.reduce((n, b) => n + (b.max_completion_tokens ?? Infinity) + Math.ceil(JSON.stringify(b.messages).length / 4), 0);
    expect(reserved).toBeLessThanOrEqual(3000);
    for (const a of answers.filter((x) => x.status !== 200)) expect(JSON.parse(a.text).error.code).toBe('rate_limited');
  });
});

describe('bounded upstream bodies', () => {
  it('a 1 GiB error body and a gzip bomb cost at most 64 KiB each, in chat and validation; the API keeps answering', async () => {
    await start();
    await serveOpenAi();
    const rss = process.memoryUsage().rss;
    for (const errorGzip of [false, true]) {
      oa.setKnobs({ failStatus: 500, failOn: 'inference', errorBodyBytes: 1024 ** 3, errorGzip });
      const [answer, health] = await Promise.all([chat(), fetch(`${base}/healthz`)]);
      expect(health.status).toBe(200);
      expect(answer.status).toBe(502);
      expect(JSON.parse(answer.text).error.message.length).toBeLessThan(600);
      // the upstream was cut off long before it could send its gigabyte
      expect(oa.errorBytesSent).toBeLessThan(256 * 1024 ** 2);
      oa.reset();
      oa.setKnobs({ failStatus: 500, failOn: 'models', errorBodyBytes: 1024 ** 3, errorGzip });
      const v = await t!.call<{ validation: { ok: boolean; message: string } }>('POST', '/api/v1/remote-providers/oa/validate', {});
      expect(v.body.validation.ok).toBe(false);
      expect(v.body.validation.message.length).toBeLessThan(600);
      oa.reset();
      expect((await t!.call<{ validation: { ok: boolean } }>('POST', '/api/v1/remote-providers/oa/validate', {})).body.validation.ok).toBe(true);
    }
    expect(process.memoryUsage().rss - rss).toBeLessThan(100 * 1024 ** 2);
  });

  it('a model list of 200,000 ids keeps 5,000 and says so', async () => {
    await start();
    oa.setKnobs({ extraModels: 200_000 });
    await t!.call('POST', '/api/v1/remote-providers', { id: 'oa', kind: 'openai', base_url: oa.baseUrl, api_key: oa.keys[0] });
    const v = await t!.call<{ validation: { ok: boolean; models: string[]; message: string; steps: { step: string; status: string; message: string }[] } }>('POST', '/api/v1/remote-providers/oa/validate', { model: 'gpt-4o-mini' });
    expect(v.body.validation.ok).toBe(true);
    expect(v.body.validation.models.length).toBe(5_000);
    expect(v.body.validation.models).toContain('gpt-4o-mini');
    expect(v.body.validation.steps.find((s) => s.step === 'parse')).toMatchObject({ status: 'warning', message: expect.stringMatching(/200003 model ids listed; the first 5000 are kept/) });
  });
});

describe('hung runtimes release their requests', () => {
  it('SIGSTOP of vLLM mid-request: the stream gets an error event and a waiting request a 504 runtime_unresponsive, long before any timeout', async () => {
    const TINY = 'org/tiny-model';
    await start({ hfModels: [TINY], env: { EMU_START_DELAY_MS: '100', EMU_TOKEN_DELAY_MS: '40' } });
    // timeouts far away: only the release can end these requests in time
    t!.core.settings.update({ runtime: { healthIntervalMs: 100, healthMisses: 2, proxyHeadersTimeoutMs: 600_000, proxyIdleTimeoutMs: 600_000 } });
    expect((await t!.call('POST', '/api/v1/models/activate', { name: TINY })).status).toBe(200);
    const pid = t!.core.runtimes.info('vllm').pid!;
    const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: t!.token, maxRetries: 0 });

    const stream = await client.chat.completions.create({ model: TINY, messages: [{ role: 'user', content: 'a long story please' }], stream: true });
    let waiting: Promise<unknown> | undefined;
    const failure = await (async () => {
      for await (const chunk of stream) {
        if (!chunk.choices[0]?.delta?.content || waiting) continue;
        suspended.push(pid);
        process.kill(pid, 'SIGSTOP');
        // a second request reaches the hung runtime and waits for its head
        waiting = client.chat.completions.create({ model: TINY, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
      }
    })().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect((failure as Error).message).toMatch(/stopped answering/);
    const second = (await waiting) as unknown as InstanceType<typeof OpenAI.APIError>;
    expect(second.status).toBe(504);
    expect(second.code).toBe('runtime_unresponsive');
    expect(t!.core.runtimes.info('vllm').state).toBe('unresponsive');
    await waitFor(async () => (await inFlight()) === 0, 'no request in flight');
  });
});
