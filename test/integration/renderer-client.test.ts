import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, setToken } from '../../src/renderer/src/api/client';
import { sy } from '../../src/renderer/src/api/endpoints';
import { startTestCore, type TestCore } from '../support/core';

const RENDERER = join(__dirname, '../../src/renderer/src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.tsx?$/.test(f) && !/\.test\.tsx?$/.test(f) ? [p] : [];
  });
}

/**
 * The renderer's typed client against the real routes: every function of `sy` is called through the
 * Fastify app (fetch → inject), and none may hit a route that does not exist or send a query or body
 * its route's schema refuses. Calls that would start a runtime are checked for their route only.
 */
describe('the renderer API client is typed from the route schemas and matches the routes', () => {
  let t: TestCore;
  const sent: { method: string; url: string }[] = [];
  let live = true;
  const realFetch = globalThis.fetch;
  beforeAll(async () => {
    t = await startTestCore();
    (globalThis as { window?: unknown }).window = {};
    setToken(t.token);
    globalThis.fetch = (async (input: string, init: RequestInit = {}) => {
      const method = init.method ?? 'GET';
      sent.push({ method, url: input });
      if (!live) return new Response('{"success":true}', { status: 200 });
      const res = await t.app.inject({ method: method as 'GET', url: input, headers: init.headers as Record<string, string>, payload: init.body as string | undefined });
      return new Response(res.body, { status: res.statusCode, headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;
  });
  afterAll(async () => {
    globalThis.fetch = realFetch;
    delete (globalThis as { window?: unknown }).window;
    await t?.close();
  });

  it('no screen or store calls the API except through the typed client', () => {
    const offenders = sources(RENDERER)
      .filter((p) => !relative(RENDERER, p).startsWith('api'))
      .filter((p) => /['"`]\/api\/v1|\brequest\s*[<(]|\bfetch\s*\(/.test(readFileSync(p, 'utf8')))
      .map((p) => relative(RENDERER, p));
    expect(offenders).toEqual([]);
  });

  it('every endpoint reaches its route with a query or body the route accepts', async () => {
    const outcome = async (run: () => Promise<unknown>) => {
      try {
        await run();
        return 'ok';
      } catch (error) {
        return error instanceof ApiError ? `${error.status} ${error.code}` : String(error);
      }
    };
    const calls: Record<string, () => Promise<unknown>> = {
      'catalog.providers': () => sy.catalog.providers({ provider: 'ollama', q: 'llama', limit: 5, fits: 'true', max_size_gb: '20', vram_gb: '24', gpus: '2' }),
      'catalog.trending': () => sy.catalog.trending({ provider: 'ollama', limit: 3, vram_gb: '24' }),
      'catalog.news': () => sy.catalog.news({ provider: 'huggingface', type: 'papers', limit: 5, month: '2026-11' }),
      'catalog.search': () => sy.catalog.search({ q: 'qwen', limit: 5, offset: 0, fits: 'true', vram_gb: '24', source: 'huggingface', runtime: 'vllm', max_size_gb: '50' }),
      'catalog.detail': () => sy.catalog.detail('llama3.1:8b', { vram_gb: '24' }),
      'catalog.card': () => sy.catalog.card('org/none'),
      'catalog.offline': () => sy.catalog.offline(),
      'catalog.setOffline': () => sy.catalog.setOffline({ offline: true }),
      'catalog.refresh': () => sy.catalog.refresh({ section: 'news' }),
      'models.registry': () => sy.models.registry({ refresh: '1' }),
      'models.plan': () => sy.models.plan({ name: 'org/none', provider: 'huggingface' }),
      'models.install': () => sy.models.install({ name: 'org/none', provider: 'huggingface' }),
      'models.remove': () => sy.models.remove('org/none'),
      'models.operations': () => sy.models.operations({ limit: 5 }),
      'models.operation': () => sy.models.operation('op-none'),
      'models.cancel': () => sy.models.cancel('op-none', { cleanup: true }),
      'models.retry': () => sy.models.retry('op-none'),
      'models.activate': () => sy.models.activate({ name: 'org/none' }),
      'models.deactivate': () => sy.models.deactivate({ name: 'org/none' }),
      'models.test': () => sy.models.test('org/none'),
      'models.verify': () => sy.models.verify('org/none'),
      'models.setRuntimeFlags': () => sy.models.setRuntimeFlags('org/none', { flags: { trust_remote_code: true } }),
      'runtimes.list': () => sy.runtimes.list(),
      'runtimes.drivers': () => sy.runtimes.drivers(),
      'runtimes.logs': () => sy.runtimes.logs('ollama', { tail: 10 }),
      'runtimes.stop': () => sy.runtimes.stop('vllm'),
      'runtimes.binary': () => sy.runtimes.binary('ollama'),
      'runtimes.locateBinary': () => sy.runtimes.locateBinary('ollama', { path: '/nonexistent/ollama' }),
      'system.server': () => sy.system.server(),
      'system.gpus': () => sy.system.gpus({ history_s: 600 }),
      'system.usage': () => sy.system.usage(),
      'system.endpointStats': () => sy.system.endpointStats(),
      'system.usageDaily': () => sy.system.usageDaily({ days: 7 }),
      'system.settings': () => sy.system.settings(),
      'system.saveSettings': () => sy.system.saveSettings({ catalog: { ttlMinutes: 30 } }),
      'system.hubToken': () => sy.system.hubToken(),
      'system.checkHubToken': () => sy.system.checkHubToken(),
      'chat.models': () => sy.chat.models(),
      'chat.list': () => sy.chat.list(),
      'chat.create': () => sy.chat.create({ model: 'org/none' }),
      'chat.get': () => sy.chat.get(1),
      'chat.update': () => sy.chat.update(1, { title: 'renamed' }),
      'chat.addMessage': () => sy.chat.addMessage(1, { role: 'user', content: 'hi' }),
      'chat.remove': () => sy.chat.remove(1),
      'kserve.export': () => sy.kserve.export('org/none', { gpu_memory_gib: '24', gpus: '2', storage: 'runtime', namespace: 'llm', hf_token_secret: 'hf-secret' }),
      'kserve.preview': () => sy.kserve.preview('org/none', { gpu_memory_gib: '24', storage: 'pvc', pvc: 'models/none' }),
      'library.import': () => sy.library.import({ path: '/nonexistent/model.gguf', name: 'x' }),
      'library.revisions': () => sy.library.revisions('org/none'),
      'library.pin': () => sy.library.pin('org/none', { revision: null }),
      'library.storage': () => sy.library.storage(),
      'remote.list': () => sy.remote.list(),
      'remote.usage': () => sy.remote.usage({ days: 7 }),
      'remote.active': () => sy.remote.active(),
      'router.routes': () => sy.router.routes(),
      'router.aliases': () => sy.router.aliases(),
    };
    // these would start a runtime: only their route is checked
    const routeOnly: Record<string, [() => Promise<unknown>, string]> = {
      'runtimes.start': [() => sy.runtimes.start('ollama', { model_name: 'org/none' }), '/api/v1/system/llm-servers/:name/start'],
      'runtimes.restart': [() => sy.runtimes.restart('ollama'), '/api/v1/system/llm-servers/:name/restart'],
      'runtimes.setActive': [() => sy.runtimes.setActive({ server_name: 'ollama' }), '/api/v1/system/llm-servers/active'],
      // a provider that does not exist answers its own 404: only the route is checked
      'remote.create': [() => sy.remote.create({ id: 'p1', kind: 'openai' }), '/api/v1/remote-providers'],
      'remote.update': [() => sy.remote.update('p1', {}), '/api/v1/remote-providers/:id'],
      'remote.remove': [() => sy.remote.remove('p1'), '/api/v1/remote-providers/:id'],
      'remote.validate': [() => sy.remote.validate('p1'), '/api/v1/remote-providers/:id/validate'],
      'remote.validations': [() => sy.remote.validations('p1'), '/api/v1/remote-providers/:id/validations'],
      'remote.models': [() => sy.remote.models('p1'), '/api/v1/remote-providers/:id/models'],
      'remote.test': [() => sy.remote.test('p1', { model: 'm' }), '/api/v1/remote-providers/:id/test'],
      'remote.activate': [() => sy.remote.activate({ provider: 'p1', model: 'm' }), '/api/v1/system/llm-runtime/active'],
      // no route named m: its own 404
      'router.setAlias': [() => sy.router.setAlias('fast', { target: 'p1/m' }), '/api/v1/router/aliases/:alias'],
      'router.removeAlias': [() => sy.router.removeAlias('fast'), '/api/v1/router/aliases/:alias'],
      'chat.truncateFrom': [() => sy.chat.truncateFrom(1, 1), '/api/v1/chat/conversations/:id/messages/:message_id'],
    };
    const all = Object.entries(sy).flatMap(([domain, fns]) => Object.keys(fns).map((f) => `${domain}.${f}`));
    expect([...Object.keys(calls), ...Object.keys(routeOnly)].sort()).toEqual(all.sort());

    const results: Record<string, string> = {};
    for (const [name, run] of Object.entries(calls)) results[name] = await outcome(run);
    const refused = Object.entries(results).filter(([, r]) => / (not_found|validation_error|invalid_request)$/.test(r) || r.startsWith('400 '));
    expect(refused).toEqual([]);
    expect(results['catalog.search']).toBe('ok');
    expect(results['chat.addMessage']).toBe('ok');

    live = false;
    for (const [run, pattern] of Object.values(routeOnly)) {
      await run();
      expect(t.app.hasRoute({ method: sent.at(-1)!.method as 'POST', url: pattern })).toBe(true);
    }
  });
});
