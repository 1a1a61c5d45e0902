import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestCore, type TestCore } from '../support/core';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Hostile input reaches the core's patterns two ways: a request body (validated on the event loop) and
 * a fetched page (parsed on it). Either held every route for seconds. Here /healthz, sent right after
 * the hostile request, answers, and the longest the event loop was held meanwhile stays within a bound
 * far below the old cost (see test/unit/redos.test.ts).
 */
const BOUND_MS = 1000;
/** a refresh itself holds the loop a few hundred ms on a busy machine (it indexes the list); the old parser took over 30 s on this page */
const REFRESH_BOUND_MS = 5000;

describe('hostile input does not hold the server', () => {
  let t: TestCore | undefined;
  let page: Server | undefined;
  afterEach(async () => {
    await t?.close();
    page?.closeAllConnections();
    if (page) await new Promise((resolve) => page!.close(resolve));
    t = undefined;
    page = undefined;
  });

  /**
   * The longest the event loop went without running a timer, from now until the returned function is
   * called (the gap up to that call included, so a block just before it counts too).
   */
  function loopHold(): () => number {
    let last = performance.now();
    let max = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      max = Math.max(max, now - last);
      last = now;
    }, 5);
    return () => {
      clearInterval(timer);
      return Math.max(max, performance.now() - last);
    };
  }

  /** sends `hostile`, then /healthz at once: /healthz answers, and how long the event loop was held at most */
  async function healthzAfter(hostile: () => Promise<{ status: number; body: Body }>) {
    const held = loopHold();
    const pending = hostile();
    const health = await t!.call<Body>('GET', '/healthz');
    expect(health.body.status).toBe('ok');
    const answer = await pending;
    return { heldMs: held(), answer };
  }

  it('settings: a keepAlive of 30 digits and a letter, a host of 60 000 colons', async () => {
    t = await startTestCore();
    const { heldMs, answer } = await healthzAfter(() =>
      t!.call<Body>('PATCH', '/api/v1/settings', { ollama: { keepAlive: `${'1'.repeat(30)}x`, host: `${':'.repeat(60_000)}x` } }),
    );
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toMatch(/body\.ollama\.(keepAlive|host)/);
    expect(heldMs).toBeLessThan(BOUND_MS);
    const settings = await t.call<Body>('GET', '/api/v1/settings');
    expect(settings.body.settings.ollama).toMatchObject({ keepAlive: '5m', host: '127.0.0.1' });
  });

  /** a stand-in for ollama.com whose /library answers with `respond` */
  async function libraryServer(respond: (res: ServerResponse) => void): Promise<string> {
    page = createServer((req, res) => (req.url?.startsWith('/library') ? respond(res) : res.writeHead(404).end()));
    page.listen(0, '127.0.0.1');
    await once(page, 'listening');
    return `http://127.0.0.1:${(page.address() as AddressInfo).port}`;
  }

  it('catalog: a hostile library page is parsed in one pass, the bundled list stays', async () => {
    const entry = '<li x-test-model><span x-test-search-response-title>evil</span>';
    const url = await libraryServer((res) => res.writeHead(200, { 'content-type': 'text/html' }).end(`${entry}<p x-test-size>${'<'.repeat(60_000)}</p>${'<li x-test-model '.repeat(1_300)}`));
    t = await startTestCore({ env: { SWITCHYARD_OFFLINE: '0', SWITCHYARD_OLLAMA_LIBRARY_URL: url } });
    const { heldMs, answer } = await healthzAfter(() => t!.call<Body>('POST', '/api/v1/models/catalog/refresh', { section: 'catalog', provider: 'ollama' }));
    expect(answer.status).toBe(200);
    expect(answer.body.results).toEqual([expect.objectContaining({ key: 'ollama:library', ok: true })]);
    expect(heldMs).toBeLessThan(REFRESH_BOUND_MS);
    const search = await t.call<Body>('GET', '/api/v1/models/catalog/search?provider=ollama&q=llama3.1');
    expect(search.body.models.length).toBeGreaterThan(0);
  });

  it('catalog: a page that never ends is refused past the size limit, its connection closed', async () => {
    let closed: Promise<unknown> = new Promise(() => {});
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const url = await libraryServer((res) => {
      closed = once(res, 'close');
      res.writeHead(200, { 'content-type': 'text/html' });
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
      };
      res.on('drain', pump);
      pump();
    });
    t = await startTestCore({ env: { SWITCHYARD_OFFLINE: '0', SWITCHYARD_OLLAMA_LIBRARY_URL: url } });
    const refresh = await t.call<Body>('POST', '/api/v1/models/catalog/refresh', { section: 'catalog', provider: 'ollama' });
    expect(refresh.body.results).toEqual([expect.objectContaining({ key: 'ollama:library', ok: false, error: expect.stringMatching(/sent more than 4096 KB/) })]);
    await closed; // the client stopped reading and hung up
    const search = await t.call<Body>('GET', '/api/v1/models/catalog/search?provider=ollama&q=llama3.1');
    expect(search.body.models.length).toBeGreaterThan(0);
  });
});
