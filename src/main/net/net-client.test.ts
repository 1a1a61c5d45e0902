import { createServer, type Server } from 'node:http';
import { connect, createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeHub, type FakeHub } from '../../../test/fixtures/hub/server.mjs';
import { downloadBlob } from '../hub/downloader';
import { NetClient } from './net-client';

let server: Server;
let hits = 0;
let url: string;
beforeAll(async () => {
  server = createServer((_req, res) => {
    hits += 1;
    res.end('hello');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/x`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

describe('NetClient', () => {
  it('refuses every request while offline, before any connection, and goes out again once online', async () => {
    let offline = true;
    const net = new NetClient({ offline: () => offline });
    try {
      await expect(net.fetch(url)).rejects.toMatchObject({ code: 'offline' });
      await expect(net.get(url, {}, new AbortController().signal)).rejects.toMatchObject({ code: 'offline' });
      expect(hits).toBe(0);
      offline = false;
      expect(await (await net.fetch(url)).text()).toBe('hello');
      expect(hits).toBe(1);
    } finally {
      await net.close();
    }
  });

  it('keeps connections alive between requests to one origin', async () => {
    const sockets = new Set<unknown>();
    const counting = (s: unknown) => sockets.add(s);
    server.on('connection', counting);
    const net = new NetClient({ downloads: 'undici' });
    try {
      for (let i = 0; i < 3; i++) {
        const res = await net.get(url, {}, new AbortController().signal);
        await res.read((_bytes, release) => release());
        await (await net.fetch(url)).text();
      }
      expect(sockets.size).toBeLessThan(6);
    } finally {
      server.off('connection', counting);
      await net.close();
    }
  });
});

describe('redirects', () => {
  let hub: FakeHub;
  let cdn: TcpServer;
  const authorizedAtCdn: boolean[] = [];
  beforeAll(async () => {
    hub = await startFakeHub();
    // the "CDN": another loopback address that forwards to the hub, noting whether requests carry Authorization
    cdn = createTcpServer((client) => {
      const upstream = connect(hub.port, '127.0.0.1');
      client.once('data', (head: Buffer) => authorizedAtCdn.push(/\r\nauthorization:/i.test(head.toString('latin1'))));
      client.pipe(upstream).pipe(client);
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    await new Promise<void>((r) => cdn.listen(0, '127.0.0.2', r));
    await hub.setKnobs({ cdnUrl: `http://127.0.0.2:${(cdn.address() as { port: number }).port}`, validTokens: ['hf_valid_token'] });
  });
  afterAll(async () => {
    await hub.close();
    await new Promise<void>((r) => cdn.close(() => r()));
  });

  it.each(['sockets', 'undici'] as const)('drops Authorization when the LFS redirect leaves the Hub for another host (%s)', async (downloads) => {
    authorizedAtCdn.length = 0;
    hub.resetStats();
    const net = new NetClient({ downloads });
    const dir = mkdtempSync(join(tmpdir(), 'redirect-test-'));
    try {
      const f = hub.repo('org/tiny-model')!.files.get('model-00002-of-00002.safetensors')!;
      const blobPath = join(dir, f.sha256!);
      await downloadBlob(
        { url: `${hub.url}/org/tiny-model/resolve/main/${f.path}`, blobPath, size: f.size, sha256: f.sha256, gitOid: null, label: f.path },
        { get: net.get, headers: { authorization: 'Bearer hf_valid_token' }, signal: new AbortController().signal, maxRetries: 1, retryBaseMs: 5, onBytes: () => {} },
      );
      expect(createHash('sha256').update(readFileSync(blobPath)).digest('hex')).toBe(f.sha256);
      expect(hub.stats.requests.cdn).toBe(1);
      expect(authorizedAtCdn).toEqual([false]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await net.close();
    }
  });
});
