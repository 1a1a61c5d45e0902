import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeHub, type FakeHub } from '../fixtures/hub/server.mjs';
import { startTestCore, type TestCore } from '../support/core';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The full fake Hub (server.mjs, as e2e uses it) delegates catalog routes to catalog.mjs. */
describe('catalog through the full fake hub', () => {
  let hub: FakeHub;
  let t: TestCore;
  beforeAll(async () => {
    hub = await startFakeHub({});
    t = await startTestCore({ env: { SWITCHYARD_OFFLINE: '0', HF_ENDPOINT: hub.url, SWITCHYARD_OLLAMA_LIBRARY_URL: hub.url } });
  });
  afterAll(async () => {
    await t?.close();
    await hub?.close();
  });

  // server.mjs answers /api/models/{id} itself (404 for repos it does not hold), so catalog-only models
  // show the locally known details, marked stale, until it delegates unknown repos to catalog.mjs.
  it('trending, library and news come through; details fall back to what is known locally', async () => {
    const hf = await t.call<Body>('GET', '/api/v1/models/trending?provider=huggingface&limit=3');
    expect(hf.body).toMatchObject({ stale: false, count: 3 });
    const ol = await t.call<Body>('GET', '/api/v1/models/trending?provider=ollama&limit=3');
    expect(ol.body).toMatchObject({ stale: false, count: 3 });
    const news = await t.call<Body>('GET', '/api/v1/models/news?type=blog');
    expect(news.body.count).toBe(3);
    const detail = await t.call<Body>('GET', `/api/v1/models/catalog/${encodeURIComponent('Qwen/Qwen3-8B')}?vram_gb=24`);
    expect(detail.status).toBe(200);
    expect(detail.body.fit.summary.verdict).toBe('fits');
    expect(hub.stats.requests.catalog).toBeGreaterThan(0);
  });
});
