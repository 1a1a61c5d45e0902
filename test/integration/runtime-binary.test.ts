import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OLLAMA_EMULATOR, VLLM_EMULATOR, startTestCore, type TestCore } from '../support/core';

// node and coreutils (the emulators need them), and a folder that does not exist; no runtime on it
const NO_RUNTIMES_PATH = ['/nonexistent', dirname(process.execPath), '/usr/bin', '/bin'].join(':');
let t: TestCore | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

interface BinaryBody {
  server: { state: string; binary: string | null };
  binary: { found: string | null; searched: string[]; install: { command: string }[]; requirements: string; overridden_by: string | null };
}

describe('first run: finding the runtimes', () => {
  it('says where it looked and how to install; finds a program installed later in a venv, and starts it', async () => {
    t = await startTestCore({ env: { SWITCHYARD_OLLAMA_BIN: '', SWITCHYARD_VLLM_BIN: '', PATH: NO_RUNTIMES_PATH } });
    const missing = await t.call<BinaryBody>('GET', '/api/v1/system/llm-servers/ollama/binary');
    expect(missing.body.server.state).toBe('not_installed');
    expect(missing.body.binary.found).toBeNull();
    expect(missing.body.binary.searched).toEqual(expect.arrayContaining(['/nonexistent', '/usr/local/bin', join(t.dataDir, '.local', 'bin')]));
    expect(missing.body.binary.install[0]!.command).toContain('https://ollama.com/install.sh');
    expect(missing.body.binary.requirements).toContain('CPU');
    const vllm = await t.call<BinaryBody>('GET', '/api/v1/system/llm-servers/vllm/binary');
    expect(vllm.body.binary.install.map((s) => s.command)).toEqual(expect.arrayContaining(['uv tool install vllm']));

    // "installed" into a venv under HOME (the test core's HOME is its data dir)
    mkdirSync(join(t.dataDir, '.venv', 'bin'), { recursive: true });
    writeFileSync(join(t.dataDir, '.venv', 'bin', 'ollama'), `#!/bin/sh\nexec '${OLLAMA_EMULATOR}' "$@"\n`, { mode: 0o755 });
    const found = await t.call<BinaryBody>('GET', '/api/v1/system/llm-servers/ollama/binary');
    expect(found.body.binary.found).toBe(join(t.dataDir, '.venv', 'bin', 'ollama'));
    expect(found.body.server.state).toBe('stopped');
    const started = await t.call<{ server?: { state: string } }>('POST', '/api/v1/system/llm-servers/ollama/start');
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    expect(started.body.server?.state).toBe('ready');
  });

  it('takes a located program only when it is an executable file, and keeps it in the settings', async () => {
    t = await startTestCore({ env: { SWITCHYARD_OLLAMA_BIN: '', SWITCHYARD_VLLM_BIN: '', PATH: NO_RUNTIMES_PATH } });
    const text = join(t.dataDir, 'notes.txt');
    writeFileSync(text, 'hello');
    const refused = await t.call<{ error: { code: string; message: string } }>('PUT', '/api/v1/system/llm-servers/vllm/binary', { path: text });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain('not an executable file');
    expect((await t.call<{ settings: { vllm: { binary: string | null } } }>('GET', '/api/v1/settings')).body.settings.vllm.binary).toBeNull();
    expect((await t.call('PUT', '/api/v1/system/llm-servers/vllm/binary', { path: 'vllm' })).status).toBe(400);

    const ok = await t.call<BinaryBody>('PUT', '/api/v1/system/llm-servers/vllm/binary', { path: VLLM_EMULATOR });
    expect(ok.status).toBe(200);
    expect(ok.body.server).toMatchObject({ state: 'stopped', binary: VLLM_EMULATOR });
    expect((await t.call<{ settings: { vllm: { binary: string | null } } }>('GET', '/api/v1/settings')).body.settings.vllm.binary).toBe(VLLM_EMULATOR);
  });

  it('refuses to change a program set by env', async () => {
    t = await startTestCore();
    const res = await t.call<{ error: { code: string; message: string } }>('PUT', '/api/v1/system/llm-servers/ollama/binary', { path: VLLM_EMULATOR });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain('SWITCHYARD_OLLAMA_BIN');
  });
});
