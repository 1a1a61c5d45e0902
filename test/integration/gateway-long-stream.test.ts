// Issue 27: `first_byte_timeout_s` bounds the wait for the first byte only, and the idle timeout the gaps
// between chunks: a healthy 90 s stream is not cut (it was, at 60 s), however short the first-byte limit.
// It takes 90 s of wall time and almost no CPU: a file of its own, so it runs beside the others.
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, expect, it } from 'vitest';
import { startRemoteEmulator, type RemoteEmulator } from '../fixtures/remote/server.mjs';
import { startTestCore, type TestCore } from '../support/core';

let oa: RemoteEmulator | null = null;
let t: TestCore | null = null;
afterAll(async () => {
  await t?.close();
  await oa?.close();
});

it('a healthy 90 s stream with first_byte_timeout_s: 5 arrives whole; a slow first byte still times out', { timeout: 180_000 }, async () => {
  oa = await startRemoteEmulator({ dialect: 'openai' });
  t = await startTestCore({ env: { SWITCHYARD_OFFLINE: '0' } });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  expect((await t.call('POST', '/api/v1/remote-providers', { id: 'oa', kind: 'openai', base_url: oa.baseUrl, api_key: oa.keys[0], governance: { first_byte_timeout_s: 5, idle_timeout_s: 10 } })).status).toBe(201);
  expect((await t.call<{ validation: { ok: boolean } }>('POST', '/api/v1/remote-providers/oa/validate', {})).body.validation.ok).toBe(true);
  expect((await t.call('POST', '/api/v1/system/llm-runtime/active', { provider: 'oa', model: 'gpt-4o-mini' })).status).toBe(200);
  const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: t.token, maxRetries: 0, timeout: 170_000 });

  oa.setKnobs({ streamChunks: 90, chunkDelayMs: 1_000 });
  const started = Date.now();
  const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'a long one' }], stream: true });
  let chunks = 0;
  for await (const chunk of stream) if (chunk.choices[0]?.delta?.content) chunks++;
  expect(chunks).toBe(90);
  expect(Date.now() - started).toBeGreaterThanOrEqual(89_000);

  // the first-byte limit itself still holds
  oa.setKnobs({ streamChunks: null, chunkDelayMs: 0, headerDelayMs: 8_000 });
  const late = (await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
  expect(late.status).toBe(504);
  expect(late.message).toMatch(/did not begin to answer within 5 s/);
});
