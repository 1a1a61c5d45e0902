import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RemoteProvider, Validation } from '../../src/shared/api/remote';
import { startRemoteEmulator, TEST_CA_FILE, type RemoteEmulator } from '../fixtures/remote/server.mjs';
import { freePort, startTestCore, type TestCore } from '../support/core';

type ProviderBody = { provider: RemoteProvider };
type ValidationBody = { validation: Validation; provider: RemoteProvider };

const emulators: Record<string, RemoteEmulator> = {};
let t: TestCore | null = null;

beforeAll(async () => {
  for (const dialect of ['openai', 'gemini', 'anthropic', 'kserve'] as const) emulators[dialect] = await startRemoteEmulator({ dialect });
  emulators.anthropicPaged = await startRemoteEmulator({ dialect: 'anthropic', models: ['c-1', 'c-2', 'c-3', 'c-4', 'c-5'], knobs: { pageSize: 2 } });
  emulators.tls = await startRemoteEmulator({ dialect: 'openai', tls: true });
});
afterAll(async () => {
  for (const e of Object.values(emulators)) await e.close();
});
afterEach(async () => {
  await t?.close();
  t = null;
  for (const e of Object.values(emulators)) e.reset();
});

const online = (env: Record<string, string> = {}) => startTestCore({ env: { SWITCHYARD_OFFLINE: '0', ...env }, seams: { remote: { timeoutMs: 2_000 } } });
const steps = (v: Validation) => v.steps.map((s) => `${s.step}:${s.status}:${s.reason_code}`);

describe('remote providers: registry and keys', () => {
  it('stores the key write-only: masked with its source, the mask sent back keeps it, and the upstream gets it', async () => {
    t = await online();
    const e = emulators.openai!;
    const key = e.keys[0]!;
    const created = await t.call<ProviderBody>('POST', '/api/v1/remote-providers', { id: 'openai', kind: 'openai', base_url: e.baseUrl, api_key: key });
    expect(created.status).toBe(201);
    expect(created.body.provider).toMatchObject({ id: 'openai', api_key: 'ope…6789', api_key_source: 'settings', validation: { state: 'never' } });

    const v = await t.call<ValidationBody>('POST', '/api/v1/remote-providers/openai/validate', {});
    expect(v.body.validation.ok).toBe(true);
    expect(steps(v.body.validation)).toEqual(['url:ok:ok', 'offline:ok:ok', 'reachability:ok:ok', 'models:ok:ok', 'parse:ok:ok', 'model_check:ok:ok']);
    expect(v.body.validation.models).toEqual(e.models);
    expect(e.requests.at(-1)).toMatchObject({ method: 'GET', path: '/v1/models' });
    expect(e.requests.at(-1)!.headers.authorization).toBe(`Bearer ${key}`);

    // an edit form sends the mask back: the key stays, and so does the validation
    const patched = await t.call<ProviderBody>('PATCH', '/api/v1/remote-providers/openai', { api_key: 'ope…6789', governance: { rpm: 10 } });
    expect(patched.body.provider).toMatchObject({ api_key: 'ope…6789', validation: { state: 'current' }, governance: { rpm: 10 } });
    await t.call('POST', '/api/v1/remote-providers/openai/validate', {});
    expect(e.requests.at(-1)!.headers.authorization).toBe(`Bearer ${key}`);

    const everything = JSON.stringify([created.body, v.body, patched.body, (await t.call('GET', '/api/v1/remote-providers')).body, (await t.call('GET', '/api/v1/remote-providers/openai/validations')).body]);
    expect(everything).not.toContain(key);
    // Switchyard's own token never goes upstream
    expect(JSON.stringify(e.requests)).not.toContain(t.token);
  });

  it('reads the key from OPENAI_API_KEY, GEMINI_API_KEY before GOOGLE_API_KEY, ANTHROPIC_API_KEY, and says so', async () => {
    t = await online({ OPENAI_API_KEY: emulators.openai!.keys[0]!, GOOGLE_API_KEY: 'google-key-0000000000', GEMINI_API_KEY: emulators.gemini!.keys[0]!, ANTHROPIC_API_KEY: emulators.anthropic!.keys[0]! });
    const sources: Record<string, string | null> = {};
    for (const kind of ['openai', 'gemini', 'anthropic'] as const) {
      const r = await t.call<ProviderBody>('POST', '/api/v1/remote-providers', { id: `my-${kind}`, kind, base_url: emulators[kind]!.baseUrl });
      sources[kind] = r.body.provider.api_key_source;
      const v = await t.call<ValidationBody>('POST', `/api/v1/remote-providers/my-${kind}/validate`, {});
      expect(v.body.validation.ok, v.body.validation.message).toBe(true);
    }
    expect(sources).toEqual({ openai: 'env:OPENAI_API_KEY', gemini: 'env:GEMINI_API_KEY', anthropic: 'env:ANTHROPIC_API_KEY' });
    expect(emulators.gemini!.requests.at(-1)!.headers.authorization).toBe(`Bearer ${emulators.gemini!.keys[0]}`);
    // Anthropic: its own header pair, and no Authorization at all
    const a = emulators.anthropic!.requests.at(-1)!;
    expect(a.headers).toMatchObject({ 'x-api-key': emulators.anthropic!.keys[0], 'anthropic-version': '2023-06-01' });
    expect(a.headers.authorization).toBeUndefined();
    // a key stored in Switchyard wins over the environment
    const stored = await t.call<ProviderBody>('PATCH', '/api/v1/remote-providers/my-openai', { api_key: 'sk-stored-key-1234abcd' });
    expect(stored.body.provider).toMatchObject({ api_key: 'sk-…abcd', api_key_source: 'settings', validation: { state: 'stale' } });
  });

  it('refuses keys in the URL, credential headers, reserved ids, and a cluster kind without base_url', async () => {
    t = await online();
    const refuse = async (body: object, text: string) => {
      const r = await t!.call<{ error: { code: string; message: string } }>('POST', '/api/v1/remote-providers', body);
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.body.error.message).toContain(text);
    };
    await refuse({ id: 'leaky', kind: 'openai_compatible', base_url: 'https://user:sk-secret@gpu.example/v1' }, 'credentials');
    await refuse({ id: 'leaky', kind: 'gemini', base_url: 'https://generativelanguage.googleapis.com/v1beta/openai?key=AIza123' }, 'query');
    await refuse({ id: 'leaky', kind: 'openai_compatible', base_url: 'https://gpu.example/v1', headers: { 'X-Api-Key': 'x' } }, 'api_key');
    await refuse({ id: 'ollama', kind: 'openai' }, 'local provider');
    await refuse({ id: 'vllm', kind: 'openai' }, 'local provider');
    await refuse({ id: 'lab', kind: 'kserve' }, '/openai/v1');
    await refuse({ id: 'lab', kind: 'openai_compatible', base_url: 'ftp://gpu.example/v1' }, 'http');
    expect((await t.call<{ providers: unknown[] }>('GET', '/api/v1/remote-providers')).body.providers).toEqual([]);
  });
});

describe('remote providers: validation steps against each dialect', () => {
  it('lists Gemini ids without `models/`, follows Anthropic pages, and finds KServe under /openai/v1', async () => {
    t = await online({ GEMINI_API_KEY: emulators.gemini!.keys[0]!, ANTHROPIC_API_KEY: emulators.anthropic!.keys[0]! });
    await t.call('POST', '/api/v1/remote-providers', { id: 'gem', kind: 'gemini', base_url: emulators.gemini!.baseUrl });
    const g = await t.call<ValidationBody>('POST', '/api/v1/remote-providers/gem/validate', { model: 'gemini-2.0-flash' });
    expect(g.body.validation).toMatchObject({ ok: true, models: ['gemini-2.0-flash', 'gemini-2.5-pro', 'text-embedding-004'] });
    expect(emulators.gemini!.requests.at(-1)!.path).toBe('/v1beta/openai/models');

    await t.call('POST', '/api/v1/remote-providers', { id: 'claude', kind: 'anthropic', base_url: emulators.anthropicPaged!.baseUrl });
    // the paged emulator accepts only its own key
    await t.call('PATCH', '/api/v1/remote-providers/claude', { api_key: emulators.anthropicPaged!.keys[0] });
    const a = await t.call<ValidationBody>('POST', '/api/v1/remote-providers/claude/validate', {});
    expect(a.body.validation.models).toEqual(['c-1', 'c-2', 'c-3', 'c-4', 'c-5']);
    expect(emulators.anthropicPaged!.requests.map((r) => r.query.after_id ?? null)).toEqual([null, 'c-2', 'c-4']);

    const kserveUrl = emulators.kserve!.baseUrl;
    expect(kserveUrl.endsWith('/openai/v1')).toBe(true);
    await t.call('POST', '/api/v1/remote-providers', { id: 'lab-kserve', kind: 'kserve', base_url: kserveUrl });
    const k = await t.call<ValidationBody>('POST', '/api/v1/remote-providers/lab-kserve/validate', { model: 'qwen3-8b' });
    expect(k.body.validation).toMatchObject({ ok: true, models: ['qwen3-8b'] });
    // a KServe base without /openai/v1: the 404 says where the base must end
    await t.call('PATCH', '/api/v1/remote-providers/lab-kserve', { base_url: emulators.kserve!.origin });
    const wrong = await t.call<ValidationBody>('POST', '/api/v1/remote-providers/lab-kserve/validate', {});
    expect(wrong.body.validation).toMatchObject({ ok: false, reason_code: 'models_endpoint_not_found' });
    expect(wrong.body.validation.message).toContain('/openai/v1');
  });

  it('gives each failure its reason code at its step: 401, 403, Gemini bad key, 404, 429, 5xx, slow, unreachable, not listed', async () => {
    t = await online();
    const e = emulators.openai!;
    await t.call('POST', '/api/v1/remote-providers', { id: 'oa', kind: 'openai', base_url: e.baseUrl, api_key: e.keys[0] });
    const validate = async (body: object = {}) => (await t!.call<ValidationBody>('POST', '/api/v1/remote-providers/oa/validate', body)).body.validation;
    const failedStep = (v: Validation) => v.steps.find((s) => s.status === 'failed');

    for (const [status, reason] of [
      [401, 'auth_error'],
      [403, 'auth_error'],
      [404, 'models_endpoint_not_found'],
      [429, 'rate_limited'],
      [500, 'upstream_error'],
      [503, 'upstream_error'],
    ] as const) {
      e.setKnobs({ failStatus: status, failOn: 'models', retryAfter: 7 });
      const v = await validate();
      expect(v, `status ${status}`).toMatchObject({ ok: false, reason_code: reason });
      expect(failedStep(v)?.step).toBe('models');
      expect(v.steps.map((s) => s.step)).toEqual(['url', 'offline', 'reachability', 'models', 'parse', 'model_check']);
    }
    e.setKnobs({ failStatus: 429, failOn: 'models' });
    expect((await validate()).message).toContain('The key is valid');

    e.setKnobs({ failStatus: null, headerDelayMs: 5_000 });
    const slow = await validate();
    expect(slow).toMatchObject({ ok: false, reason_code: 'timeout' });
    expect(failedStep(slow)?.step).toBe('reachability');

    e.setKnobs({ headerDelayMs: 0 });
    expect(await validate({ model: 'gpt-5-imaginary' })).toMatchObject({ ok: false, reason_code: 'model_not_listed' });
    expect((await validate({ model: 'gpt-4o-mini' })).ok).toBe(true);

    // a wrong key: OpenAI echoes part of it in its message; the history never holds it
    await t.call('PATCH', '/api/v1/remote-providers/oa', { api_key: 'sk-wrong-key-abcdefgh12345678' });
    const refused = await validate();
    expect(refused.reason_code).toBe('auth_error');
    expect(JSON.stringify((await t.call('GET', '/api/v1/remote-providers/oa/validations')).body)).not.toContain('sk-wrong-key-abcdefgh12345678');

    const port = await freePort();
    await t.call('POST', '/api/v1/remote-providers', { id: 'gone', kind: 'openai_compatible', base_url: `http://127.0.0.1:${port}/v1` });
    const gone = (await t.call<ValidationBody>('POST', '/api/v1/remote-providers/gone/validate', {})).body.validation;
    expect(gone).toMatchObject({ ok: false, reason_code: 'unreachable' });
    expect(failedStep(gone)?.step).toBe('reachability');

    const gem = emulators.gemini!;
    await t.call('POST', '/api/v1/remote-providers', { id: 'gem', kind: 'gemini', base_url: gem.baseUrl, api_key: 'AIza-not-a-valid-key-000' });
    const badGemini = (await t.call<ValidationBody>('POST', '/api/v1/remote-providers/gem/validate', {})).body.validation;
    expect(badGemini).toMatchObject({ ok: false, reason_code: 'auth_error' });
    expect(badGemini.message).toContain('GEMINI_API_KEY');
  });

  it('accepts a /models-less endpoint with models added by hand, with a warning; warns about plain http off this machine', async () => {
    t = await online();
    const e = emulators.kserve!;
    e.setKnobs({ modelsMissing: true });
    await t.call('POST', '/api/v1/remote-providers', { id: 'bare', kind: 'openai_compatible', base_url: e.baseUrl });
    const without = (await t.call<ValidationBody>('POST', '/api/v1/remote-providers/bare/validate', {})).body.validation;
    expect(without).toMatchObject({ ok: false, reason_code: 'models_endpoint_not_found' });
    await t.call('PATCH', '/api/v1/remote-providers/bare', { models: ['qwen3-8b'] });
    const withManual = (await t.call<ValidationBody>('POST', '/api/v1/remote-providers/bare/validate', { model: 'qwen3-8b' })).body.validation;
    expect(withManual).toMatchObject({ ok: true, models: ['qwen3-8b'] });
    expect(steps(withManual)).toContain('models:warning:models_endpoint_not_found');
    const models = await t.call<{ models: { id: string; source: string }[] }>('GET', '/api/v1/remote-providers/bare/models');
    expect(models.body.models).toEqual([{ provider: 'bare', id: 'qwen3-8b', source: 'manual' }]);

    const lan = await t.call<ProviderBody>('POST', '/api/v1/remote-providers', { id: 'lan', kind: 'openai_compatible', base_url: 'http://10.0.0.7:8000/v1' });
    expect(lan.body.provider.warnings.join(' ')).toContain('unencrypted');
  });

  it('names the CA variables on an untrusted certificate, and trusts the CA given in NODE_EXTRA_CA_CERTS', async () => {
    const e = emulators.tls!;
    t = await online();
    await t.call('POST', '/api/v1/remote-providers', { id: 'tls', kind: 'openai', base_url: e.baseUrl, api_key: e.keys[0] });
    const untrusted = (await t.call<ValidationBody>('POST', '/api/v1/remote-providers/tls/validate', {})).body.validation;
    expect(untrusted).toMatchObject({ ok: false, reason_code: 'tls_error' });
    expect(untrusted.message).toContain('NODE_EXTRA_CA_CERTS');
    await t.close();

    t = await online({ NODE_EXTRA_CA_CERTS: TEST_CA_FILE });
    await t.call('POST', '/api/v1/remote-providers', { id: 'tls', kind: 'openai', base_url: e.baseUrl, api_key: e.keys[0] });
    const trusted = (await t.call<ValidationBody>('POST', '/api/v1/remote-providers/tls/validate', {})).body.validation;
    expect(trusted.ok, trusted.message).toBe(true);
    expect(trusted.steps[2]!.message).toContain('trusted TLS');
  });
});

describe('remote providers: staleness, history, offline', () => {
  it('makes a validation stale when the configuration changes; keeps the history append-only', async () => {
    t = await online();
    const e = emulators.openai!;
    await t.call('POST', '/api/v1/remote-providers', { id: 'oa', kind: 'openai', base_url: e.baseUrl, api_key: e.keys[0] });
    await t.call('POST', '/api/v1/remote-providers/oa/validate', {});
    expect((await t.call<ProviderBody>('GET', '/api/v1/remote-providers/oa')).body.provider.validation.state).toBe('current');
    // governance is not part of what a validation checked
    expect((await t.call<ProviderBody>('PATCH', '/api/v1/remote-providers/oa', { governance: { tpm: 1000 } })).body.provider.validation.state).toBe('current');
    // the same URL written differently is no change
    expect((await t.call<ProviderBody>('PATCH', '/api/v1/remote-providers/oa', { base_url: `${e.baseUrl}/` })).body.provider.validation.state).toBe('current');
    for (const change of [{ headers: { 'OpenAI-Organization': 'org-1' } }, { base_url: e.baseUrl.replace('127.0.0.1', 'localhost') }, { api_key: 'sk-another-key-00000000' }]) {
      await t.call('POST', '/api/v1/remote-providers/oa/validate', {});
      const after = (await t.call<ProviderBody>('PATCH', '/api/v1/remote-providers/oa', change)).body.provider;
      expect(after.validation.state, JSON.stringify(change)).toBe('stale');
      expect(after.validation.last!.current).toBe(false);
    }
    const history = (await t.call<{ validations: Validation[] }>('GET', '/api/v1/remote-providers/oa/validations')).body.validations;
    expect(history.length).toBe(4); // the first, then one before each change
    expect(history.map((v) => v.id)).toEqual([...history.map((v) => v.id)].sort((a, b) => b - a));
    expect(() => t!.core.db.prepare("UPDATE remote_validations SET ok = 1, reason_code = 'ok'").run()).toThrow(/append-only/);
    expect(() => t!.core.db.prepare('DELETE FROM remote_validations').run()).toThrow(/append-only/);

    // unregistering (disabled first) keeps the history; registering the id again starts a new one
    expect((await t.call('DELETE', '/api/v1/remote-providers/oa')).status).toBe(409);
    await t.call('PATCH', '/api/v1/remote-providers/oa', { enabled: false });
    expect((await t.call('DELETE', '/api/v1/remote-providers/oa')).status).toBe(200);
    expect((await t.call('GET', '/api/v1/remote-providers/oa')).status).toBe(404);
    expect(t.core.db.prepare('SELECT COUNT(*) AS n FROM remote_validations').get()).toEqual({ n: 4 });
    await t.call('POST', '/api/v1/remote-providers', { id: 'oa', kind: 'openai', base_url: e.baseUrl });
    expect((await t.call<{ validations: Validation[] }>('GET', '/api/v1/remote-providers/oa/validations')).body.validations).toEqual([]);
  });

  it('offline: validate and test are refused with zero connections; list, edit and delete still work', async () => {
    t = await startTestCore({ seams: { remote: { timeoutMs: 2_000 } } }); // the test core starts offline
    const e = emulators.openai!;
    expect((await t.call('POST', '/api/v1/remote-providers', { id: 'oa', kind: 'openai', base_url: e.baseUrl, api_key: e.keys[0] })).status).toBe(201);
    // refused and not recorded: offline says nothing about the provider (it is not marked failed)
    const v = await t.call<{ error: { code: string } }>('POST', '/api/v1/remote-providers/oa/validate', {});
    expect(v.body.error.code).toBe('offline');
    expect((await t.call<ProviderBody>('GET', '/api/v1/remote-providers/oa')).body.provider).toMatchObject({ validation: { state: 'never', last: null } });
    expect((await t.call<{ validations: unknown[] }>('GET', '/api/v1/remote-providers/oa/validations')).body.validations).toEqual([]);
    const test = await t.call<{ error: { code: string } }>('POST', '/api/v1/remote-providers/oa/test', { model: 'gpt-4o-mini' });
    expect(test.body.error.code).toBe('offline');
    expect((await t.call('GET', '/api/v1/remote-providers')).status).toBe(200);
    expect((await t.call<ProviderBody>('PATCH', '/api/v1/remote-providers/oa', { headers: { 'X-Team': 'a' }, enabled: false })).body.provider.headers).toEqual({ 'X-Team': 'a' });
    expect((await t.call('DELETE', '/api/v1/remote-providers/oa')).status).toBe(200);
    expect(e.connections).toBe(0);
    expect(e.requests).toEqual([]);
  });
});

describe('remote providers: the test prompt', () => {
  it('streams a short chat, records its usage and cost; embeddings only where the provider has them', async () => {
    t = await online();
    const e = emulators.openai!;
    await t.call('POST', '/api/v1/remote-providers', { id: 'oa', kind: 'openai', base_url: e.baseUrl, api_key: e.keys[0], governance: { price: { input_per_mtok: 1000, output_per_mtok: 2000 } } });
    const early = await t.call<{ error: { code: string } }>('POST', '/api/v1/remote-providers/oa/test', { model: 'gpt-4o-mini' });
    expect(early.body.error.code, JSON.stringify(early.body)).toBe('model_not_validated');
    await t.call('POST', '/api/v1/remote-providers/oa/validate', {});
    const r = await t.call<{ result: { ok: boolean; answer: string; prompt_tokens: number; completion_tokens: number; cost_usd: number } }>('POST', '/api/v1/remote-providers/oa/test', { model: 'gpt-4o-mini', prompt: 'one two three' });
    expect(r.body.result).toMatchObject({ ok: true, answer: 'Hello from openai.', prompt_tokens: 3, completion_tokens: 4 });
    expect(r.body.result.cost_usd).toBeCloseTo((3 * 1000 + 4 * 2000) / 1e6, 9);
    expect(e.requests.at(-1)!.body).toMatchObject({ model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true } });
    const emb = await t.call<{ result: { ok: boolean } }>('POST', '/api/v1/remote-providers/oa/test', { model: 'text-embedding-3-small', kind: 'embedding' });
    expect(emb.body.result.ok).toBe(true);
    const usage = await t.call<{ days: { provider: string; requests: number; cost_usd: number }[] }>('GET', '/api/v1/models/usage/remote');
    expect(usage.body.days.filter((d) => d.provider === 'oa').reduce((n, d) => n + d.requests, 0)).toBe(2);
    const spend = (await t.call<ProviderBody>('GET', '/api/v1/remote-providers/oa')).body.provider.spend;
    expect(spend).toMatchObject({ period: 'month', requests: 2, prompt_tokens: 3 + 6, completion_tokens: 4 }); // the embedding: 6 prompt tokens
    expect(spend.cost_usd).toBeCloseTo(0.011 + 0.006, 9);

    const a = emulators.anthropic!;
    await t.call('POST', '/api/v1/remote-providers', { id: 'claude', kind: 'anthropic', base_url: a.baseUrl, api_key: a.keys[0] });
    await t.call('POST', '/api/v1/remote-providers/claude/validate', {});
    const noEmb = await t.call<{ error: { message: string } }>('POST', '/api/v1/remote-providers/claude/test', { model: 'claude-haiku-4-5', kind: 'embedding' });
    expect(noEmb.status).toBe(400);
    expect(noEmb.body.error.message).toContain('no embeddings');
  });
});
