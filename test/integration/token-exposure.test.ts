// Where the API token may travel: only on the SSE route as a query parameter, never into logs, never
// from the /docs explorer to another origin, never from the CLI to a program that is not Switchyard.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/main/cli/run';
import { identityProof } from '../../src/main/http/auth';
import { docsRequestInterceptor } from '../../src/main/http/docs-interceptor';
import { buildServer, type App } from '../../src/main/http/server';
import { redactUrl } from '../../src/main/logger';
import { startTestCore, type TestCore } from '../support/core';

let t: TestCore;
let ui: App;
let url = '';
let rendererDir = '';

beforeAll(async () => {
  t = await startTestCore();
  rendererDir = mkdtempSync(join(tmpdir(), 'switchyard-ui-'));
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Switchyard</title>');
  // the same core served with a UI, listening, as the entries do
  ui = await buildServer(t.core, { rendererDir });
  await ui.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(ui.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await ui?.close();
  await t?.close();
  rmSync(rendererDir, { recursive: true, force: true });
});

/** A server that records what it was sent and answers every path with `answer` (JSON). */
async function impostor(answer: (path: string, headers: IncomingHttpHeaders) => Promise<unknown> | unknown): Promise<{ url: string; seen: { path: string; authorization?: string }[]; close(): void }> {
  const seen: { path: string; authorization?: string }[] = [];
  const server: Server = createServer(async (req, res) => {
    seen.push({ path: req.url ?? '', authorization: req.headers.authorization });
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(await answer(req.url ?? '', req.headers)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => server.close() };
}

async function cli(args: string[], env: NodeJS.ProcessEnv) {
  let stderr = '';
  let stdout = '';
  const code = await runCli(args, { env, stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), pollMs: 50 });
  return { code, stdout, stderr };
}

describe('token exposure', () => {
  it('takes ?token= only on the SSE route', async () => {
    const token = encodeURIComponent(t.token);
    for (const path of [`/api/v1/system/llm-servers?token=${token}`, `/api/v1/settings?token=${token}`, `/api/v1/system/llm-servers?%74oken=${token}`]) {
      expect((await fetch(`${url}${path}`)).status).toBe(401);
    }
    const controller = new AbortController();
    const events = await fetch(`${url}/api/v1/events?token=${token}`, { signal: controller.signal });
    expect(events.status).toBe(200);
    expect(events.headers.get('content-type')).toContain('text/event-stream');
    controller.abort();
    expect((await fetch(`${url}/api/v1/events?token=wrong-token-0123456789`)).status).toBe(401);
  });

  it('redacts the token from logged URLs however the key is spelled', () => {
    for (const raw of ['/api/v1/events?token=SECRET', '/api/v1/events?%74oken=SECRET', '/api/v1/events?types=a&%2574oken=SECRET', '/x?TOKEN=SECRET#f', '/x?to%6Ben=SECRET&a=1', '/x?+token=SECRET']) {
      const logged = redactUrl(raw);
      expect(logged).not.toContain('SECRET');
      expect(logged).toContain('[redacted]');
    }
    expect(redactUrl('/x?types=a,b&tokens=1')).toBe('/x?types=a,b&tokens=1');
  });

  it('forbids framing: frame-ancestors none and X-Frame-Options DENY on the UI, the docs and every answer', async () => {
    for (const path of ['/', '/models', '/docs', '/healthz', '/api/v1/system/llm-servers']) {
      const res = await fetch(`${url}${path}`);
      expect(res.headers.get('content-security-policy'), path).toBe("frame-ancestors 'none'");
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
    }
  });

  it('serves a public favicon (no 401 in the console on first load)', async () => {
    const res = await fetch(`${url}/favicon.ico`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^image\//);
  });

  it('the /docs explorer sends the token to its own origin only', async () => {
    const served = await (await fetch(`${url}/docs/static/swagger-initializer.js`)).text();
    const source = docsRequestInterceptor.toString();
    expect(served).toContain(source);
    // run what the page runs, in a page of our origin
    const page = { location: { href: `${url}/docs/`, origin: url }, localStorage: { getItem: () => 'the-ui-token-0123456789' }, URL };
    const interceptor = vm.runInNewContext(`(${source})`, page) as typeof docsRequestInterceptor;
    expect(interceptor({ url: `${url}/api/v1/system/llm-servers`, headers: {} }).headers.Authorization).toBe('Bearer the-ui-token-0123456789');
    expect(interceptor({ url: '/api/v1/settings', headers: {} }).headers.Authorization).toBe('Bearer the-ui-token-0123456789');
    for (const foreign of ['https://evil.example/collect', 'http://127.0.0.1:1/api', `//evil.example/x`, 'http://localhost' + url.slice(url.lastIndexOf(':'))]) {
      expect(interceptor({ url: foreign, headers: {} }).headers.Authorization, foreign).toBeUndefined();
    }
  });

  it('/healthz proves identity to a holder of the token, bound to the address asked', async () => {
    const nonce = randomBytes(18).toString('base64url');
    const body = (await (await fetch(`${url}/healthz?nonce=${nonce}`)).json()) as { service: string; proof: string };
    expect(body.service).toBe('switchyard');
    expect(body.proof).toBe(identityProof(t.token, new URL(url).host, nonce));
    expect(body.proof).not.toBe(identityProof(t.token, '127.0.0.1:8765', nonce));
  });

  it('the CLI sends the token only to the Switchyard that holds it', async () => {
    // something else on the port, answering /healthz like Switchyard's old answer
    const other = await impostor(() => ({ success: true, status: 'ok', servers: [] }));
    // a relay in front of the real Switchyard: forwards /healthz (with the Host the real one accepts)
    const relay = await impostor(
      (path) =>
        new Promise((resolve) => {
          const target = new URL(url);
          httpRequest({ host: target.hostname, port: target.port, path, headers: { host: target.host } }, (res) => {
            let data = '';
            res.on('data', (c: Buffer) => (data += c.toString()));
            res.on('end', () => resolve(JSON.parse(data)));
          }).end();
        }),
    );
    try {
      for (const [target, said] of [
        [other, /^switchyard: not_switchyard: .* is not Switchyard .*the token was not sent/],
        // it answers as Switchyard, but its proof is for the real one's address, not the relay's
        [relay, /^switchyard: unauthorized: .*does not hold it \(the token was not sent\)/],
      ] as const) {
        const run = await cli(['status'], { SWITCHYARD_URL: target.url, SWITCHYARD_TOKEN: t.token });
        expect(run.code).toBe(1);
        expect(run.stderr).toMatch(said);
        expect(target.seen.length).toBeGreaterThan(0);
        expect(target.seen.every((r) => r.authorization === undefined)).toBe(true);
      }
      // the real one, found through the address it wrote into its data dir
      const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-cli-dir-'));
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(join(dataDir, 'token'), t.token);
      writeFileSync(join(dataDir, 'instance.json'), JSON.stringify({ pid: process.pid, url }));
      const ok = await cli(['status', '--json'], { SWITCHYARD_DATA_DIR: dataDir });
      rmSync(dataDir, { recursive: true, force: true });
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
    } finally {
      other.close();
      relay.close();
    }
  });
});
