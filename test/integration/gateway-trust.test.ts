// Issue 27, "Trust the gateway": a hostile probe's holes, each reproduced against a core on a real port
// with remote emulators that record what they received. This file: bodies that could crash the process,
// keys that could follow redirects or go to forbidden destinations, keys validated at input, settings
// typos, and serving only what was validated.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRemoteEmulator, type RemoteDialect, type RemoteEmulator } from '../fixtures/remote/server.mjs';
import { startTestCore, type TestCore } from '../support/core';

const DIALECTS: RemoteDialect[] = ['openai', 'gemini', 'anthropic', 'kserve'];
const MODEL: Record<RemoteDialect, string> = { openai: 'gpt-4o-mini', gemini: 'gemini-2.0-flash', anthropic: 'claude-haiku-4-5', kserve: 'qwen3-8b' };

let elsewhere: RemoteEmulator; // the host a redirect points to: it must never hear from Switchyard
const emulators = {} as Record<RemoteDialect, RemoteEmulator>;
let t: TestCore | null = null;
let base = '';

beforeAll(async () => {
  elsewhere = await startRemoteEmulator({ dialect: 'openai' });
  for (const d of DIALECTS) emulators[d] = await startRemoteEmulator({ dialect: d, keys: [`${d}-test-key-0123456789`] });
});
afterAll(async () => {
  await Promise.all([elsewhere.close(), ...DIALECTS.map((d) => emulators[d].close())]);
});
afterEach(async () => {
  await t?.close();
  t = null;
  elsewhere.reset();
  for (const d of DIALECTS) emulators[d].reset();
});

async function start(): Promise<TestCore> {
  t = await startTestCore({ env: { SWITCHYARD_OFFLINE: '0' }, seams: { remote: { timeoutMs: 3_000 } } });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  return t;
}

async function register(id: string, e: RemoteEmulator, activate = true): Promise<void> {
  const created = await t!.call('POST', '/api/v1/remote-providers', { id, kind: e.dialect, base_url: e.baseUrl, api_key: e.keys[0] });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const v = await t!.call<{ validation: { ok: boolean; message: string } }>('POST', `/api/v1/remote-providers/${id}/validate`, {});
  expect(v.body.validation.ok, v.body.validation.message).toBe(true);
  if (activate) expect((await t!.call('POST', '/api/v1/system/llm-runtime/active', { provider: id, model: MODEL[e.dialect] })).status).toBe(200);
}

async function raw(path: string, body: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${t!.token}`, 'content-type': 'application/json' }, body });
  return { status: res.status, text: await res.text() };
}
const chat = (model: string, extra: Record<string, unknown> = {}) => raw('/v1/chat/completions', JSON.stringify({ model, messages: [{ role: 'user', content: 'secret prompt' }], ...extra }));

describe('no body can crash it', () => {
  it('refuses a body nested 5,000 deep (no model field) with a 400, on the fast path and through Fastify, and keeps serving', async () => {
    await start();
    await register('oa', emulators.openai);
    const deep = `{"messages":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    for (const r of [await raw('/v1/chat/completions', deep), await raw('/v1/embeddings', deep)]) {
      expect(r.status).toBe(400);
      expect(JSON.parse(r.text).error).toMatchObject({ type: 'invalid_request_error', code: 'nesting_too_deep' });
    }
    const injected = await t!.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${t!.token}`, 'content-type': 'application/json' }, payload: deep });
    expect(injected.statusCode).toBe(400);
    // brackets inside strings are text, not depth
    expect((await chat(MODEL.openai, { user: '['.repeat(5000) })).status).toBe(200);
    expect(emulators.openai.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});

describe('keys never leave the validated origin', () => {
  it.each([301, 302, 303, 307, 308] as const)('a %i from any dialect fails with `redirected`, and the other host hears nothing: validation, chat, stream, test prompt', async (status) => {
    await start();
    for (const d of DIALECTS) {
      const e = emulators[d];
      await register(d, e, false);
      e.setKnobs({ redirectStatus: status, redirectTo: elsewhere.origin });

      const v = await t!.call<{ validation: { ok: boolean; reason_code: string; message: string } }>('POST', `/api/v1/remote-providers/${d}/validate`, {});
      expect(v.body.validation).toMatchObject({ ok: false, reason_code: 'redirected' });
      expect(v.body.validation.message).toContain(elsewhere.origin.replace('http://', ''));

      // the validation that passed before the redirect was set still lets the route be served
      e.setKnobs({ redirectStatus: null });
      await t!.call('POST', `/api/v1/remote-providers/${d}/validate`, {});
      expect((await t!.call('POST', '/api/v1/system/llm-runtime/active', { provider: d, model: MODEL[d] })).status).toBe(200);
      e.setKnobs({ redirectStatus: status, redirectTo: elsewhere.origin });
      for (const stream of [false, true]) {
        const r = await chat(MODEL[d], { stream });
        expect(r.status, r.text).toBe(502);
        expect(JSON.parse(r.text).error).toMatchObject({ code: 'redirected', message: expect.stringContaining('base_url') });
      }
      const test = await t!.call<{ result: { ok: boolean; error: { code: string } } }>('POST', `/api/v1/remote-providers/${d}/test`, { model: MODEL[d] });
      expect(test.body.result).toMatchObject({ ok: false, error: { code: 'redirected' } });
      expect((await t!.app.inject({ method: 'GET', url: '/v1/models', headers: { authorization: `Bearer ${t!.token}` } })).statusCode).toBe(200);
    }
    expect(elsewhere.requests).toEqual([]);
    expect(elsewhere.connections).toBe(0);
  });
});

describe('serve only what was validated', () => {
  it('a base URL or key changed while serving gets 409 validation_stale and nothing is sent anywhere until a validation passes', async () => {
    await start();
    await register('oa', emulators.openai);
    expect((await chat(MODEL.openai)).status).toBe(200);
    const before = emulators.openai.requests.length;

    await t!.call('PATCH', '/api/v1/remote-providers/oa', { base_url: elsewhere.baseUrl });
    for (const stream of [false, true]) {
      const r = await chat(MODEL.openai, { stream });
      expect(r.status).toBe(409);
      expect(JSON.parse(r.text).error).toMatchObject({ code: 'validation_stale', message: expect.stringMatching(/validate it again/) });
    }
    expect(elsewhere.requests).toEqual([]);
    expect(emulators.openai.requests.length).toBe(before);
    // /v1/models asks no remote upstream, so no key goes to the new address for a listing either
    await t!.app.inject({ method: 'GET', url: '/v1/models', headers: { authorization: `Bearer ${t!.token}` } });
    expect(elsewhere.requests).toEqual([]);

    // back to the validated address, but with another key: stale again
    await t!.call('PATCH', '/api/v1/remote-providers/oa', { base_url: emulators.openai.baseUrl, api_key: 'sk-another-key-0000000000' });
    expect(JSON.parse((await chat(MODEL.openai)).text).error.code).toBe('validation_stale');
    expect(emulators.openai.requests.length).toBe(before);
    await t!.call('PATCH', '/api/v1/remote-providers/oa', { api_key: emulators.openai.keys[0] });
    const v = await t!.call<{ validation: { ok: boolean } }>('POST', '/api/v1/remote-providers/oa/validate', { model: MODEL.openai });
    expect(v.body.validation.ok).toBe(true);
    expect((await chat(MODEL.openai)).status).toBe(200);
  });
});

describe('destinations', () => {
  it('refuses metadata and link-local addresses in every spelling, and Switchyard itself, with 422 destination_not_allowed', async () => {
    await start();
    const port = new URL(base).port;
    const forbidden = [
      'http://169.254.169.254/v1',
      'http://169.254.10.1:8000/v1',
      'http://[fd00:ec2::254]/v1',
      'http://[fe80::1]/v1',
      'http://[::ffff:169.254.169.254]/v1',
      'http://[::ffff:a9fe:a9fe]/v1',
      'http://metadata.google.internal/computeMetadata/v1',
      'http://METADATA.GOOGLE.INTERNAL./v1',
      'http://2852039166/v1', // decimal
      'http://0xa9fea9fe/v1', // hex
      'http://0251.0376.0251.0376/v1', // octal
      'http://0xa9.0xfe.0xa9.0xfe/v1',
      'http://100.100.100.200/v1',
      `http://127.0.0.1:${port}/v1`,
      `http://localhost:${port}/v1`, // resolved: 127.0.0.1 or ::1, this server's port
      `http://127.1:${port}/v1`,
    ];
    for (const [i, url] of forbidden.entries()) {
      const r = await t!.call<{ error: { code: string; message: string } }>('POST', '/api/v1/remote-providers', { id: `p${i}`, kind: 'openai_compatible', base_url: url });
      expect(r.status, url).toBe(422);
      expect(r.body.error.code, url).toBe('destination_not_allowed');
    }
    // a PATCH is held to the same rule; loopback on another port and private ranges stay allowed
    await register('ok', emulators.kserve, false);
    const patched = await t!.call<{ error: { code: string } }>('PATCH', '/api/v1/remote-providers/ok', { base_url: 'http://[0:0:0:0:0:ffff:a9fe:a9fe]/v1' });
    expect(patched.body.error.code).toBe('destination_not_allowed');
    for (const [i, url] of ['http://10.0.0.5:8000/v1', 'http://192.168.1.20/v1', 'http://127.0.0.1:8001/v1', 'https://gpu-node.internal/v1'].entries()) {
      expect((await t!.call('POST', '/api/v1/remote-providers', { id: `fine${i}`, kind: 'openai_compatible', base_url: url })).status, url).toBe(201);
    }
    expect((await t!.call('GET', '/api/v1/remote-providers')).status).toBe(200);
  });

  it('checks the connection itself: a provider whose address leads back to Switchyard is refused when it connects', async () => {
    await start();
    const port = Number(new URL(base).port);
    // an address that passed its check when stored, then turned out to reach Switchyard (e.g. DNS changed):
    // the peer is checked on connect, before a byte is sent
    let reached = 0;
    const other = http.createServer((_req, res) => {
      reached++;
      res.end('{}');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const otherPort = (other.address() as AddressInfo).port;
    t!.core.self.add('127.0.0.1', otherPort);
    expect(port).not.toBe(otherPort);
    await expect(t!.core.remote.providers.create({ id: 'loop', kind: 'openai_compatible', base_url: `http://127.0.0.1:${otherPort}/v1` })).rejects.toMatchObject({ code: 'destination_not_allowed' });
    // the guard under the same rule, for an address stored before it was ours
    await expect(t!.core.net.request(`http://127.0.0.1:${otherPort}/v1/models`, { method: 'GET', headers: {} })).rejects.toMatchObject({ code: 'destination_not_allowed' });
    expect(reached).toBe(0);
    await new Promise<void>((resolve) => other.close(() => resolve()));
  });
});

describe('keys are validated at input', () => {
  it('refuses control characters; a mask-looking key unless it is the current mask; short keys show at most 4 characters', async () => {
    await start();
    const e = emulators.openai;
    const nul = await t!.call<{ error: { code: string; message: string } }>('POST', '/api/v1/remote-providers', { id: 'nul', kind: 'openai', base_url: e.baseUrl, api_key: 'sk-abc\u0000def-0123456789' });
    expect(nul.status).toBe(400);
    expect(nul.body.error.message).not.toContain('sk-abc');
    expect((await t!.call('GET', '/api/v1/remote-providers')).body).toMatchObject({ providers: [] });

    const ellipsis = await t!.call<{ error: { message: string } }>('POST', '/api/v1/remote-providers', { id: 'ell', kind: 'openai', base_url: e.baseUrl, api_key: 'sk-…7890' });
    expect(ellipsis.status).toBe(400);
    expect(ellipsis.body.error.message).toMatch(/masked key/);

    const twelve = 'abcdefgh1234';
    const created = await t!.call<{ provider: { api_key: string } }>('POST', '/api/v1/remote-providers', { id: 'short', kind: 'openai', base_url: e.baseUrl, api_key: twelve });
    expect(created.body.provider.api_key).toBe('…1234');
    const nineteen = 'abcdefghijklmno5678';
    const p = await t!.call<{ provider: { api_key: string } }>('PATCH', '/api/v1/remote-providers/short', { api_key: nineteen });
    expect(p.body.provider.api_key).toBe('…5678');
    // the current mask keeps the key; another mask is refused and changes nothing
    expect((await t!.call<{ provider: { api_key: string } }>('PATCH', '/api/v1/remote-providers/short', { api_key: '…5678' })).body.provider.api_key).toBe('…5678');
    expect((await t!.call('PATCH', '/api/v1/remote-providers/short', { api_key: '…9999' })).status).toBe(400);
    expect(t!.core.remote.providers.target('short').key).toBe(nineteen);
    const long = 'sk-proj-0123456789abcdefghij';
    expect((await t!.call<{ provider: { api_key: string } }>('PATCH', '/api/v1/remote-providers/short', { api_key: long })).body.provider.api_key).toBe('sk-…ghij');
  });
});

describe('settings', () => {
  it('refuses unknown keys in every group, naming the key, and changes nothing', async () => {
    await start();
    const before = (await t!.call('GET', '/api/v1/settings')).body;
    for (const body of [{ nonsense: 1 }, { downloads: { bogus: true } }, { runtime: { stopGraceMs: 5000, typo: 1 } }, { providers: { budgetHard: 5 } }]) {
      const r = await t!.call<{ error: { code: string; message: string } }>('PATCH', '/api/v1/settings', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      const key = Object.keys(body).length === 1 && typeof Object.values(body)[0] === 'object' ? Object.keys(Object.values(body)[0] as object).at(-1)! : Object.keys(body)[0]!;
      expect(r.body.error.message).toContain(key);
    }
    expect((await t!.call('GET', '/api/v1/settings')).body).toEqual(before);
  });
});
