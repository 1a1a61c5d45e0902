import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCatalogHub, type CatalogHub } from '../support/catalog-hub';
import { startTestCore, type TestCore } from '../support/core';

interface Card {
  markdown: string | null;
  stale: boolean;
  error: string | null;
  fetched_at: string | null;
}

describe('model cards (README.md) for catalog pages', () => {
  let hub: CatalogHub;
  let t: TestCore;
  beforeAll(async () => {
    hub = await startCatalogHub();
    t = await startTestCore({ env: { SWITCHYARD_OFFLINE: '0', HF_ENDPOINT: hub.url } });
  });
  afterAll(async () => {
    await t?.close();
    await hub?.close();
  });
  const card = async () => (await t.call<Card>('GET', `/api/v1/models/catalog/${encodeURIComponent('Qwen/Qwen3-8B')}/readme`)).body;

  it('fetches the card without its front matter, then answers from the cache, also when the Hub is gone', async () => {
    const first = await card();
    expect(first.markdown).toMatch(/^# Qwen3-8B/);
    expect(first.markdown).not.toContain('license: apache-2.0');
    expect(first).toMatchObject({ stale: false, error: null });
    const readmeRequests = () => hub.requests.filter((p) => p.endsWith('/README.md')).length;
    expect(readmeRequests()).toBe(1);
    await card();
    expect(readmeRequests()).toBe(1);

    await t.call('PATCH', '/api/v1/settings', { catalog: { ttlMinutes: 0 } });
    await hub.setDown(true);
    const offline = await card();
    expect(offline.markdown).toMatch(/^# Qwen3-8B/);
    expect(offline.stale).toBe(true);
    expect(offline.error).toContain('Cannot reach the Hub');
    await hub.setDown(false);
  });

  it('says there is no card for a repo without one', async () => {
    const res = await t.call<Card>('GET', `/api/v1/models/catalog/${encodeURIComponent('nobody/nothing')}/readme`);
    expect(res.status).toBe(200);
    expect(res.body.markdown).toBeNull();
  });
});
