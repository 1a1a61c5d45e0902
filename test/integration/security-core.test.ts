import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeHub } from '../fixtures/hub/server.mjs';
import { useFakeHub } from '../support/fake-hub';
import { FIXTURES, startTestCore, type TestCore } from '../support/core';
import { waitForOperation } from '../support/models';
import { emulatorEvents } from '../support/emulator-state';
import { waitFor } from '../support/wait';
import { createLogger } from '../../src/main/logger';
import { vllmAdapter } from '../../src/main/runtimes/adapters';
import { Settings } from '../../src/shared/settings';
import type { Operation } from '../../src/shared/api/models';
import { tempDir } from '../support/temp';

const HF_TOKEN = 'hf_abcdefghijklmnopqrstuvwx1234';
let hub: FakeHub;
let t: TestCore | null = null;

useFakeHub((started) => (hub = started));
afterEach(async () => {
  await t?.close();
  t = null;
});

const mode = (path: string) => statSync(path).mode & 0o777;

describe('secrets', () => {
  it('masks the Hub token in every answer, keeps it out of the database, and stores it 0600 in a 0700 dir', async () => {
    t = await startTestCore({ env: { SWITCHYARD_OFFLINE: '0', HF_ENDPOINT: hub.url } });
    const set = await t.call<{ settings: Settings }>('PATCH', '/api/v1/settings', { hub: { token: HF_TOKEN } });
    expect(set.status).toBe(200);
    expect(set.body.settings.hub.token).toBe('hf_…1234');
    const got = await t.call<{ settings: Settings }>('GET', '/api/v1/settings');
    expect(JSON.stringify(got.body)).not.toContain(HF_TOKEN);
    expect(got.body.settings.hub.token).toBe('hf_…1234');
    // the masked value sent back (a form saved without touching the field) keeps the token
    await t.call('PATCH', '/api/v1/settings', { hub: { token: 'hf_…1234', endpoint: hub.url } });
    expect(t.core.settings.get().hub.token).toBe(HF_TOKEN);

    t.core.db.pragma('wal_checkpoint(TRUNCATE)');
    for (const f of readdirSync(t.dataDir).filter((f) => f.startsWith('switchyard.db'))) {
      expect(readFileSync(join(t.dataDir, f)).includes(HF_TOKEN), f).toBe(false);
      expect(mode(join(t.dataDir, f)), f).toBe(0o600);
    }
    expect(mode(t.dataDir)).toBe(0o700);
    expect(mode(join(t.dataDir, 'secrets.json'))).toBe(0o600);
    expect(readFileSync(join(t.dataDir, 'secrets.json'), 'utf8')).toContain(HF_TOKEN); // headless: no keychain, a 0600 file

    // clearing it removes it from the store
    await t.call('PATCH', '/api/v1/settings', { hub: { token: null } });
    expect(readFileSync(join(t.dataDir, 'secrets.json'), 'utf8')).not.toContain(HF_TOKEN);
  });

  it('moves a token an earlier version stored in the database into the secret store', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-legacy-'));
    try {
      const first = await startTestCore({ dataDir, keepDataDir: true });
      await first.close();
      const db = new Database(join(dataDir, 'switchyard.db'));
      db.prepare("INSERT OR REPLACE INTO settings (grp, value, updated_at) VALUES ('hub', ?, 'x')").run(JSON.stringify({ endpoint: 'https://huggingface.co', token: HF_TOKEN }));
      db.close();
      t = await startTestCore({ dataDir, keepDataDir: true });
      expect(t.core.settings.get().hub.token).toBe(HF_TOKEN);
      const row = t.core.db.prepare("SELECT value FROM settings WHERE grp = 'hub'").pluck().get() as string;
      expect(row).not.toContain(HF_TOKEN);
      await t.close();
      t = null;
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('keeps SWITCHYARD_TOKEN and HF_TOKEN out of the runtimes and nvidia-smi environments', async () => {
    const stateFile = join(tempDir('smi-state-'), 'state.jsonl');
    t = await startTestCore({
      env: { HF_TOKEN, SWITCHYARD_TOKEN: 'inherited-token-0123456789', HUGGING_FACE_HUB_TOKEN: HF_TOKEN, SWITCHYARD_NVIDIA_SMI_BIN: join(FIXTURES, 'bin', 'nvidia-smi'), EMU_STATE_FILE: stateFile },
      hfModels: ['org/tiny'],
    });
    // the long-lived nvidia-smi sampler
    const smiPid = await waitFor(() => {
      const loop = emulatorEvents(stateFile).find((e) => e.event === 'started' && e.args?.some((a) => a.startsWith('-lms') || a.startsWith('--loop-ms')));
      return loop && existsSync(`/proc/${loop.pid}/environ`) ? loop.pid : null;
    }, 'nvidia-smi to start');
    expect(readFileSync(`/proc/${smiPid}/environ`, 'utf8')).not.toMatch(/HF_TOKEN|SWITCHYARD_TOKEN|HUGGING_FACE_HUB_TOKEN/);
    const info = await t.core.runtimes.activate('vllm', { model: 'org/tiny' });
    const environ = readFileSync(`/proc/${info.pid}/environ`, 'utf8').split('\0');
    expect(environ.some((v) => v.startsWith('HF_HUB_OFFLINE=1'))).toBe(true); // fully cached: served offline
    expect(environ.filter((v) => /^(HF_TOKEN|SWITCHYARD_TOKEN|HUGGING_FACE_HUB_TOKEN)=/.test(v))).toEqual([]);
    const ollama = await t.core.runtimes.activate('ollama');
    expect(readFileSync(`/proc/${ollama.pid}/environ`, 'utf8')).not.toContain(HF_TOKEN);
  });

  it('gives vLLM the Hub token only when it has files to fetch', () => {
    const settings = Settings.parse({ hub: { token: HF_TOKEN } });
    const env = { PATH: '/usr/bin', HF_TOKEN: 'from-env', SWITCHYARD_TOKEN: 'api-token-0123456789' };
    const empty = mkdtempSync(join(tmpdir(), 'hf-empty-'));
    try {
      const launch = vllmAdapter.launch({ settings, model: 'org/not-cached', env, hfHubCache: empty });
      expect(launch.env.HF_TOKEN).toBe(HF_TOKEN);
      expect(launch.env.SWITCHYARD_TOKEN).toBeUndefined();
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('never writes a secret to the log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'log-'));
    try {
      const file = join(dir, 'core.log');
      const logger = createLogger({ level: 'info', destination: file });
      logger.info({ settings: { hub: { token: HF_TOKEN } }, headers: { authorization: 'Bearer secret-api-token' }, env: { HF_TOKEN } }, 'settings');
      logger.flush();
      await waitFor(() => existsSync(file) && readFileSync(file, 'utf8').includes('settings'), 'the log line');
      const text = readFileSync(file, 'utf8');
      expect(text).not.toContain(HF_TOKEN);
      expect(text).not.toContain('secret-api-token');
      expect(text).toContain('[redacted]');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('input checks', () => {
  it('refuses oversized and malformed settings with a 400 naming the field, storing nothing', async () => {
    t = await startTestCore();
    const before = JSON.stringify(t.core.settings.stored());
    const cases: [unknown, string][] = [
      [{ ollama: { host: 'x'.repeat(60_000) } }, 'body.ollama.host'],
      [{ vllm: { host: 'evil host\r\nX: y' } }, 'body.vllm.host'],
      [{ vllm: { extraArgs: Array.from({ length: 1_000 }, () => '--x') } }, 'body.vllm.extraArgs'],
      [{ vllm: { binary: '/usr/bin/vllm\u0000' } }, 'body.vllm.binary'],
      [{ hub: { endpoint: 'file:///etc/passwd' } }, 'body.hub.endpoint'],
      [{ ollama: { env: { 'BAD NAME': 'x' } } }, 'body.ollama.env'],
      [{ ollama: { keepAlive: '5m; rm -rf' } }, 'body.ollama.keepAlive'],
    ];
    for (const [body, field] of cases) {
      const res = await t.call<{ error: { code: string; message: string } }>('PATCH', '/api/v1/settings', body);
      expect(res.status, field).toBe(400);
      expect(res.body.error.message, field).toContain(field);
    }
    expect(JSON.stringify(t.core.settings.stored())).toBe(before);
  });

  it('refuses a revision with CR/LF, NUL or traversal before calling the Hub', async () => {
    t = await startTestCore({ env: { SWITCHYARD_OFFLINE: '0', HF_ENDPOINT: hub.url } });
    hub.resetStats();
    for (const revision of ['main\r\nX-Evil: 1', 'main\u0000', '../../etc', 'a b']) {
      const plan = await t.call('GET', `/api/v1/models/registry/plan?name=org%2Ftiny-model&provider=huggingface&revision=${encodeURIComponent(revision)}`);
      expect(plan.status, JSON.stringify(revision)).toBe(400);
      const install = await t.call('POST', '/api/v1/models/registry/install', { name: 'org/tiny-model', provider: 'huggingface', revision });
      expect(install.status, JSON.stringify(revision)).toBe(400);
    }
    expect(hub.stats.requests).toEqual({});
  });

  it('answers twenty identical installs at once with one operation', async () => {
    t = await startTestCore({ env: { SWITCHYARD_OFFLINE: '0', HF_ENDPOINT: hub.url } });
    const body = { name: 'org/tiny-model', provider: 'huggingface', runtime: 'vllm' };
    const answers = await Promise.all(Array.from({ length: 20 }, () => t!.call<{ operation_id: string }>('POST', '/api/v1/models/registry/install', body)));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    const ids = new Set(answers.map((a) => a.body.operation_id));
    expect(ids.size).toBe(1);
    const op = await waitForOperation(t, [...ids][0]!);
    expect(op.status, op.message).toBe('completed');
    const ops = await t.call<{ operations: Operation[] }>('GET', '/api/v1/models/operations');
    expect(ops.body.operations.filter((o) => o.operation_type === 'install')).toHaveLength(1);
  });
});

describe('a hostile Hub or mirror', () => {
  const victim = `victim-${process.pid}-${Date.now()}`;
  let hostile: Server;
  let hostileUrl: string;

  beforeAll(async () => {
    // forwards to the fake hub, but lists one LFS file under a blob id that climbs out of the cache
    const sha = hub.repo('org/tiny-model')!.files.get('model-00001-of-00002.safetensors')!.sha256!;
    hostile = createServer((req, res) => void relay(req.url ?? '/', req.headers.authorization, res).catch(() => res.destroy()));
    const relay = async (path: string, authorization: string | undefined, res: import('node:http').ServerResponse) => {
      const req = { url: path, headers: { authorization } };
      const upstream = await fetch(`${hub.url}${req.url}`, { headers: { authorization: req.headers.authorization ?? '' }, redirect: 'manual' });
      const type = upstream.headers.get('content-type') ?? '';
      let body: Buffer = Buffer.from(await upstream.arrayBuffer());
      if (type.includes('json')) body = Buffer.from(body.toString('utf8').replaceAll(sha, `../../../../${victim}`));
      const headers: Record<string, string> = { 'content-type': type };
      for (const h of ['location', 'x-repo-commit', 'etag', 'x-linked-etag', 'x-linked-size', 'content-range', 'accept-ranges']) {
        const v = upstream.headers.get(h);
        if (v) headers[h] = v.replace(hub.url, hostileUrl);
      }
      res.writeHead(upstream.status, headers).end(body);
    };
    await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', () => r()));
    hostileUrl = `http://127.0.0.1:${(hostile.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => hostile.close(() => r())));

  it('cannot make Switchyard write or delete outside the cache with a crafted blob id', async () => {
    // the connection drops mid-file: a partial download would stay where the blob id points
    await hub.setKnobs({ dropAfterBytes: 4096, dropTimes: 1000 });
    t = await startTestCore({ env: { SWITCHYARD_OFFLINE: '0', HF_ENDPOINT: hostileUrl } });
    await t.call('PATCH', '/api/v1/settings', { downloads: { maxRetries: 0 } });
    const res = await t.call<{ error: { code: string; message: string }; operation_id?: string }>('POST', '/api/v1/models/registry/install', { name: 'org/tiny-model', provider: 'huggingface', runtime: 'vllm' });
    if (res.status === 200) {
      const op = await waitForOperation(t, res.body.operation_id!);
      expect(op.status).toBe('failed');
    } else {
      expect(res.status).toBe(502);
      expect(res.body.error.code).toBe('upstream_error');
      expect(res.body.error.message).toMatch(/hash/);
    }
    const cache = join(t.dataDir, 'hf-cache');
    for (const up of [victim, `${victim}.incomplete`]) {
      for (const dir of [t.dataDir, cache, join(cache, '..', '..'), tmpdir()]) expect(existsSync(join(dir, up)), join(dir, up)).toBe(false);
    }
    await hub.setKnobs({ dropAfterBytes: null, dropTimes: 0 });
  });
});

describe('a runtime that cannot open its log', () => {
  it('is refused with runtime_failed and what to do, not a 500', async () => {
    t = await startTestCore();
    const log = join(t.dataDir, 'logs', 'ollama.log');
    rmSync(log, { force: true });
    mkdirSync(log, { recursive: true }); // open(…, 'a') fails (EISDIR), as it does with EMFILE or ENOSPC
    const res = await t.call<{ error: { code: string; message: string } }>('POST', '/api/v1/system/llm-servers/ollama/start');
    expect(res.status).toBe(502); // runtime_failed, not an internal error
    expect(res.body.error.code).toBe('runtime_failed');
    expect(res.body.error.message).toMatch(/runtime log/);
    expect((await t.app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });
});

describe('a full data disk', () => {
  it('answers 507 with what to free, changes nothing, and keeps serving', async () => {
    t = await startTestCore();
    t.core.db.pragma('wal_checkpoint(TRUNCATE)');
    const pages = t.core.db.pragma('page_count', { simple: true }) as number;
    t.core.db.pragma(`max_page_count = ${pages}`); // the database cannot grow: SQLITE_FULL, as on a full disk
    let status = 0;
    let body: { error?: { code: string; message: string } } = {};
    let before = '';
    for (let i = 0; i < 200 && status !== 507; i++) {
      before = JSON.stringify(t.core.settings.stored());
      const res = await t.call<typeof body>('PATCH', '/api/v1/settings', { vllm: { extraArgs: Array.from({ length: 60 }, (_, j) => `--arg-${i}-${j}-${'x'.repeat(900)}`) } });
      status = res.status;
      body = res.body;
      expect([200, 507]).toContain(status);
    }
    expect(status).toBe(507);
    expect(body.error?.code).toBe('insufficient_disk');
    expect(body.error?.message).toMatch(/full.*Free space/);
    expect((await t.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await t.call('GET', '/api/v1/settings')).status).toBe(200);
    expect(JSON.stringify(t.core.settings.stored())).toBe(before); // the failed change left nothing behind
    t.core.db.pragma('max_page_count = 1073741823');
  });
});
