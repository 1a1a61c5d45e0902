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

  it('trending, library, news and catalog details all come through one hub', async () => {
    const hf = await t.call<Body>('GET', '/api/v1/models/trending?provider=huggingface&limit=3');
    expect(hf.body).toMatchObject({ stale: false, count: 3 });
    const ol = await t.call<Body>('GET', '/api/v1/models/trending?provider=ollama&limit=3');
    expect(ol.body).toMatchObject({ stale: false, count: 3 });
    const news = await t.call<Body>('GET', '/api/v1/models/news?type=blog');
    expect(news.body.count).toBe(3);
    // a repo server.mjs does not hold falls through to catalog.mjs: fresh details, files and config.json
    const detail = await t.call<Body>('GET', `/api/v1/models/catalog/${encodeURIComponent('Qwen/Qwen3-8B')}?vram_gb=24`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ stale: false, error: null });
    expect(detail.body.model.license).toBe('apache-2.0');
    expect(detail.body.model.files.length).toBeGreaterThan(1);
    expect(detail.body.fit.inputs).toMatchObject({ layers: 36, kv_heads: 8, head_dim: 128, kv_estimated: false });
    expect(detail.body.fit.summary.verdict).toBe('fits');
    expect(hub.stats.requests.catalog).toBeGreaterThan(0);
  });

  it('built-in repos are still served by server.mjs; a repo neither knows is RepoNotFound', async () => {
    const own = await fetch(`${hub.url}/api/models/org/tiny-model?blobs=true`);
    expect(own.status).toBe(200);
    expect(((await own.json()) as Body).siblings.some((s: Body) => s.rfilename === 'model-00001-of-00002.safetensors')).toBe(true);
    const config = await fetch(`${hub.url}/meta-llama/Llama-3.3-70B-Instruct/resolve/main/config.json`);
    expect(((await config.json()) as Body).num_hidden_layers).toBe(80);
    const missing = await fetch(`${hub.url}/api/models/nobody/nothing`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-error-code')).toBe('RepoNotFound');
    const missingFile = await fetch(`${hub.url}/Qwen/Qwen3-8B/resolve/main/model.safetensors`);
    expect(missingFile.headers.get('x-error-code')).toBe('RepoNotFound');
  });
});
