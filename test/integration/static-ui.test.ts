import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type App } from '../../src/main/http/server';
import { IMMUTABLE, REVALIDATE } from '../../src/main/http/static-ui';
import { startTestCore, type TestCore } from '../support/core';

// A renderer build as Vite writes it: hashed assets with their .br/.gz copies beside them.
const INDEX = '<!doctype html><title>Switchyard</title><script type="module" src="/assets/index-Ab12Cd34.js"></script>';
const SCRIPT = `export const screen = ${JSON.stringify('x'.repeat(4000))};`;

let t: TestCore;
let ui: App;
let rendererDir = '';

beforeAll(async () => {
  t = await startTestCore();
  rendererDir = mkdtempSync(join(tmpdir(), 'switchyard-static-'));
  mkdirSync(join(rendererDir, 'assets'));
  writeFileSync(join(rendererDir, 'index.html'), INDEX);
  writeFileSync(join(rendererDir, 'index.html.br'), brotliCompressSync(INDEX));
  writeFileSync(join(rendererDir, 'index.html.gz'), gzipSync(INDEX));
  const asset = join(rendererDir, 'assets', 'index-Ab12Cd34.js');
  writeFileSync(asset, SCRIPT);
  writeFileSync(`${asset}.br`, brotliCompressSync(SCRIPT));
  writeFileSync(`${asset}.gz`, gzipSync(SCRIPT));
  ui = await buildServer(t.core, { rendererDir });
});

afterAll(async () => {
  await ui?.close();
  await t?.close();
  rmSync(rendererDir, { recursive: true, force: true });
});

const get = (url: string, encoding?: string) => ui.inject({ method: 'GET', url, headers: encoding ? { 'accept-encoding': encoding } : {} });

describe('the renderer build, served', () => {
  it('sends the brotli copy to a browser that takes br, gzip to one that takes only gzip, the plain file otherwise', async () => {
    const br = await get('/assets/index-Ab12Cd34.js', 'gzip, deflate, br, zstd');
    expect(br.statusCode).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toMatch(/javascript/);
    expect(br.headers.vary).toMatch(/accept-encoding/i);
    expect(brotliDecompressSync(br.rawPayload).toString()).toBe(SCRIPT);
    expect(br.rawPayload.length).toBeLessThan(SCRIPT.length / 10);

    const gz = await get('/assets/index-Ab12Cd34.js', 'gzip');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.rawPayload).toString()).toBe(SCRIPT);

    const plain = await get('/assets/index-Ab12Cd34.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(SCRIPT);
  });

  it('caches hashed assets for a year and makes index.html revalidate, on every path that serves it', async () => {
    expect((await get('/assets/index-Ab12Cd34.js', 'br')).headers['cache-control']).toBe(IMMUTABLE);
    expect((await get('/assets/index-Ab12Cd34.js')).headers['cache-control']).toBe(IMMUTABLE);
    for (const path of ['/', '/index.html']) {
      const page = await get(path, 'br, gzip');
      expect(page.statusCode, path).toBe(200);
      expect(page.headers['cache-control'], path).toBe(REVALIDATE);
      const html = page.headers['content-encoding'] === 'br' ? brotliDecompressSync(page.rawPayload).toString() : page.body;
      expect(html, path).toBe(INDEX);
    }
  });

  it('serves the files without a token, and the compressed copies only through their originals', async () => {
    // no route: never the raw brotli bytes (an unmatched route asks for the token, as any other)
    const copy = await get('/assets/index-Ab12Cd34.js.br');
    expect(copy.headers['content-type']).not.toMatch(/javascript|octet-stream/);
    expect(copy.statusCode).toBe(401);
    const asset = await get('/assets/index-Ab12Cd34.js', 'br');
    expect(asset.statusCode).toBe(200);
  });

  it('answers a deep link to a screen with the page, without the token, as it answers /; API paths and missing files still ask for it', async () => {
    for (const path of ['/chat', '/catalog?model=acme%2Fmodel', '/catalog/', '/settings/']) {
      const page = await get(path);
      expect(page.statusCode, path).toBe(200);
      expect(page.headers['content-type'], path).toMatch(/text\/html/);
      expect(page.headers['cache-control'], path).toBe(REVALIDATE);
      expect(page.body, path).toBe(INDEX);
    }
    // HEAD as GET (a link checker, a browser's preflight of a bookmark)
    expect((await ui.inject({ method: 'HEAD', url: '/chat' })).statusCode).toBe(200);
    // not pages: the API, a file that is not there, anything but GET
    for (const [method, path] of [['GET', '/api/v1/nothing-here'], ['GET', '/v1/nothing-here'], ['GET', '/assets/missing-Ab12Cd34.js'], ['GET', '/logo.png'], ['POST', '/chat']] as const) {
      const res = await ui.inject({ method, url: path });
      expect(res.statusCode, `${method} ${path}`).toBe(401);
      expect(res.json().error.code).toBe('unauthorized');
    }
    // with the token, an unknown API path or a missing file is a JSON 404, never the page
    for (const path of ['/api/v1/nothing-here', '/assets/missing-Ab12Cd34.js']) {
      const res = await ui.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${t.token}` } });
      expect(res.statusCode, path).toBe(404);
      expect(res.json().error.code, path).toBe('not_found');
    }
  });
});
