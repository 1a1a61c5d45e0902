import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageDay } from '../../src/shared/api/system';
import { startTestCore, type TestCore } from '../support/core';
import { waitFor } from '../support/wait';

const MODEL = 'org/tiny';
const TOKEN_DELAY_MS = 60;
let t: TestCore;
let client: OpenAI;
let runtimeUrl: string;

async function vllmMetric(pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${runtimeUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => pattern.test(l));
  return line ? Number(line.split(' ').pop()) : NaN;
}

beforeAll(async () => {
  t = await startTestCore({ env: { EMU_START_DELAY_MS: '100', EMU_TOKEN_DELAY_MS: String(TOKEN_DELAY_MS) }, seams: { usageFlushIntervalMs: 3_600_000 } });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (t.app.server.address() as AddressInfo).port;
  client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: t.token, maxRetries: 0 });
});
afterAll(async () => {
  await t?.close();
});

describe('OpenAI-compatible endpoint', () => {
  it('answers in OpenAI style while no model is active: 503 without a model, 404 for one that is not loaded', async () => {
    const err = await client.chat.completions.create({ model: 'org/other', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(404);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('model_not_found');
    const raw = await t.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${t.token}` }, payload: { messages: [] } });
    expect(raw.json()).toEqual({ error: { message: expect.stringMatching(/activate/i), type: 'service_unavailable', param: 'model', code: 'no_active_model' } });
    expect((await client.models.list()).data).toEqual([]);
  });

  it('routes to the active runtime: models, non-stream chat, completions, embeddings', async () => {
    const info = await t.core.runtimes.activate('vllm', { model: MODEL });
    runtimeUrl = info.base_url;
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual([MODEL]);
    expect(models.data[0]).toMatchObject({ owned_by: 'vllm', max_model_len: 4096 });

    const chat = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'ping pong' }] });
    expect(chat.model).toBe(MODEL);
    expect(chat.choices[0]!.message.content).toBe(`Hello from ${MODEL}! You said: ping pong`);
    expect(chat.usage?.completion_tokens).toBeGreaterThan(0);

    const completion = await client.completions.create({ model: MODEL, prompt: 'once upon', max_tokens: 3 });
    expect(completion.choices[0]!.finish_reason).toBe('length');

    const emb = await client.embeddings.create({ model: 'tiny', input: ['a', 'b'] }); // short alias of org/tiny
    expect(emb.data).toHaveLength(2);
  });

  it('answers an unknown model with an OpenAI-style 404', async () => {
    const err = await client.chat.completions.create({ model: 'other/model', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
    expect((err as Error).message).toMatch(/org\/tiny/);
  });

  it('streams chunk by chunk through the official client, nothing held back', async () => {
    const stream = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'tell me a story' }], stream: true, stream_options: { include_usage: true } });
    const arrivals: number[] = [];
    let text = '';
    let usage: { completion_tokens: number } | null | undefined = null;
    for await (const chunk of stream) {
      arrivals.push(performance.now());
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(`Hello from ${MODEL}! You said: tell me a story`);
    expect(usage?.completion_tokens).toBe(9);
    // tokens are produced every TOKEN_DELAY_MS upstream; they must arrive spread out, not in one burst
    const gaps = arrivals.slice(1).map((a, i) => a - arrivals[i]!);
    expect(gaps.filter((g) => g > TOKEN_DELAY_MS / 2).length).toBeGreaterThanOrEqual(6);
  });

  it('cancels the upstream request when the client disconnects', async () => {
    const abortsBefore = await vllmMetric(/^vllm:request_success_total\{.*finished_reason="abort"/);
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: MODEL, messages: [{ role: 'user', content: 'a long answer please' }], stream: true },
      { signal: controller.signal },
    );
    let chunks = 0;
    try {
      for await (const _ of stream) {
        if (++chunks === 2) controller.abort();
      }
    } catch {
      // openai@5 may end the iteration or throw an abort error; either is fine
    }
    expect(chunks).toBe(2);
    const deadline = Date.now() + 5_000;
    while ((await vllmMetric(/^vllm:request_success_total\{.*finished_reason="abort"/)) <= abortsBefore) {
      if (Date.now() > deadline) throw new Error('upstream request was not aborted');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await vllmMetric(/^vllm:num_requests_running\{/)).toBe(0);
  });

  it('rolls usage up per model and day, and exposes Prometheus metrics', async () => {
    // the aborted request is recorded once its upstream side has closed
    const row = await waitFor(async () => {
      const res = await t.call<{ days: UsageDay[] }>('GET', '/api/v1/models/usage/daily?days=7');
      expect(res.status).toBe(200);
      const found = res.body.days.find((d) => d.model === MODEL);
      return found && found.requests >= 5 ? found : null;
    }, 'five requests recorded in the daily usage');
    expect(row).toMatchObject({ day: new Date().toISOString().slice(0, 10), runtime: 'vllm', requests: 5, errors: 1, cost_usd: null });
    expect(row.prompt_tokens).toBeGreaterThan(0);
    expect(row.completion_tokens).toBeGreaterThanOrEqual(8 + 3 + 9);
    expect(row.latency_p50_ms).toBeGreaterThan(TOKEN_DELAY_MS);
    expect(row.latency_p99_ms).toBeGreaterThanOrEqual(row.latency_p50_ms!);
    expect(row.ttft_p50_ms).not.toBeNull();
    expect(row.ttft_p50_ms!).toBeLessThan(row.latency_p50_ms!);
    // first token = first chunk with text (after one token delay), not the role-only opening chunk
    expect(row.ttft_p50_ms!).toBeGreaterThan(TOKEN_DELAY_MS / 2);

    // flushed rows merge with later traffic (read-merge-write)
    await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'again' }] });
    t.core.usage.flush();
    const again = await t.call<{ days: UsageDay[] }>('GET', '/api/v1/models/usage/daily');
    expect(again.body.days.find((d) => d.model === MODEL)!.requests).toBe(6);

    const metrics = await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${t.token}` } });
    expect(metrics.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(metrics.body).toMatch(/switchyard_openai_requests_total\{model="org\/tiny",runtime="vllm",endpoint="chat.completions",status="200"\} 3/);
    expect(metrics.body).toMatch(/switchyard_openai_requests_total\{model="org\/tiny",runtime="vllm",endpoint="chat.completions",status="499"\} 1/);
    expect(metrics.body).toMatch(/switchyard_openai_request_duration_seconds_count\{model="org\/tiny",runtime="vllm"\} 5/);
    expect(metrics.body).toContain('switchyard_runtime_up{runtime="vllm"} 1');
    expect(metrics.body).toContain('switchyard_runtime_state{runtime="vllm",state="ready"} 1');
    const unauthorized = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(unauthorized.statusCode).toBe(401);
  });

  it('answers a body that is not a JSON object with an OpenAI-style 400, and forwards valid ones as they are', async () => {
    const post = (payload: string) =>
      t.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' }, payload });
    for (const payload of ['{"model": "org/tiny", "messages": [', '[1, 2]', '']) {
      const res = await post(payload);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: { type: 'invalid_request_error', message: expect.stringMatching(/JSON/) } });
    }
    // fields in any order, unknown ones too: the bytes go upstream as they came (the proxy reads only `model`)
    const res = await post('{"messages":[{"role":"user","content":"ping pong"}],"model":"org/tiny","x_extra":{"kept":true}}');
    expect(res.statusCode).toBe(200);
    expect(res.json().choices[0].message.content).toBe(`Hello from ${MODEL}! You said: ping pong`);
  });

  it('over HTTP, a wrong token, another content type or an oversized body get the same answers as through Fastify', async () => {
    const base = client.baseURL;
    const body = JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] });
    const post = (headers: Record<string, string>, payload: string = body, path = '/chat/completions') => fetch(`${base}${path}`, { method: 'POST', headers, body: payload });
    const wrong = await post({ 'content-type': 'application/json', authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    const text = await post({ 'content-type': 'text/plain', authorization: `Bearer ${t.token}` });
    expect(text.status).toBe(400); // Fastify reads it as text: not a JSON object
    const big = await post({ 'content-type': 'application/json', authorization: `Bearer ${t.token}` }, ' '.repeat(33 * 1024 * 1024));
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe('request_too_large');
    const query = await post({ 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${t.token}` }, body, '/chat/completions?x=1');
    expect(query.status).toBe(200);
  });
});
