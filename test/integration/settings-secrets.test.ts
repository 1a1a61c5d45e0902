import * as fs from 'node:fs';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestCore, type TestCore } from '../support/core';
import { waitFor } from '../support/wait';
import { createLogger } from '../../src/main/logger';
import type { SecretFs } from '../../src/main/secrets';
import { isSecretEnvName } from '../../src/main/settings-secrets';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const OLD = 'hf_oldoldoldoldoldoldold0001';
const NEW = 'hf_newnewnewnewnewnewnew0002';
const API_KEY = 'sk-vllm-key-abcdefghijkl9999';

let t: TestCore | null = null;
const dirs: string[] = [];
afterEach(async () => {
  await t?.close();
  t = null;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-secrets-'));
  dirs.push(dir);
  return dir;
}

/** every file of the database (WAL checkpointed), as text */
function databaseText(core: TestCore): string {
  core.core.db.pragma('wal_checkpoint(TRUNCATE)');
  return readdirSync(core.dataDir)
    .filter((f) => f.startsWith('switchyard.db'))
    .map((f) => readFileSync(join(core.dataDir, f), 'latin1'))
    .join('\n');
}

const secretsFile = (dir: string) => readFileSync(join(dir, 'secrets.json'), 'utf8');
const tmpFiles = (dir: string) => readdirSync(dir).filter((f) => f.startsWith('secrets.json.') && f.endsWith('.tmp'));

describe('runtime env values that look secret are secrets', () => {
  it('names that look secret, and names that do not', () => {
    for (const name of ['HF_TOKEN', 'VLLM_API_KEY', 'HUGGING_FACE_HUB_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'PGPASSWORD', 'OPENAI_APIKEY', 'hf_token']) expect(isSecretEnvName(name), name).toBe(true);
    for (const name of ['TOKENIZERS_PARALLELISM', 'CUDA_VISIBLE_DEVICES', 'OLLAMA_KEEP_ALIVE', 'VLLM_USE_V1']) expect(isSecretEnvName(name), name).toBe(false);
  });

  it('masked in every answer, kept out of the database, in the secret store, the mask sent back keeps them', async () => {
    const dir = dataDir();
    t = await startTestCore({ dataDir: dir });
    const env = { HF_TOKEN: NEW, VLLM_API_KEY: API_KEY, TOKENIZERS_PARALLELISM: 'false' };
    const set = await t.call<Body>('PATCH', '/api/v1/settings', { vllm: { env }, ollama: { env: { OLLAMA_AUTH_TOKEN: 'ollama-auth-token-5555' } } });
    expect(set.status).toBe(200);
    expect(set.body.settings.vllm.env).toEqual({ HF_TOKEN: 'hf_…0002', VLLM_API_KEY: 'sk-…9999', TOKENIZERS_PARALLELISM: 'false' });
    expect(set.body.settings.ollama.env).toEqual({ OLLAMA_AUTH_TOKEN: 'oll…5555' });
    const got = await t.call<Body>('GET', '/api/v1/settings');
    expect(JSON.stringify(got.body)).not.toContain(NEW);
    expect(JSON.stringify(got.body)).not.toContain(API_KEY);
    // the runtime gets the real values
    expect(t.core.settings.get().vllm.env).toEqual(env);
    expect(databaseText(t)).not.toContain(NEW);
    expect(databaseText(t)).not.toContain(API_KEY);
    expect(secretsFile(dir)).toContain(NEW); // headless: the 0600 file (the desktop app encrypts it with the keychain)

    // a form saved as shown keeps the values; a changed one replaces its own only
    await t.call('PATCH', '/api/v1/settings', { vllm: { env: { ...got.body.settings.vllm.env, TOKENIZERS_PARALLELISM: 'true' } } });
    expect(t.core.settings.get().vllm.env).toEqual({ ...env, TOKENIZERS_PARALLELISM: 'true' });
    await t.call('PATCH', '/api/v1/settings', { vllm: { env: { HF_TOKEN: OLD, VLLM_API_KEY: 'sk-…9999' } } });
    expect(t.core.settings.get().vllm.env).toEqual({ HF_TOKEN: OLD, VLLM_API_KEY: API_KEY });
    expect(secretsFile(dir)).not.toContain(NEW); // the replaced version is gone

    // after a restart, from the store
    await t.close();
    t = await startTestCore({ dataDir: dir });
    expect(t.core.settings.get().vllm.env).toEqual({ HF_TOKEN: OLD, VLLM_API_KEY: API_KEY });
    // removed: gone from the store too
    await t.call('PATCH', '/api/v1/settings', { vllm: { env: {} } });
    expect(secretsFile(dir)).not.toContain(API_KEY);
    expect(secretsFile(dir)).not.toContain(OLD);
  });

  it('moved out of the database where an earlier version stored them', async () => {
    const dir = dataDir();
    t = await startTestCore({ dataDir: dir });
    t.core.db.prepare("INSERT OR REPLACE INTO settings (grp, value, updated_at) VALUES ('vllm', ?, 'x')").run(JSON.stringify({ env: { HF_TOKEN: OLD, OTHER: '1' } }));
    await t.close();
    t = await startTestCore({ dataDir: dir });
    expect(t.core.settings.get().vllm.env).toEqual({ HF_TOKEN: OLD, OTHER: '1' });
    expect(databaseText(t)).not.toContain(OLD);
  });

  it('redacted in log lines, under any name that looks secret', async () => {
    const dir = dataDir();
    const file = join(dir, 'log.jsonl');
    const logger = createLogger({ level: 'info', destination: file });
    logger.info({ settings: { vllm: { env: { HF_TOKEN: NEW, MY_PASSWORD: API_KEY, CUDA_VISIBLE_DEVICES: '0' } } }, env: { SOME_API_KEY: API_KEY } }, 'launch');
    logger.flush();
    await waitFor(() => existsSync(file) && readFileSync(file, 'utf8').includes('launch'), 'the log line');
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(NEW);
    expect(text).not.toContain(API_KEY);
    expect(text).toContain('"CUDA_VISIBLE_DEVICES":"0"');
  });
});

describe('a secret and its settings are saved together', () => {
  /** an fs seam whose writes of the secrets file fail with `code` while `full` is set, after writing part of it */
  function fullDisk(code = 'ENOSPC') {
    const state = { full: false };
    const seam: Partial<SecretFs> = {
      writeFileSync: ((path: fs.PathOrFileDescriptor, data: string, options?: fs.WriteFileOptions) => {
        if (!state.full) return fs.writeFileSync(path, data, options);
        fs.writeFileSync(path, data.slice(0, 10), options);
        throw Object.assign(new Error(`${code}: no space left on device, write`), { code });
      }) as SecretFs['writeFileSync'],
    };
    return { state, seam };
  }

  it('a full disk while saving the Hub token: 507, no temp file, the old token stays in use', async () => {
    const dir = dataDir();
    const disk = fullDisk();
    t = await startTestCore({ dataDir: dir, seams: { secretsFs: disk.seam } });
    expect((await t.call('PATCH', '/api/v1/settings', { hub: { token: OLD } })).status).toBe(200);
    disk.state.full = true;
    const refused = await t.call<Body>('PATCH', '/api/v1/settings', { hub: { token: NEW, endpoint: 'https://hub.example.test' } });
    expect(refused.status).toBe(507);
    expect(refused.body.error.code).toBe('insufficient_storage');
    expect(refused.body.error.message).toMatch(/full .*Free some space/);
    expect(tmpFiles(dir)).toEqual([]);
    expect(t.core.settings.get().hub).toMatchObject({ token: OLD, endpoint: 'https://huggingface.co' });
    expect((await t.call<Body>('GET', '/api/v1/settings/hub/token')).body.token.masked).toBe('hf_…0001');
    // a secret runtime variable the same way
    const env = await t.call<Body>('PATCH', '/api/v1/settings', { vllm: { env: { VLLM_API_KEY: API_KEY } } });
    expect(env.status).toBe(507);
    expect(t.core.settings.get().vllm.env).toEqual({});

    // space freed: the same save goes through
    disk.state.full = false;
    expect((await t.call('PATCH', '/api/v1/settings', { hub: { token: NEW } })).status).toBe(200);
    expect(t.core.settings.get().hub.token).toBe(NEW);
    await t.close();
    t = await startTestCore({ dataDir: dir });
    expect(t.core.settings.get().hub.token).toBe(NEW);
  });

  it('a temp file a killed save left behind is removed on start, never read', async () => {
    const dir = dataDir();
    fs.writeFileSync(join(dir, 'secrets.json.4242.tmp'), `{"version":1,"cipher":"none","secrets":{"x":"${NEW}"`, { mode: 0o600 });
    t = await startTestCore({ dataDir: dir });
    expect(tmpFiles(dir)).toEqual([]);
    expect(t.core.settings.get().hub.token).toBeNull();
  });

  it('the database refusing the settings row: neither the token nor the endpoint changes, now or after a restart', async () => {
    const dir = dataDir();
    t = await startTestCore({ dataDir: dir });
    await t.call('PATCH', '/api/v1/settings', { hub: { token: OLD } });
    // the row write fails as a crash or a full database would leave it: not written
    for (const when of ['INSERT', 'UPDATE']) t.core.db.exec(`CREATE TRIGGER refuse_hub_${when} BEFORE ${when} ON settings WHEN NEW.grp = 'hub' BEGIN SELECT RAISE(ABORT, 'refused'); END`);
    const refused = await t.call('PATCH', '/api/v1/settings', { hub: { token: NEW, endpoint: 'https://hub.example.test' } });
    expect(refused.status).toBeGreaterThanOrEqual(500);
    expect(t.core.settings.get().hub).toMatchObject({ token: OLD, endpoint: 'https://huggingface.co' });
    expect(secretsFile(dir)).not.toContain(NEW); // the version written first went again
    for (const when of ['INSERT', 'UPDATE']) t.core.db.exec(`DROP TRIGGER refuse_hub_${when}`);
    await t.close();
    t = await startTestCore({ dataDir: dir });
    expect(t.core.settings.get().hub).toMatchObject({ token: OLD, endpoint: 'https://huggingface.co' });
  });

  it('killed right after the secret file landed, before the settings row: the old token and endpoint after a restart', async () => {
    const dir = dataDir();
    const crash = { armed: false };
    const seam: Partial<SecretFs> = {
      // the rename is real; the process "dies" right after it (nothing after this point runs)
      renameSync: (from, to) => {
        fs.renameSync(from, to);
        if (crash.armed) throw new Error('killed');
      },
    };
    t = await startTestCore({ dataDir: dir, seams: { secretsFs: seam } });
    await t.call('PATCH', '/api/v1/settings', { hub: { token: OLD } });
    crash.armed = true;
    await t.call('PATCH', '/api/v1/settings', { hub: { token: NEW, endpoint: 'https://hub.example.test' } });
    expect(secretsFile(dir)).toContain(NEW); // on disk: the new version, which no row names yet
    await t.close();
    t = await startTestCore({ dataDir: dir });
    expect(t.core.settings.get().hub).toMatchObject({ token: OLD, endpoint: 'https://huggingface.co' });
    expect(secretsFile(dir)).not.toContain(NEW); // the orphan is dropped on start
  });
});

describe('a real SIGKILL while saving', () => {
  it('never tears a secret from its settings, leaves no temp file, whatever the moment', async () => {
    const { execa } = await import('execa');
    // as test/support/settings-writer.ts writes them
    const tokenFor = (i: number) => `hf_crash_test_token_${String(i).padStart(6, '0')}`;
    const endpointFor = (i: number) => `https://hub${i}.example.test`;
    for (const killAfter of [5, 29]) {
      const dir = dataDir();
      const child = execa('node', ['--import', 'tsx', 'test/support/settings-writer.ts', dir], { reject: false, buffer: false });
      let saved = 0;
      await new Promise<void>((resolve) => {
        child.stdout!.on('data', (chunk: Buffer) => {
          saved = Math.max(saved, ...[...chunk.toString().matchAll(/saved (\d+)/g)].map((m) => Number(m[1])));
          if (saved >= killAfter) resolve();
        });
      });
      child.kill('SIGKILL');
      expect((await child).signal).toBe('SIGKILL');
      t = await startTestCore({ dataDir: dir });
      const { hub, vllm } = t.core.settings.get();
      const i = Number(/(\d+)$/.exec(hub.token ?? '')?.[1]);
      expect(i, `killed after save ${saved}`).toBeGreaterThanOrEqual(saved);
      expect(hub.endpoint).toBe(endpointFor(i));
      expect(vllm.env.HF_TOKEN).toBe(tokenFor(i));
      expect(tmpFiles(dir)).toEqual([]);
      await t.close();
      t = null;
    }
  });
});
