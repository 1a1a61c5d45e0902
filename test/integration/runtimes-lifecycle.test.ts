import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { RuntimeInfo } from '../../src/shared/api/runtimes';
import { groupMembers, isAlive } from '../../src/main/runtimes/process-group';
import { startTestCore, type TestCore } from '../support/core';
import { waitFor } from '../support/wait';

let t: TestCore | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

const fast = { EMU_START_DELAY_MS: '150' };

async function servers(tc: TestCore): Promise<Record<string, RuntimeInfo>> {
  const { body } = await tc.call<{ servers: RuntimeInfo[] }>('GET', '/api/v1/system/llm-servers');
  return Object.fromEntries(body.servers.map((s) => [s.name, s]));
}

describe('runtime supervision against the emulators', () => {
  it('starts Ollama as `ollama serve`, detects readiness through its API and captures its log', async () => {
    t = await startTestCore({ hfModels: ['org/tiny-model'], env: fast });
    const res = await t.call('POST', '/api/v1/system/llm-servers/active', { server_name: 'ollama' });
    expect(res.status).toBe(200);
    const s = await servers(t);
    expect(s.ollama).toMatchObject({ state: 'ready', active: true, owned: true, version: '0.33.0' });
    expect(s.ollama!.pid).toBeGreaterThan(0);
    await waitFor(() => t!.core.runtimes.logs('ollama', 50).some((l) => l.line.includes('Listening on')), 'Ollama "Listening on" log line');
    const logs = await t.call<{ lines: { line: string }[] }>('GET', '/api/v1/system/llm-servers/ollama/logs?tail=5');
    expect(logs.body.lines.length).toBeGreaterThan(0);
  });

  it('a start that fails leaves no runtime active, and a start without a model stops nothing', async () => {
    t = await startTestCore({ hfModels: ['org/tiny-model'], env: { ...fast, SWITCHYARD_OLLAMA_BIN: '/nonexistent/ollama' } });
    await t.core.runtimes.activate('vllm', { model: 'org/tiny-model' });
    const failed = await t.call<{ error: { code: string } }>('POST', '/api/v1/system/llm-servers/active', { server_name: 'ollama' });
    expect(failed.body.error.code).toBe('runtime_not_installed');
    const active = await t.call('GET', '/api/v1/system/llm-servers/active');
    expect(active.body).toMatchObject({ active_server: null, active_model: null });
    const s = await servers(t);
    expect(s.ollama).toMatchObject({ state: 'not_installed', active: false });
    expect(s.vllm).toMatchObject({ state: 'stopped', active: false });

    // vLLM needs a model and none was ever used in this fresh core: refused before anything is stopped
    const fresh = await startTestCore({ hfModels: ['org/tiny-model'], env: fast });
    try {
      await fresh.core.runtimes.activate('ollama');
      const refused = await fresh.call<{ error: { code: string } }>('POST', '/api/v1/system/llm-servers/active', { server_name: 'vllm' });
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe('bad_request');
      expect((await fresh.call('GET', '/api/v1/system/llm-servers/active')).body).toMatchObject({ active_server: 'ollama' });
      expect(fresh.core.runtimes.info('ollama').state).toBe('ready');
      // a model that fails to load: Ollama was stopped for it, so nothing is active afterwards
      fresh.core.settings.update({ vllm: { env: { EMU_FAIL_LOAD: '1' } } });
      const loadFailed = await fresh.call('POST', '/api/v1/system/llm-servers/active', { server_name: 'vllm', model_name: 'org/tiny-model' });
      expect(loadFailed.status).toBe(502);
      expect((await fresh.call('GET', '/api/v1/system/llm-servers/active')).body).toMatchObject({ active_server: null });
      expect(fresh.core.runtimes.info('ollama').active).toBe(false);
    } finally {
      await fresh.close();
    }
  });

  it('switches to vLLM with a model: Ollama is stopped, vLLM serves the model under its name', async () => {
    t = await startTestCore({ hfModels: ['org/tiny-model'], env: fast });
    await t.core.runtimes.activate('ollama');
    const ollamaPid = t.core.runtimes.info('ollama').pid!;
    const res = await t.call('POST', '/api/v1/system/llm-servers/active', { server_name: 'vllm', model_name: 'org/tiny-model' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, active_server: 'vllm', active_model: 'org/tiny-model' });
    expect(isAlive(ollamaPid)).toBe(false);
    const s = await servers(t);
    expect(s.ollama!.state).toBe('stopped');
    expect(s.vllm).toMatchObject({ state: 'ready', model: 'org/tiny-model', active: true });
    const models = (await (await fetch(`${s.vllm!.base_url}/v1/models`, { headers: t.core.runtimes.authHeaders('vllm') })).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toEqual(['org/tiny-model']);
    // the last model per runtime is remembered
    const active = await t.call<{ last_models: Record<string, string> }>('GET', '/api/v1/system/llm-servers/active');
    expect(active.body.last_models.vllm).toBe('org/tiny-model');
  });

  it('refuses vLLM without a model, with a message that says what to pass', async () => {
    t = await startTestCore({ hfModels: ['org/tiny-model'], env: fast });
    const res = await t.call<{ error: { code: string; message: string } }>('POST', '/api/v1/system/llm-servers/vllm/start', {});
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('bad_request');
    expect(res.body.error.message).toMatch(/model_name/);
  });

  it('reports a missing binary as not installed, with guidance, and spawns nothing', async () => {
    t = await startTestCore({ hfModels: ['org/tiny-model'], env: { SWITCHYARD_VLLM_BIN: '/nonexistent/vllm' } });
    expect(t.core.runtimes.info('vllm').state).toBe('not_installed');
    const res = await t.call<{ error: { code: string; message: string } }>('POST', '/api/v1/system/llm-servers/active', { server_name: 'vllm', model_name: 'org/tiny-model' });
    expect(res.status).toBe(424);
    expect(res.body.error.code).toBe('runtime_not_installed');
    expect(res.body.error.message).toMatch(/SWITCHYARD_VLLM_BIN/);
  });

  it('detects a taken port before spawning', async () => {
    t = await startTestCore({ hfModels: ['org/tiny-model'], env: fast });
    const port = t.core.runtimes.info('vllm').port;
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
    try {
      const res = await t.call<{ error: { code: string; message: string } }>('POST', '/api/v1/system/llm-servers/active', { server_name: 'vllm', model_name: 'org/tiny-model' });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('port_in_use');
      expect(res.body.error.message).toContain(String(port));
      expect(t.core.db.prepare('SELECT count(*) FROM runtime_processes').pluck().get()).toBe(0);
    } finally {
      blocker.close();
    }
  });

  it('reports a crash with exit code and log tail, and reaps the engine child', async () => {
    t = await startTestCore({ hfModels: ['org/tiny-model'], env: fast });
    t.core.settings.update({ vllm: { env: { EMU_CRASH_AFTER_MS: '1200' } } });
    await t.core.runtimes.activate('vllm', { model: 'org/tiny-model' });
    const pid = t.core.runtimes.info('vllm').pid!;
    const states: { state: string; at: number }[] = [];
    t.core.events.on((e) => e.type === 'runtime.state' && e.runtime.name === 'vllm' && states.push({ state: e.runtime.state, at: Date.now() }));
    await waitFor(() => !isAlive(pid), 'vLLM emulator to crash', 5_000, 5);
    // how fast the crash is noticed is the supervisor's exit event, measured in bench/runtimes.ts
    await waitFor(() => states.find((s) => s.state === 'crashed'), 'crashed state', 10_000, 5);
    const info = t.core.runtimes.info('vllm');
    expect(info.last_error).toMatchObject({ code: 'crashed', exit_code: 1 });
    expect(info.last_error!.log_tail!.join('\n')).toMatch(/CUDA error/);
    await waitFor(() => groupMembers(pid).length === 0, 'no survivors in the crashed group', 5_000);
  });

  it('fails a start whose model does not load, with the runtime’s own error in the message', async () => {
    t = await startTestCore({ hfModels: ['org/tiny-model'], env: { ...fast, EMU_FAIL_LOAD: '1' } });
    const res = await t.call<{ error: { code: string; message: string; details: { log_tail: string[] } } }>('POST', '/api/v1/system/llm-servers/active', {
      server_name: 'vllm',
      model_name: 'org/tiny-model',
    });
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('runtime_failed');
    expect(res.body.error.details.log_tail.join('\n')).toMatch(/out of memory/i);
    expect(t.core.runtimes.info('vllm').state).toBe('crashed');
  });

  it('escalates to SIGKILL of the whole group when SIGTERM is ignored', async () => {
    t = await startTestCore({ hfModels: ['org/tiny-model'], env: { ...fast, EMU_IGNORE_SIGTERM: '1', EMU_CHILD_IGNORE_SIGTERM: '1' } });
    t.core.settings.update({ runtime: { stopGraceMs: 400 } });
    await t.core.runtimes.activate('vllm', { model: 'org/tiny-model' });
    const pid = t.core.runtimes.info('vllm').pid!;
    await waitFor(() => groupMembers(pid).length >= 2, 'engine core child in the group');
    const started = Date.now();
    const res = await t.call<{ server: RuntimeInfo }>('POST', '/api/v1/system/llm-servers/vllm/stop');
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
    expect(res.body.server.state).toBe('stopped');
    expect(res.body.server.last_error?.code).toBe('killed');
    expect(groupMembers(pid)).toEqual([]);
  });

  it('stops a cooperating runtime with its children and leaves no survivor', async () => {
    t = await startTestCore({ hfModels: ['org/tiny-model'], env: fast });
    await t.core.runtimes.activate('vllm', { model: 'org/tiny-model' });
    const pid = t.core.runtimes.info('vllm').pid!;
    await waitFor(() => groupMembers(pid).length >= 2, 'engine core child in the group');
    await t.core.runtimes.stop('vllm');
    expect(groupMembers(pid)).toEqual([]);
    expect(t.core.runtimes.info('vllm')).toMatchObject({ state: 'stopped', pid: null, last_error: null });
    const row = t.core.db.prepare('SELECT status, exit_reason FROM runtime_processes WHERE pid = ?').get(pid);
    expect(row).toEqual({ status: 'exited', exit_reason: 'stopped' });
  });

  it('times out a start that never gets ready and kills what it started', async () => {
    t = await startTestCore({ hfModels: ['org/tiny-model'], env: { EMU_START_DELAY_MS: '60000' } });
    t.core.settings.update({ runtime: { startTimeoutMs: 1_000, stopGraceMs: 500 } });
    const res = await t.call<{ error: { code: string } }>('POST', '/api/v1/system/llm-servers/active', { server_name: 'vllm', model_name: 'org/tiny-model' });
    expect(res.status).toBe(504);
    expect(res.body.error.code).toBe('start_timeout');
    const row = t.core.db.prepare('SELECT pid, status FROM runtime_processes').get() as { pid: number; status: string };
    expect(row.status).toBe('exited');
    expect(groupMembers(row.pid)).toEqual([]);
  });

  it('a stop cancels a start still loading', async () => {
    t = await startTestCore({ hfModels: ['org/tiny-model'], env: { EMU_START_DELAY_MS: '60000' } });
    const start = t.call<{ error: { code: string } }>('POST', '/api/v1/system/llm-servers/active', { server_name: 'vllm', model_name: 'org/tiny-model' });
    await waitFor(() => t!.core.runtimes.info('vllm').state === 'starting', 'starting');
    const pid = t.core.runtimes.info('vllm').pid!;
    const stop = await t.call('POST', '/api/v1/system/llm-servers/vllm/stop');
    expect(stop.status).toBe(200);
    const res = await start;
    expect(res.body.error.code).toBe('cancelled');
    expect(groupMembers(pid)).toEqual([]);
    expect(t.core.runtimes.info('vllm').state).toBe('stopped');
  });

  it('concurrent switch requests end in one consistent state: the latest wins', async () => {
    t = await startTestCore({ hfModels: ['org/tiny-model'], env: { EMU_START_DELAY_MS: '400' } });
    const first = t.call('POST', '/api/v1/system/llm-servers/active', { server_name: 'vllm', model_name: 'org/tiny-model' });
    await waitFor(() => t!.core.runtimes.info('vllm').state === 'starting', 'vLLM starting');
    const second = t.call('POST', '/api/v1/system/llm-servers/active', { server_name: 'ollama' });
    const [a, b] = await Promise.all([first, second]);
    expect(b.status).toBe(200);
    expect([200, 499]).toContain(a.status);
    const s = await servers(t);
    expect(s.ollama).toMatchObject({ state: 'ready', active: true });
    expect(s.vllm).toMatchObject({ state: 'stopped', active: false, pid: null });
    const running = t.core.db.prepare("SELECT runtime FROM runtime_processes WHERE status = 'running'").pluck().all();
    expect(running).toEqual(['ollama']);
  });

  it('uses an Ollama it did not start as external, and never stops it', async () => {
    t = await startTestCore({ hfModels: ['org/tiny-model'], env: fast });
    const { execa } = await import('execa');
    const port = t.core.runtimes.info('ollama').port;
    const external = execa('test/fixtures/bin/ollama', ['serve'], { env: { OLLAMA_HOST: `127.0.0.1:${port}`, OLLAMA_MODELS: `${t.dataDir}/ext-models` }, reject: false, detached: true });
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/api/version`).catch(() => null))?.ok, 'external Ollama');
      const res = await t.call<{ server: RuntimeInfo }>('POST', '/api/v1/system/llm-servers/ollama/start');
      expect(res.body.server).toMatchObject({ state: 'external', owned: false });
      const stop = await t.call<{ error: { code: string } }>('POST', '/api/v1/system/llm-servers/ollama/stop');
      expect(stop.status).toBe(409);
      expect(stop.body.error.code).toBe('runtime_external');
      await t.close();
      t = null;
      expect(isAlive(external.pid!)).toBe(true);
    } finally {
      external.kill('SIGKILL');
      await external;
    }
  });

  it('stops every owned runtime when the core stops', async () => {
    t = await startTestCore({ hfModels: ['org/tiny-model'], env: fast });
    await t.core.runtimes.activate('ollama');
    const pid = t.core.runtimes.info('ollama').pid!;
    await t.close();
    t = null;
    expect(groupMembers(pid)).toEqual([]);
  });

  it('restarts a crashed runtime when auto-restart is on', async () => {
    t = await startTestCore({ hfModels: ['org/tiny-model'], env: fast });
    t.core.settings.update({ runtime: { autoRestart: true }, ollama: { env: { EMU_CRASH_AFTER_MS: '700' } } });
    await t.core.runtimes.activate('ollama');
    const firstPid = t.core.runtimes.info('ollama').pid!;
    await waitFor(() => t!.core.runtimes.info('ollama').state === 'crashed', 'crash', 5_000);
    t.core.settings.update({ ollama: { env: {} } });
    const info = await waitFor(() => {
      const i = t!.core.runtimes.info('ollama');
      return i.state === 'ready' && i.pid !== firstPid ? i : null;
    }, 'auto-restart', 8_000);
    expect(info.restarts).toBe(1);
  });
});
