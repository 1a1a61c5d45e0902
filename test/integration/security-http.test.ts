import { execa } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type App } from '../../src/main/http/server';
import { emulatorEnv, FIXTURES, startTestCore, type TestCore } from '../support/core';
import { waitFor } from '../support/wait';

interface Route {
  method: string;
  path: string;
}

/** Every route of the OpenAPI document, with its path parameters filled in. */
async function openApiRoutes(t: TestCore): Promise<Route[]> {
  const doc = await t.call<{ paths: Record<string, Record<string, unknown>> }>('GET', '/openapi.json');
  const routes: Route[] = [];
  for (const [path, methods] of Object.entries(doc.body.paths)) {
    for (const method of Object.keys(methods)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      routes.push({ method: method.toUpperCase(), path: path.replace(/\{[^}]+\}/g, 'ollama') });
    }
  }
  return routes;
}

/** Spellings of one path that a router may decode to the same route. */
function disguises(path: string): string[] {
  const segments = path.split('/').slice(1);
  const encodeFirst = (s: string) => (s ? `%${s.charCodeAt(0).toString(16)}${s.slice(1)}` : s);
  const encodeAll = (s: string, upper: boolean) =>
    [...s].map((c) => (/[a-z0-9]/i.test(c) ? `%${c.charCodeAt(0).toString(16)[upper ? 'toUpperCase' : 'toLowerCase']()}` : c)).join('');
  return [
    '/' + segments.map(encodeFirst).join('/'),
    '/' + segments.map((s) => encodeAll(s, false)).join('/'),
    '/' + segments.map((s) => encodeAll(s, true)).join('/'),
    '/' + encodeFirst(segments[0]!) + '/' + segments.slice(1).join('/'),
    '/' + segments.slice(0, -1).join('/') + '/' + encodeFirst(segments.at(-1)!),
    path.toUpperCase(),
    '/' + path,
    path + '/',
    '/./' + path.slice(1),
    '/x/..' + path,
    path + ';x',
    path + '%00',
    path + '?token=',
    path.replace(/\//g, '%2f'),
  ];
}

let t: TestCore;
beforeAll(async () => {
  t = await startTestCore();
});
afterAll(async () => {
  await t?.close();
});

describe('API authentication cannot be bypassed', () => {
  it('answers no route of /openapi.json, however its path is spelled, without the token', async () => {
    const routes = await openApiRoutes(t);
    expect(routes.length).toBeGreaterThan(30);
    const bypasses: string[] = [];
    for (const route of routes) {
      for (const url of [route.path, ...disguises(route.path)]) {
        const res = await t.app.inject({ method: route.method as 'GET', url, payload: route.method === 'GET' ? undefined : {} });
        if (res.statusCode < 400 || res.statusCode >= 500) bypasses.push(`${route.method} ${url} → ${res.statusCode}`);
      }
    }
    expect(bypasses).toEqual([]);
  });

  it('does not change settings through a percent-encoded path (the nvidia-smi path was code execution)', async () => {
    const before = t.core.settings.get().gpu.nvidiaSmiBinary;
    for (const url of ['/%61pi/v1/settings', '/api/%76%31/settings', '/api/v1/%73ettings']) {
      const res = await t.app.inject({ method: 'PATCH', url, payload: { gpu: { nvidiaSmiBinary: '/tmp/evil.sh' } } });
      expect(res.statusCode, url).toBe(401);
    }
    expect(t.core.settings.get().gpu.nvidiaSmiBinary).toBe(before);
  });

  it('keeps the docs and the UI shell public and nothing else', async () => {
    expect((await t.app.inject({ url: '/docs' })).statusCode).toBeLessThan(400);
    expect((await t.app.inject({ url: '/docs/json' })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/%68ealthz' })).statusCode).toBe(200); // the same public route, decoded
    expect((await t.app.inject({ url: '/metrics' })).statusCode).toBe(401);
  });
});

describe('deliberate LAN exposure', () => {
  it('tells the UI when the API is reachable from other machines, and serves this machine by its own addresses then', async () => {
    expect((await t.call<{ server: { loopback_only: boolean } }>('GET', '/api/v1/system/server')).body.server.loopback_only).toBe(true);
    const lan = await startTestCore({ startup: { host: '0.0.0.0' }, env: { SWITCHYARD_ALLOWED_HOSTS: 'gpu-box.lan' } });
    try {
      const info = await lan.call<{ server: { loopback_only: boolean; allowed_hosts: string[] } }>('GET', '/api/v1/system/server');
      expect(info.body.server).toMatchObject({ loopback_only: false, allowed_hosts: ['gpu-box.lan'] });
      const asLanName = await lan.app.inject({ url: '/api/v1/settings', headers: { host: 'gpu-box.lan', authorization: `Bearer ${lan.token}` } });
      expect(asLanName.statusCode).toBe(200);
      const rebound = await lan.app.inject({ url: '/api/v1/settings', headers: { host: 'attacker.example', authorization: `Bearer ${lan.token}` } });
      expect(rebound.statusCode).toBe(403);
    } finally {
      await lan.close();
    }
  });
});

describe('over a real socket', () => {
  let server: App;
  let port: number;
  let dataDir: string;
  let core: TestCore;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'switchyard-sec-'));
    core = await startTestCore({ dataDir });
    server = await buildServer(core.core, { requestTimeoutMs: 600 });
    await server.listen({ host: '127.0.0.1', port: 0 });
    port = (server.server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await server?.close();
    await core?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Sends raw bytes; resolves with everything the server wrote before closing. */
  function raw(text: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let out = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => (out += d));
      socket.on('error', reject);
      socket.on('close', () => resolve(out));
      socket.write(text);
    });
  }
  const statusOf = (response: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1]);

  it('refuses absolute-form and asterisk request targets', async () => {
    for (const target of [`http://127.0.0.1:${port}/api/v1/settings`, `http://127.0.0.1:${port}/%61pi/v1/settings`, '*']) {
      const res = await raw(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
      expect(statusOf(res), target).toBe(400);
      expect(res).not.toContain('"settings"');
    }
  });

  it('refuses a foreign Host (DNS rebinding) and a wrong port, even with the token', async () => {
    const auth = `Authorization: Bearer ${core.token}\r\nConnection: close\r\n`;
    expect(statusOf(await raw(`GET /api/v1/settings HTTP/1.1\r\nHost: attacker.example:${port}\r\n${auth}\r\n`))).toBe(403);
    expect(statusOf(await raw(`GET /api/v1/settings HTTP/1.1\r\nHost: 127.0.0.1:1\r\n${auth}\r\n`))).toBe(403);
    expect(statusOf(await raw(`GET /api/v1/settings HTTP/1.1\r\n${auth}\r\n`))).toBe(400); // HTTP/1.1 without Host
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`]) {
      expect(statusOf(await raw(`GET /api/v1/settings HTTP/1.1\r\nHost: ${host}\r\n${auth}\r\n`)), host).toBe(200);
    }
  });

  it("refuses state-changing requests from another web origin, also on the OpenAI endpoint's fast path", async () => {
    const headers = { authorization: `Bearer ${core.token}`, 'content-type': 'application/json' };
    const foreign = await fetch(`http://127.0.0.1:${port}/api/v1/system/offline`, { method: 'PUT', headers: { ...headers, origin: 'http://attacker.example' }, body: '{"offline":true}' });
    expect(foreign.status).toBe(403);
    const chat = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, { method: 'POST', headers: { ...headers, origin: 'http://attacker.example' }, body: '{"model":"x","messages":[]}' });
    expect(chat.status).toBe(403);
    const own = await fetch(`http://127.0.0.1:${port}/api/v1/system/offline`, { method: 'PUT', headers: { ...headers, origin: `http://127.0.0.1:${port}` }, body: '{"offline":true}' });
    expect(own.status).toBe(200);
    const encoded = await fetch(`http://127.0.0.1:${port}/%76%31/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"x","messages":[]}' });
    expect(encoded.status).toBe(401);
  });

  it('cuts off a request whose body trickles in (slowloris)', async () => {
    const socket: Socket = connect(port, '127.0.0.1');
    let out = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (out += d));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write(`POST /api/v1/system/offline HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${core.token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`);
    // one byte whenever the server reads the previous one; the server must close well before 100 bytes
    let sent = 1;
    const drip = setInterval(() => {
      if (!socket.destroyed && sent < 99) socket.write(' ', () => sent++);
    }, 50);
    await closed;
    clearInterval(drip);
    expect(sent).toBeLessThan(99);
    expect(out === '' || statusOf(out) === 408, out).toBe(true);
  });

  it('refuses a body larger than the route allows', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/settings`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${core.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ vllm: { extraArgs: ['x'.repeat(400 * 1024)] } }),
    });
    expect(res.status).toBe(413);
  });
});

describe('descriptor exhaustion', () => {
  let dataDir: string;
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('survives a connection flood that exhausts its descriptors, GPU sampler included, and serves again after', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'switchyard-fd-'));
    const env = { ...(await emulatorEnv(dataDir)), PATH: `${join(FIXTURES, 'bin')}:${process.env.PATH}`, SERVE_MAX_CONNECTIONS: '100000', SERVE_LOG_LEVEL: 'debug' };
    // a low descriptor limit, and no connection cap: the flood really runs the process out of descriptors
    const child = execa('bash', ['-c', 'ulimit -n 200 && exec node --import tsx test/support/serve-process.ts "$0"', dataDir], { env, extendEnv: false, reject: false, buffer: false });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      let text = '';
      child.stdout!.on('data', (d: Buffer) => {
        text += d.toString();
        const line = /\{"port":(\d+)\}/.exec(text);
        if (line) resolve(Number(line[1]));
      });
      child.catch(reject);
      void child.then(() => reject(new Error(`server exited early: ${stderr.slice(0, 1500)}`)));
    });
    const flood: Socket[] = [];
    try {
      // hold connections until the process's accept() fails for want of descriptors (the server stops accepting)
      const opened = await Promise.all(
        Array.from({ length: 320 }, () => new Promise<Socket>((resolve) => {
          const s = connect(port, '127.0.0.1', () => resolve(s));
          s.on('error', () => resolve(s));
          flood.push(s);
        })),
      );
      expect(opened.length).toBe(320);
      // the sampler polls nvidia-smi every 250 ms meanwhile: wait until the process has run into EMFILE
      await waitFor(() => stderr.includes('EMFILE'), 'the process to run out of descriptors', 30_000);
      expect(child.exitCode).toBeNull();
    } finally {
      for (const s of flood) s.destroy();
    }
    const health = await waitFor(async () => {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null);
      return res?.status === 200 ? res : null;
    }, 'the server to answer again after the flood', 30_000);
    expect(health.status).toBe(200);
    expect(child.exitCode).toBeNull();
    child.kill('SIGTERM');
    await child;
  });
});
