import { afterEach, describe, expect, it } from 'vitest';
import { type FakeHub } from '../fixtures/hub/server.mjs';
import { useFakeHub } from '../support/fake-hub';
import { startTestCore, type TestCore } from '../support/core';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Offline mode: no request leaves, whatever asks (plan, install, catalog), and the answer says how to go online. */
let hub: FakeHub;
let t: TestCore | null = null;
useFakeHub((started) => (hub = started));
afterEach(async () => {
  await t?.close();
  t = null;
});

const requestsTo = (h: FakeHub) => Object.values(h.stats.requests).reduce((a, b) => a + b, 0);

describe('offline mode', () => {
  it('plan and install answer `offline` and send nothing to the Hub; turning it off lets the same plan through', async () => {
    t = await startTestCore({ env: { SWITCHYARD_OFFLINE: '0', HF_ENDPOINT: hub.url } });
    expect((await t.call<Body>('PUT', '/api/v1/system/offline', { offline: true })).status).toBe(200);
    const plan = await t.call<Body>('GET', '/api/v1/models/registry/plan?name=org%2Ftiny-model&provider=huggingface');
    expect(plan.status).toBe(409);
    expect(plan.body.error.code).toBe('offline');
    expect(plan.body.error.message).toMatch(/Offline mode is on.*turn it off in the sidebar or Settings/);
    const installed = await t.call<Body>('POST', '/api/v1/models/registry/install', { name: 'org/tiny-model', provider: 'huggingface', runtime: 'vllm' });
    expect(installed.status).toBe(409);
    expect(installed.body.error.code).toBe('offline');
    const search = await t.call<Body>('GET', '/api/v1/models/providers?provider=huggingface&q=qwen&limit=5');
    expect(search.body).toMatchObject({ offline: true, stale: true });
    expect(requestsTo(hub)).toBe(0);
    expect(t.core.operations.open()).toEqual([]);

    const off = await t.call<Body>('PUT', '/api/v1/system/offline', { offline: false });
    expect(off.status).toBe(200);
    const again = await t.call<Body>('GET', '/api/v1/models/registry/plan?name=org%2Ftiny-model&provider=huggingface');
    expect(again.status).toBe(200);
    expect(requestsTo(hub)).toBeGreaterThan(0);
  });
});
