import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RuntimeInfo } from '../../src/shared/api/runtimes';
import { startFakeHub, type FakeHub } from '../fixtures/hub/server.mjs';
import { startTestCore, type TestCore } from '../support/core';
import { startForwardProxy, type ForwardProxy } from '../support/forward-proxy';
import { install, waitForOperation } from '../support/models';
import { waitFor } from '../support/wait';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The Hub is reachable only through a forward proxy: `hub.test` and `cdn.test` resolve nowhere but
 * in the proxy. Search, news and installs must work; local runtimes must not go through it.
 */
let hub: FakeHub;
let proxy: ForwardProxy;
let t: TestCore | null = null;
let certDir: string;
let tls: TlsServer;
let tlsPort: number;
/** the same TLS front on 127.0.0.2: another origin for the CDN, as the Hub's is */
let tlsCdn: TlsServer;
let tlsCdnPort: number;

beforeAll(async () => {
  hub = await startFakeHub();
  proxy = await startForwardProxy({ 'hub.test': '127.0.0.1', 'cdn.test': '127.0.0.1' });
  // a self-signed certificate for hub.test / cdn.test, made now (nothing secret checked in)
  certDir = mkdtempSync(join(tmpdir(), 'switchyard-ca-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', '/CN=hub.test', '-addext', 'subjectAltName=DNS:hub.test,DNS:cdn.test,IP:127.0.0.1,IP:127.0.0.2',
    '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem'),
  ], { stdio: 'ignore' });
  // TLS in front of the fake hub: https://hub.test:<tlsPort> through the proxy's CONNECT tunnel
  const sockets = new Set<Socket>();
  const front = (client: Socket) => {
    const upstream = connect(hub.port, '127.0.0.1');
    sockets.add(upstream);
    client.pipe(upstream).pipe(client);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('close', () => sockets.delete(upstream));
  };
  const credentials = { key: readFileSync(join(certDir, 'key.pem')), cert: readFileSync(join(certDir, 'cert.pem')) };
  tls = createTlsServer(credentials, front);
  tlsCdn = createTlsServer(credentials, front);
  await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => tlsCdn.listen(0, '127.0.0.2', r));
  tlsPort = (tls.address() as { port: number }).port;
  tlsCdnPort = (tlsCdn.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise<void>((r) => tls.close(() => r()));
  await new Promise<void>((r) => tlsCdn.close(() => r()));
  await proxy.close();
  await hub.close();
  rmSync(certDir, { recursive: true, force: true });
});
afterEach(async () => {
  await t?.close();
  t = null;
  proxy.log.length = 0;
  hub.resetStats();
  await hub.setKnobs({ cdnUrl: null });
});

const online = { SWITCHYARD_OFFLINE: '0', HF_TOKEN: 'hf_valid_token', EMU_START_DELAY_MS: '100' };

describe('through a forward proxy', () => {
  it('search, news and an install over http go through the proxy; Authorization never reaches the CDN host; runtimes stay direct', async () => {
    const endpoint = `http://hub.test:${hub.port}`;
    await hub.setKnobs({ cdnUrl: `http://cdn.test:${hub.port}` });
    t = await startTestCore({ env: { ...online, HF_ENDPOINT: endpoint, SWITCHYARD_OLLAMA_LIBRARY_URL: endpoint, http_proxy: proxy.url } });

    const search = await t.call<Body>('GET', '/api/v1/models/providers?provider=huggingface&q=qwen&limit=10');
    expect(search.body).toMatchObject({ stale: false, error: null });
    expect(search.body.models.length).toBeGreaterThan(0);
    const library = await t.call<Body>('GET', '/api/v1/models/trending?provider=ollama&limit=3');
    expect(library.body).toMatchObject({ stale: false, count: 3 });
    const news = await t.call<Body>('GET', '/api/v1/models/news?type=blog');
    expect(news.body).toMatchObject({ stale: false });
    expect(news.body.count).toBeGreaterThan(0);

    const op = await waitForOperation(t, await install(t, { name: 'org/tiny-model', provider: 'huggingface', runtime: 'vllm' }));
    expect(op.status, op.message).toBe('completed');

    const toHub = proxy.log.filter((r) => r.target === `hub.test:${hub.port}`);
    const toCdn = proxy.log.filter((r) => r.target === `cdn.test:${hub.port}`);
    expect(toHub.length).toBeGreaterThan(3);
    expect(toCdn.length).toBeGreaterThan(0); // the LFS shards, after the Hub's redirect
    expect(toHub.filter((r) => r.authorization).length).toBeGreaterThan(0);
    expect(toCdn.filter((r) => r.authorization)).toEqual([]); // the redirect left the Hub's host

    // a local runtime: started, health-checked and listed, all on loopback, none of it via the proxy
    const before = proxy.log.length;
    const started = await t.call<{ server: RuntimeInfo }>('POST', '/api/v1/system/llm-servers/ollama/start');
    expect(started.status).toBe(200);
    await waitFor(async () => (await t!.call<{ servers: RuntimeInfo[] }>('GET', '/api/v1/system/llm-servers')).body.servers.find((s) => s.name === 'ollama')?.state === 'ready', 'ollama ready');
    await t.call('GET', '/v1/models');
    expect(proxy.log.slice(before)).toEqual([]);
    expect(proxy.log.some((r) => /^(127\.|localhost|\[::1\])/.test(r.target))).toBe(false);
  });

  it('https goes through a CONNECT tunnel and trusts a self-signed CA named by SSL_CERT_FILE', async () => {
    const endpoint = `https://hub.test:${tlsPort}`;
    await hub.setKnobs({ cdnUrl: `https://cdn.test:${tlsPort}` });
    t = await startTestCore({ env: { ...online, HF_ENDPOINT: endpoint, HTTPS_PROXY: proxy.url, SSL_CERT_FILE: join(certDir, 'cert.pem') } });
    const op = await waitForOperation(t, await install(t, { name: 'org/tiny-model', provider: 'huggingface', runtime: 'vllm' }));
    expect(op.status, op.message).toBe('completed');
    expect(proxy.log.every((r) => r.method === 'CONNECT')).toBe(true);
    expect(proxy.log.map((r) => r.target)).toContain(`hub.test:${tlsPort}`);
    expect(proxy.log.map((r) => r.target)).toContain(`cdn.test:${tlsPort}`);
    expect(hub.stats.requests.cdn).toBeGreaterThan(0);
  });

  it('direct https (no proxy) trusts a CA named by NODE_EXTRA_CA_CERTS, for the API and the downloads', async () => {
    const endpoint = `https://127.0.0.1:${tlsPort}`;
    await hub.setKnobs({ cdnUrl: `https://127.0.0.2:${tlsCdnPort}` });
    t = await startTestCore({ env: { ...online, HF_ENDPOINT: endpoint, NODE_EXTRA_CA_CERTS: join(certDir, 'cert.pem') } });
    const op = await waitForOperation(t, await install(t, { name: 'org/tiny-model', provider: 'huggingface', runtime: 'vllm' }));
    expect(op.status, op.message).toBe('completed');
    expect(hub.stats.requests.cdn).toBeGreaterThan(0);
    expect(proxy.log).toEqual([]);
  });

  it('without the CA the same hub is refused (the certificate is not trusted), and nothing is downloaded', async () => {
    const endpoint = `https://hub.test:${tlsPort}`;
    t = await startTestCore({ env: { ...online, HF_ENDPOINT: endpoint, HTTPS_PROXY: proxy.url, SSL_CERT_FILE: '', NODE_EXTRA_CA_CERTS: '', REQUESTS_CA_BUNDLE: '' } });
    const plan = await t.call<Body>('GET', '/api/v1/models/registry/plan?name=org%2Ftiny-model&provider=huggingface');
    expect(plan.status).not.toBe(200);
    expect(plan.body.error.code).toBe('upstream_error'); // not "offline": the Hub answered, its certificate is the problem
    expect(plan.body.error.message).toMatch(/certificate is not trusted.*NODE_EXTRA_CA_CERTS or SSL_CERT_FILE/);
    expect(hub.stats.requests.cdn ?? 0).toBe(0);
  });

  it('NO_PROXY sends a host direct (here: where it does not resolve), and the proxy sees nothing', async () => {
    t = await startTestCore({ env: { ...online, HF_ENDPOINT: `http://hub.test:${hub.port}`, HTTP_PROXY: proxy.url, NO_PROXY: '.test' } });
    const plan = await t.call<Body>('GET', '/api/v1/models/registry/plan?name=org%2Ftiny-model&provider=huggingface');
    expect(plan.body.error.message).toMatch(/ENOTFOUND|hub\.test/);
    expect(proxy.log).toEqual([]);
  });
});
