import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startCatalogHub, type CatalogHub } from '../support/catalog-hub';
import { startTestCore, type TestCore } from '../support/core';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('catalog: stale answers, offline mode, bundled fallback', () => {
  let hub: CatalogHub | undefined;
  let t: TestCore | undefined;
  afterEach(async () => {
    await t?.close();
    await hub?.close();
    t = undefined;
    hub = undefined;
  });

  const online = async (extra: Record<string, string> = {}) => {
    hub = await startCatalogHub();
    t = await startTestCore({ env: { SWITCHYARD_OFFLINE: '0', HF_ENDPOINT: hub.url, SWITCHYARD_OLLAMA_LIBRARY_URL: hub.url, ...extra } });
    return { hub, t };
  };

  it('hub switched off past the TTL: last cached trending, stale with an error, quickly', async () => {
    const { hub, t } = await online();
    const first = await t.call<Body>('GET', '/api/v1/models/trending?provider=huggingface&limit=5');
    expect(first.body.stale).toBe(false);
    await t.call('PATCH', '/api/v1/settings', { catalog: { ttlMinutes: 0 } });
    await hub.setDown(true);
    // "quickly": a refused connection fails at once (the error below says so), no timeout is waited out
    const r = await t.call<Body>('GET', '/api/v1/models/trending?provider=huggingface&limit=5');
    expect(r.status).toBe(200);
    expect(r.body.stale).toBe(true);
    expect(r.body.error).toMatch(/cannot reach 127\.0\.0\.1:\d+ .*showing trending models fetched/);
    expect(r.body.fetched_at).toBe(first.body.fetched_at);
    expect(r.body.models.map((m: Body) => m.model_name)).toEqual(first.body.models.map((m: Body) => m.model_name));
    // explicit refresh reports the failure per key, without failing the request
    const refresh = await t.call<Body>('POST', '/api/v1/models/catalog/refresh', { section: 'trending', provider: 'huggingface' });
    expect(refresh.body.results[0]).toMatchObject({ key: 'hf:trending', ok: false });
    const status = await t.call<Body>('GET', '/api/v1/models/catalog/status');
    expect(status.body.sections.find((s: Body) => s.key.startsWith('hf:trending')).error).toMatch(/cannot reach/);
    // back online: fresh again
    await hub.setDown(false);
    const back = await t.call<Body>('GET', '/api/v1/models/trending?provider=huggingface&limit=5');
    expect(back.body).toMatchObject({ stale: false, error: null });
  });

  it('a host that accepts but never answers fails within the connect timeout', async () => {
    const sockets = new Set<Socket>();
    const blackHole: Server = createServer((s) => sockets.add(s));
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', () => resolve()));
    const port = (blackHole.address() as { port: number }).port;
    try {
      t = await startTestCore({ env: { SWITCHYARD_OFFLINE: '0', HF_ENDPOINT: `http://127.0.0.1:${port}`, SWITCHYARD_OLLAMA_LIBRARY_URL: `http://127.0.0.1:${port}` } });
      await t.call('PATCH', '/api/v1/settings', { catalog: { connectTimeoutMs: 300 } });
      // the error names the 300 ms connect timeout that fired (not the 4 s default)
      const r = await t.call<Body>('GET', '/api/v1/models/trending?provider=ollama&limit=5');
      // never fetched: the bundled library, marked stale
      expect(r.body).toMatchObject({ stale: true, fetched_at: null });
      expect(r.body.error).toMatch(/did not answer within 300 ms.*Ollama library known locally/);
      expect(r.body.count).toBe(5);
      const hf = await t.call<Body>('GET', '/api/v1/models/trending?provider=huggingface&limit=5');
      expect(hf.body.stale).toBe(true);
      expect(hf.body.count).toBe(5);
      const news = await t.call<Body>('GET', '/api/v1/models/news?type=blog');
      expect(news.body).toMatchObject({ success: true, stale: true, count: 0 });
      expect(news.body.error).toMatch(/did not answer/);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => blackHole.close(() => resolve()));
    }
  });

  it('a changed ollama.com page: stale, bundled list, never empty', async () => {
    const { hub, t } = await online();
    hub.knobs({ libraryPage: 'changed' });
    const r = await t.call<Body>('GET', '/api/v1/models/providers?provider=ollama&limit=500');
    expect(r.body.stale).toBe(true);
    expect(r.body.error).toMatch(/library page changed/);
    expect(r.body.count).toBeGreaterThan(100);
    hub.knobs({ libraryPage: 'normal' });
  });

  it('offline toggle: no request reaches the hub, cached data is served stale', async () => {
    const { hub, t } = await online();
    await t.call('GET', '/api/v1/models/trending?provider=huggingface&limit=5');
    await t.call('GET', '/api/v1/models/trending?provider=ollama&limit=5');
    await t.call('GET', '/api/v1/models/news?type=blog');
    expect((await t.call<Body>('GET', '/api/v1/system/offline')).body).toEqual({ success: true, offline: false, forced: false });

    const toggled = await t.call<Body>('PUT', '/api/v1/system/offline', { offline: true });
    expect(toggled.body).toEqual({ success: true, offline: true, forced: false });
    const before = hub.count();
    const hf = await t.call<Body>('GET', '/api/v1/models/trending?provider=huggingface&limit=5');
    expect(hf.body).toMatchObject({ stale: true, offline: true, count: 5 });
    expect(hf.body.error).toMatch(/^Offline mode/);
    const ol = await t.call<Body>('GET', '/api/v1/models/trending?provider=ollama&limit=5');
    expect(ol.body).toMatchObject({ stale: true, offline: true, count: 5 });
    const news = await t.call<Body>('GET', '/api/v1/models/news?type=blog');
    expect(news.body).toMatchObject({ stale: true, count: 3 });
    const papers = await t.call<Body>('GET', '/api/v1/models/news?type=papers&month=2026-11');
    expect(papers.body).toMatchObject({ stale: true, count: 0 });
    expect(papers.body.error).toMatch(/Offline mode is on/);
    const search = await t.call<Body>('GET', '/api/v1/models/providers?provider=huggingface&q=qwen');
    expect(search.body.stale).toBe(true);
    const detail = await t.call<Body>('GET', `/api/v1/models/catalog/${encodeURIComponent('Qwen/Qwen3-8B')}?vram_gb=24`);
    expect(detail.status).toBe(200);
    expect(detail.body.stale).toBe(true);
    expect(detail.body.fit.summary.verdict).toBe('fits');
    const refresh = await t.call<Body>('POST', '/api/v1/models/catalog/refresh', { section: 'all' });
    expect(refresh.status).toBe(409);
    expect(refresh.body.error.code).toBe('offline');
    // no body at all means every section (not a 400)
    const bare = await t.call<Body>('POST', '/api/v1/models/catalog/refresh');
    expect(bare.status, JSON.stringify(bare.body)).toBe(409);
    expect(bare.body.error.code).toBe('offline');
    const local = await t.call<Body>('GET', '/api/v1/models/catalog/search?q=qwen');
    expect(local.body.count).toBeGreaterThan(0);
    expect(hub.count()).toBe(before);

    // the same through the settings API
    await t.call('PATCH', '/api/v1/settings', { catalog: { offline: false } });
    expect((await t.call<Body>('GET', '/api/v1/system/offline')).body.offline).toBe(false);
  });

  it('a fresh install that was never online shows the bundled catalog (SWITCHYARD_OFFLINE=1)', async () => {
    hub = await startCatalogHub();
    t = await startTestCore({ env: { HF_ENDPOINT: hub.url, SWITCHYARD_OLLAMA_LIBRARY_URL: hub.url } });
    const off = await t.call<Body>('GET', '/api/v1/system/offline');
    expect(off.body).toEqual({ success: true, offline: true, forced: true });
    const hf = await t.call<Body>('GET', '/api/v1/models/trending?provider=huggingface&limit=10');
    expect(hf.body).toMatchObject({ stale: true, offline: true, fetched_at: null, count: 10 });
    const ol = await t.call<Body>('GET', '/api/v1/models/providers?provider=ollama&q=gemma3');
    expect(ol.body.models.map((m: Body) => m.model_name)).toContain('gemma3:27b');
    const search = await t.call<Body>('GET', '/api/v1/models/catalog/search?limit=1');
    expect(search.body.total).toBeGreaterThan(150);
    const detail = await t.call<Body>('GET', `/api/v1/models/catalog/${encodeURIComponent('Qwen/Qwen3-8B')}`);
    expect(detail.status).toBe(200);
    expect(detail.body.model.model_name).toBe('Qwen/Qwen3-8B');
    const unknown = await t.call<Body>('GET', `/api/v1/models/catalog/${encodeURIComponent('nobody/nothing')}`);
    expect(unknown.status).toBe(409);
    expect(unknown.body.error.code).toBe('offline');
    expect(hub.count()).toBe(0);
  });
});
