// The router over remote providers: routes from validated providers, enable/disable, aliases, health
// checks through the emulators, /metrics. Requests are resolved through the table (the relay that
// sends them is the proxy's).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Alias, Route } from '../../src/shared/api/router';
import type { AppEvent } from '../../src/shared/events';
import { startRemoteEmulator, type RemoteEmulator } from '../fixtures/remote/server.mjs';
import { startTestCore, type TestCore } from '../support/core';

let openai: RemoteEmulator;
let anthropic: RemoteEmulator;
let t: TestCore | null = null;

beforeAll(async () => {
  openai = await startRemoteEmulator({ dialect: 'openai' });
  anthropic = await startRemoteEmulator({ dialect: 'anthropic' });
});
afterAll(async () => {
  await Promise.all([openai.close(), anthropic.close()]);
});
afterEach(async () => {
  await t?.close();
  t = null;
  openai.reset();
  anthropic.reset();
});

async function start(): Promise<TestCore> {
  // health rounds are run by the test (router.health.round()), not by the timer
  t = await startTestCore({ env: { SWITCHYARD_OFFLINE: '0' }, seams: { remote: { timeoutMs: 3_000 } } });
  await t.call('PATCH', '/api/v1/settings', { router: { healthIntervalSeconds: 0 } });
  return t;
}

async function provider(id: string, e: RemoteEmulator): Promise<void> {
  const created = await t!.call('POST', '/api/v1/remote-providers', { id, kind: e.dialect, base_url: e.baseUrl, api_key: e.keys[0] });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const v = await t!.call<{ validation: { ok: boolean; message: string } }>('POST', `/api/v1/remote-providers/${id}/validate`, {});
  expect(v.body.validation.ok, v.body.validation.message).toBe(true);
}

const routes = async () => (await t!.call<{ routes: Route[]; default: string | null }>('GET', '/api/v1/router/routes')).body;
const resolve = (model: string | undefined, endpoint: 'chat.completions' | 'completions' | 'embeddings' = 'chat.completions') => t!.core.router.resolve(model, endpoint);
const modelIds = () => t!.core.router.models().data.map((m) => m.id);

describe('remote routes', () => {
  it('every model of a validated provider is a route <provider>/<model>; a bare name one route serves resolves to it', async () => {
    await start();
    await provider('oa', openai);
    await provider('claude', anthropic);
    const list = await routes();
    expect(list.routes.map((r) => r.model)).toEqual([...openai.models.map((m) => `oa/${m}`), ...anthropic.models.map((m) => `claude/${m}`)]);
    expect(list.routes[0]).toMatchObject({ target: { kind: 'remote', provider: 'oa', runtime: 'remote', upstream_model: 'gpt-4o-mini' }, slot: null, state: 'serving', health: { status: 'unknown' } });
    const r = resolve('gpt-4o-mini');
    expect(r.ok && r.route.name).toBe('oa/gpt-4o-mini');
    expect(r.ok && r.endpoint).toMatchObject({ apiBase: openai.baseUrl, model: 'gpt-4o-mini', transport: 'net' });
    const emb = resolve('claude-haiku-4-5', 'embeddings');
    expect(emb).toMatchObject({ ok: false, status: 404, code: 'endpoint_not_supported' });
    expect(modelIds()).toContain('claude/claude-haiku-4-5');
  });

  it('a provider changed since its validation is stale (409) until validated again', async () => {
    await start();
    await provider('oa', openai);
    await t!.call('PATCH', '/api/v1/remote-providers/oa', { headers: { 'x-team': 'a' } });
    expect(resolve('oa/gpt-4o-mini')).toMatchObject({ ok: false, status: 409, code: 'validation_stale' });
    expect((await routes()).routes[0]!.state).toBe('stale');
    await t!.call('POST', '/api/v1/remote-providers/oa/validate', {});
    expect(resolve('oa/gpt-4o-mini').ok).toBe(true);
  });

  it('disable keeps the provider and routes nothing (403); unregister is refused while enabled (409)', async () => {
    await start();
    await provider('oa', openai);
    const refused = await t!.call<{ error: { code: string; message: string } }>('DELETE', '/api/v1/remote-providers/oa');
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('disable it first');
    const off = await t!.call<{ provider: { enabled: boolean } }>('PATCH', '/api/v1/remote-providers/oa', { enabled: false });
    expect(off.body.provider.enabled).toBe(false);
    expect(resolve('gpt-4o-mini')).toMatchObject({ ok: false, status: 403, code: 'model_disabled' });
    expect(modelIds()).toEqual([]);
    expect((await routes()).routes.every((r) => r.state === 'disabled')).toBe(true);
    // still validated: enabling serves again without a new validation
    await t!.call('PATCH', '/api/v1/remote-providers/oa', { enabled: true });
    expect(resolve('gpt-4o-mini').ok).toBe(true);
    await t!.call('PATCH', '/api/v1/remote-providers/oa', { enabled: false });
    expect((await t!.call('DELETE', '/api/v1/remote-providers/oa')).status).toBe(200);
    expect(resolve('gpt-4o-mini')).toMatchObject({ ok: false, code: 'model_not_found' });
  });

  it('offline mode answers remote routes 503 offline and runs no health check', async () => {
    await start();
    await provider('oa', openai);
    await t!.call('PATCH', '/api/v1/settings', { catalog: { offline: true } });
    expect(resolve('gpt-4o-mini')).toMatchObject({ ok: false, status: 503, code: 'offline' });
    const before = openai.requests.length;
    await t!.core.router.health.round();
    expect(openai.requests.length).toBe(before);
  });
});

describe('the default route', () => {
  it('llm-runtime/active {provider, model} sets the default: requests without a model go there; the local chat slot stays routed', async () => {
    t = await startTestCore({ hfModels: ['org/tiny-model'], env: { SWITCHYARD_OFFLINE: '0', EMU_START_DELAY_MS: '100' }, seams: { remote: { timeoutMs: 3_000 } } });
    await t.call('PATCH', '/api/v1/settings', { router: { healthIntervalSeconds: 0 } });
    await provider('oa', openai);
    await provider('az', { ...openai, dialect: 'openai' } as RemoteEmulator);
    expect((await t.call('POST', '/api/v1/models/activate', { name: 'org/tiny-model' })).status).toBe(200);
    expect(resolve(undefined)).toMatchObject({ ok: true, upstreamModel: 'org/tiny-model' });
    expect(resolve('gpt-4o-mini')).toMatchObject({ ok: false, code: 'ambiguous_model' });

    expect((await t.call('POST', '/api/v1/system/llm-runtime/active', { provider: 'az', model: 'gpt-4o-mini' })).status).toBe(200);
    expect((await routes()).default).toBe('az/gpt-4o-mini');
    expect(resolve(undefined)).toMatchObject({ ok: true, upstreamModel: 'gpt-4o-mini', route: { provider: 'az' } });
    // a bare name the default serves goes to it even though another provider serves it too
    expect(resolve('gpt-4o-mini')).toMatchObject({ ok: true, route: { provider: 'az' } });
    expect(resolve('oa/gpt-4o-mini')).toMatchObject({ ok: true, route: { provider: 'oa' } });
    // the local chat model is still a route
    expect(resolve('org/tiny-model')).toMatchObject({ ok: true, route: { slot: 'chat', runtime: 'vllm' } });
    expect(t.core.router.models().data.map((m) => m.id)).toContain('org/tiny-model');
  });
});

describe('aliases', () => {
  it('set, resolve, list, remove; a target must be a route, not an alias; an installed local model name is refused', async () => {
    await start();
    await provider('oa', openai);
    const set = await t!.call<{ alias: Alias }>('PUT', '/api/v1/router/aliases/fast', { target: 'oa/gpt-4o-mini' });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body.alias).toMatchObject({ alias: 'fast', target: 'oa/gpt-4o-mini' });
    const r = resolve('fast');
    expect(r.ok && r.route.name).toBe('oa/gpt-4o-mini');
    expect((await routes()).routes.find((x) => x.model === 'oa/gpt-4o-mini')?.aliases).toEqual(['fast']);
    expect((await t!.call('PUT', '/api/v1/router/aliases/faster', { target: 'fast' })).status).toBe(400);
    expect((await t!.call('PUT', '/api/v1/router/aliases/x', { target: 'oa/gpt-imaginary' })).status).toBe(404);
    expect((await t!.call('PUT', '/api/v1/router/aliases/a%2Fb', { target: 'oa/gpt-4o' })).status).toBe(400);
    // stored: a new core over the same data dir keeps it
    expect((await t!.call<{ aliases: Alias[] }>('GET', '/api/v1/router/aliases')).body.aliases.map((a) => a.alias)).toEqual(['fast']);
    expect((await t!.call('DELETE', '/api/v1/router/aliases/fast')).status).toBe(200);
    expect((await t!.call('DELETE', '/api/v1/router/aliases/fast')).status).toBe(404);
    expect(resolve('fast')).toMatchObject({ ok: false, code: 'model_not_found' });
  });
});

describe('health checks', () => {
  it('a failing upstream marks its routes down at once (503 upstream_down, out of /v1/models, /metrics 0); a passing check brings them back', async () => {
    await start();
    await provider('oa', openai);
    const health: string[] = [];
    t!.core.events.on((e: AppEvent) => e.type === 'providers.changed' && health.push(e.provider), ['providers.changed']);
    await t!.core.router.health.round();
    expect((await routes()).routes[0]!.health).toMatchObject({ status: 'ok', error: null });
    const checks = openai.requests.filter((r) => r.method === 'GET');
    expect(checks.at(-1)).toMatchObject({ path: '/v1/models' });

    for (const failStatus of [503, 401]) {
      openai.setKnobs({ failStatus, failOn: 'models' });
      await t!.core.router.health.round();
      const down = resolve('gpt-4o-mini');
      expect(down).toMatchObject({ ok: false, status: 503, code: 'upstream_down' });
      expect(!down.ok && down.message).toContain(String(failStatus));
      expect(modelIds()).toEqual([]);
      expect((await routes()).routes[0]).toMatchObject({ state: 'down', health: { status: 'down' } });
      const metrics = await t!.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${t!.token}` } });
      expect(metrics.body).toContain('switchyard_route_up{model="oa/gpt-4o-mini",provider="oa"} 0');
      openai.setKnobs({ failStatus: null });
      await t!.core.router.health.round();
      expect(resolve('gpt-4o-mini').ok).toBe(true);
      expect(modelIds()).toContain('oa/gpt-4o-mini');
    }
    const metrics = await t!.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${t!.token}` } });
    expect(metrics.body).toContain('switchyard_route_up{model="oa/gpt-4o-mini",provider="oa"} 1');
    // no completion was ever sent by a health check
    expect(openai.requests.filter((r) => r.method === 'POST')).toEqual([]);
  });

  it('a killed upstream goes down (no connection) and comes back when it listens again; the timer runs the rounds', async () => {
    const lab = await startRemoteEmulator({ dialect: 'openai', keys: ['lab-key'] });
    await start();
    await provider('lab', lab);
    await lab.close();
    await t!.call('PATCH', '/api/v1/settings', { router: { healthIntervalSeconds: 1 } });
    await expect.poll(() => resolve('lab/gpt-4o').ok === false && (resolve('lab/gpt-4o') as { code: string }).code, { timeout: 10_000 }).toBe('upstream_down');
    expect((await routes()).routes[0]!.health.error).toMatch(/no connection|ECONNREFUSED|fetch failed/);
    const back = await startRemoteEmulator({ dialect: 'openai', keys: ['lab-key'], port: Number(new URL(lab.origin).port) });
    try {
      await t!.core.router.health.round();
      expect(resolve('lab/gpt-4o').ok).toBe(true);
    } finally {
      await back.close();
    }
  });
});
