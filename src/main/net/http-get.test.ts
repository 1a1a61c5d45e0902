import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpGet, httpGet, type HttpResponse } from './http-get';

const servers: { close(): void }[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A TCP server that answers each connection with `reply` (raw bytes, so framing is exact). */
async function rawServer(reply: (socket: Socket, request: string) => void | Promise<void>): Promise<string> {
  const server: Server = createServer((socket) => {
    let head = '';
    socket.on('data', (d) => {
      head += d.toString('latin1');
      if (head.includes('\r\n\r\n')) void reply(socket, head);
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reads a whole body; `slowMs` delays every release (a slow disk), so the buffer pool runs dry. */
async function readAll(res: HttpResponse, slowMs = 0): Promise<Buffer> {
  const parts: Buffer[] = [];
  await res.read((bytes, release) => {
    parts.push(Buffer.from(bytes)); // copy: the bytes are only ours until release()
    if (slowMs) setTimeout(release, slowMs);
    else release();
  });
  return Buffer.concat(parts);
}

const signal = () => new AbortController().signal;

describe('httpGet', () => {
  it('reads a Content-Length body, with the request headers passed through', async () => {
    const body = randomBytes(5 * 1024 * 1024 + 17);
    let request = '';
    const base = await rawServer((socket, head) => {
      request = head;
      socket.write(`HTTP/1.1 206 Partial Content\r\nContent-Length: ${body.length}\r\nX-Repo-Commit: abc\r\nX-Dup: 1\r\nx-dup: 2\r\n\r\n`);
      socket.end(body);
    });
    const res = await httpGet(`${base}/some/file?x=1`, { range: 'bytes=5-', authorization: 'Bearer t' }, signal());
    expect(res.status).toBe(206);
    expect(res.header('x-repo-commit')).toBe('abc');
    expect(res.header('X-Dup')).toBe('1, 2');
    expect(res.header('content-range')).toBeNull();
    expect((await readAll(res)).equals(body)).toBe(true);
    expect(request).toMatch(/^GET \/some\/file\?x=1 HTTP\/1\.1\r\n/);
    expect(request).toMatch(/\r\nHost: 127\.0\.0\.1:\d+\r\n/);
    expect(request).toMatch(/\r\nrange: bytes=5-\r\n/);
    expect(request).not.toMatch(/\r\nConnection:/i); // HTTP/1.1: kept alive
  });

  it('keeps the connection alive between requests, and opens a new one when the server closed it meanwhile', async () => {
    const body = randomBytes(300_000);
    let connections = 0;
    const live = new Set<Socket>();
    const server: Server = createServer((socket) => {
      connections += 1;
      live.add(socket);
      socket.on('close', () => live.delete(socket));
      let head = '';
      socket.on('data', (d) => {
        head += d.toString('latin1');
        while (head.includes('\r\n\r\n')) {
          head = head.slice(head.indexOf('\r\n\r\n') + 4);
          socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`);
          socket.write(body);
        }
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const get = createHttpGet();
    try {
      for (let i = 0; i < 3; i++) expect((await readAll(await get(`${base}/k${i}`, {}, signal()))).equals(body)).toBe(true);
      expect(connections).toBe(1);
      // the server drops its idle connection: the next request goes out on a new one
      const closed = new Promise((r) => [...live][0]!.once('close', r));
      for (const s of live) s.destroy();
      await closed;
      expect((await readAll(await get(`${base}/again`, {}, signal()))).equals(body)).toBe(true);
      expect(connections).toBe(2);
    } finally {
      get.close();
    }
  });

  it('keeps bytes intact when the reader is slower than the network (the pool runs dry and reading pauses)', async () => {
    const body = randomBytes(24 * 1024 * 1024);
    const base = await rawServer((socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`);
      socket.end(body);
    });
    const res = await httpGet(`${base}/f`, {}, signal());
    const got = await readAll(res, 25);
    expect(createHash('sha256').update(got).digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));
  });

  it('many connections at once share the read buffers\' bound and all finish intact (each keeps a minimum)', async () => {
    const body = randomBytes(3 * 1024 * 1024);
    const base = await rawServer((socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`);
      socket.end(body);
    });
    const client = createHttpGet();
    try {
      // 40 connections × up to 4 MiB of buffers each would be 160 MiB: past the bound they make do
      // with two; readers that release late or at once must not leave any of them stuck
      const got = await Promise.all(Array.from({ length: 40 }, async (_, i) => readAll(await client(`${base}/f${i}`, {}, signal()), i % 2 ? 0 : 2)));
      for (const g of got) expect(g.equals(body)).toBe(true);
    } finally {
      client.close();
    }
  });

  it('decodes a chunked body split at every awkward place, skips 103 Early Hints, and reads trailers', async () => {
    const pieces = [randomBytes(10), randomBytes(70_000), randomBytes(1), randomBytes(300_000)];
    const base = await rawServer(async (socket) => {
      const wire = Buffer.concat([
        Buffer.from('HTTP/1.1 103 Early Hints\r\nLink: </x>; rel=preload\r\n\r\n'),
        Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nFolded: a\r\n  b\r\n\r\n'),
        ...pieces.flatMap((p, i) => [Buffer.from(`${p.length.toString(16)}${i === 1 ? ';ext=1' : ''}\r\n`), p, Buffer.from('\r\n')]),
        Buffer.from('0\r\nTrailer-Field: x\r\n\r\n'),
      ]);
      // odd-sized writes with pauses, so lines and CRLFs straddle reads
      for (let at = 0; at < wire.length; ) {
        const n = [1, 2, 3, 7, 4096, 65_537][at % 6]!;
        socket.write(wire.subarray(at, at + n));
        at += n;
        if (at < 200 || at % 9 === 0) await pause(1);
      }
      // no end(): the body's own framing must finish the read
    });
    const res = await httpGet(`${base}/c`, {}, signal());
    expect(res.status).toBe(200);
    expect(res.header('folded')).toBe('a b');
    expect((await readAll(res)).equals(Buffer.concat(pieces))).toBe(true);
  });

  it('reads a body delimited by the connection closing', async () => {
    const body = randomBytes(200_000);
    const base = await rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\n\r\n');
      socket.end(body);
    });
    expect((await readAll(await httpGet(`${base}/c`, {}, signal()))).equals(body)).toBe(true);
  });

  it('fails a body cut short, after handing over what arrived', async () => {
    const base = await rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n');
      socket.end(Buffer.alloc(400, 1));
    });
    const res = await httpGet(`${base}/c`, {}, signal());
    let got = 0;
    await expect(
      res.read((bytes, release) => {
        got += bytes.length;
        release();
      }),
    ).rejects.toThrow(/400 of 1000/);
    expect(got).toBe(400);
  });

  it('stops on abort with the abort reason, and on an idle connection', async () => {
    const base = await rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n');
      socket.write(Buffer.alloc(10));
    });
    const controller = new AbortController();
    const res = await httpGet(`${base}/c`, {}, controller.signal);
    const reading = readAll(res);
    controller.abort(new Error('user cancelled'));
    await expect(reading).rejects.toThrow('user cancelled');

    const idle = await createHttpGet({ idleTimeoutMs: 100 })(`${base}/c`, {}, signal());
    await expect(readAll(idle)).rejects.toThrow(/no data/);

    const aborted = new AbortController();
    aborted.abort(new Error('before start'));
    await expect(httpGet(`${base}/c`, {}, aborted.signal)).rejects.toThrow('before start');
  });

  it('refuses header values that would inject lines, and garbage instead of HTTP', async () => {
    await expect(async () => httpGet('http://127.0.0.1:9/x', { range: 'bytes=0-\r\nX-Evil: 1' }, signal())).rejects.toThrow(/invalid request header/);
    const base = await rawServer((socket) => void socket.end('SSH-2.0-OpenSSH\r\n\r\n'));
    await expect(httpGet(`${base}/x`, {}, signal())).rejects.toThrow(/not an HTTP\/1.1 response/);
    const refused = await rawServer((socket) => void socket.destroy());
    await expect(httpGet(`${refused}/x`, {}, signal())).rejects.toThrow(/closed before the response/);
  });

  it('speaks HTTPS (tls sockets read into the same pool)', async (ctx) => {
    const dir = mkdtempSync(join(tmpdir(), 'http-get-tls-'));
    try {
      try {
        execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'ignore' });
      } catch {
        ctx.skip(); // no openssl to make a certificate with
      }
      const cert = readFileSync(join(dir, 'cert.pem'));
      const body = randomBytes(3 * 1024 * 1024);
      const server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (_req, res) => {
        res.writeHead(200, { 'content-length': body.length });
        res.end(body);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      servers.push(server);
      const port = (server.address() as { port: number }).port;
      const get = createHttpGet({ tls: { ca: cert } });
      const res = await get(`https://localhost:${port}/f`, {}, signal());
      expect((await readAll(res)).equals(body)).toBe(true);
      // an untrusted certificate is refused
      await expect(httpGet(`https://127.0.0.1:${port}/f`, {}, signal())).rejects.toThrow(/certificate/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
