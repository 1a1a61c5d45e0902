import { appendFileSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import type { Activation, InstalledModel, ModelTestResult } from '../../src/shared/api/models';
import type { AppEvent } from '../../src/shared/events';
import { execa } from 'execa';
import { killGroup } from '../../src/main/runtimes/process-group';
import { emulatorEnv, OLLAMA_EMULATOR, startTestCore, type TestCore } from '../support/core';
import { install, waitForOperation } from '../support/models';

const GPU_SMI = fileURLToPath(new URL('../fixtures/bin/nvidia-smi', import.meta.url));
const TINY = 'org/tiny-model';
const enc = encodeURIComponent;

let t: TestCore | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const fast = { EMU_START_DELAY_MS: '100', EMU_PULL_BYTES_PER_SEC: String(1024 ** 3) };

async function registry(tc: TestCore): Promise<Record<string, InstalledModel>> {
  const res = await tc.call<{ models: InstalledModel[] }>('GET', '/api/v1/models/registry');
  return Object.fromEntries(res.body.models.map((m) => [m.name, m]));
}

/** vLLM's own /v1/models, with the per-start key Switchyard launched it with (it refuses anyone else). */
async function upstreamModels(baseUrl: string): Promise<{ id: string; max_model_len?: number }[]> {
  const headers = t!.core.runtimes.authHeaders('vllm');
  return ((await (await fetch(`${baseUrl}/v1/models`, { headers })).json()) as { data: { id: string; max_model_len?: number }[] }).data;
}

async function ollamaPs(baseUrl: string): Promise<{ name: string; expires_at: string }[]> {
  return ((await (await fetch(`${baseUrl}/api/ps`)).json()) as { models: { name: string; expires_at: string }[] }).models;
}

describe('model activation', () => {
  it('activates an installed model on vLLM: started with it, advertised, flags from the fit estimate, recorded', async () => {
    t = await startTestCore({ hfModels: [TINY], env: { ...fast, SWITCHYARD_NVIDIA_SMI_BIN: GPU_SMI } });
    const phases: string[] = [];
    t.core.events.on((e: AppEvent) => e.type === 'model.activation' && phases.push(e.phase), ['model.activation']);
    // the GPU sampler has to know the (emulated) RTX 4090 for the fit flags
    await expect.poll(() => t!.core.gpu.gpus()?.length ?? 0, { timeout: 10_000 }).toBe(1);

    const before = await registry(t);
    expect(before[TINY]).toMatchObject({ status: 'installed', validated: true, active: false, serving: false, last_test: null });

    const res = await t.call<{ activation: Activation; model: InstalledModel }>('POST', '/api/v1/models/activate', { name: TINY });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.activation).toMatchObject({ model: TINY, runtime: 'vllm', serving: true });
    expect(res.body.activation.flag_sources).toMatchObject({ gpu_memory_utilization: 'fit', max_model_len: 'fit' });
    expect(res.body.model).toMatchObject({ active: true, serving: true, validated: true });
    expect(res.body.model.last_used).not.toBeNull();
    expect(phases).toEqual(['starting', 'loading', 'serving']);

    const vllm = t.core.runtimes.info('vllm');
    const cards = await upstreamModels(vllm.base_url);
    expect(cards.map((c) => c.id)).toEqual([TINY]);
    // the context the fit chose is what vLLM runs with (capped by the model's 4096 positions)
    expect(cards[0]!.max_model_len).toBe(res.body.activation.flags!.max_model_len);
    expect(cards[0]!.max_model_len).toBeLessThanOrEqual(4096);

    // the OpenAI endpoint follows it
    const proxied = await t.app.inject({ method: 'GET', url: '/v1/models', headers: { authorization: `Bearer ${t.token}` } });
    expect(JSON.parse(proxied.body).data.map((m: { id: string }) => m.id)).toEqual([TINY]);
    // requests through the endpoint count as use of the model
    t.core.db.prepare('UPDATE models SET last_used = ? WHERE name = ?').run('2000-01-01T00:00:00.000Z', TINY);
    const chat = await t.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${t.token}` }, payload: { model: TINY, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 } });
    expect(chat.statusCode).toBe(200);
    expect(t.core.models.get(TINY).last_used! > '2000-01-01T00:00:00.000Z').toBe(true);
    const active = await t.call<{ active_server: string; active_model: string }>('GET', '/api/v1/system/llm-servers/active');
    expect(active.body).toMatchObject({ active_server: 'vllm', active_model: TINY });

    const history = await t.call<{ validations: { kind: string; ok: boolean }[] }>('GET', `/api/v1/models/${enc(TINY)}/validations`);
    expect(history.body.validations.map((v) => `${v.kind}:${v.ok}`)).toEqual(['activation:true', 'files:true']);
  });

  it('the activated runtime holds VRAM on the (emulated) GPU, attributed to it, and frees it when deactivated', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-vram-'));
    const procs = join(dataDir, 'gpu-procs');
    writeFileSync(procs, '');
    t = await startTestCore({
      dataDir,
      hfModels: [TINY],
      env: { ...fast, SWITCHYARD_NVIDIA_SMI_BIN: GPU_SMI, EMU_GPU_PROCS: procs },
      seams: { gpu: { intervalMs: 200, appsIntervalMs: 200 } },
    });
    onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }));
    await expect.poll(() => t!.core.gpu.current()?.gpus[0]?.memory_used_mib ?? -1, { timeout: 10_000 }).toBeLessThan(100);
    await t.call('POST', '/api/v1/models/activate', { name: TINY });
    await expect.poll(() => t!.core.gpu.processes().find((p) => p.runtime === 'vllm')?.used_mib ?? 0, { timeout: 10_000 }).toBeGreaterThan(10_000);
    // the per-GPU readings come from the other nvidia-smi query: they follow on their own cadence
    await expect.poll(() => t!.core.gpu.current()?.gpus[0]?.memory_used_mib ?? 0, { timeout: 10_000 }).toBeGreaterThan(10_000);
    await t.call('POST', '/api/v1/models/deactivate', {});
    await expect.poll(() => t!.core.gpu.current()?.gpus[0]?.memory_used_mib ?? -1, { timeout: 10_000 }).toBeLessThan(100);
  });

  it('per-model flags win over the fit estimate and restart vLLM when they change', async () => {
    t = await startTestCore({ hfModels: [TINY], env: fast });
    const saved = await t.call<{ effective: Record<string, unknown>; sources: Record<string, string> }>('PUT', `/api/v1/models/${enc(TINY)}/runtime-flags`, {
      flags: { max_model_len: 2048, extra_args: ['--enforce-eager'] },
    });
    expect(saved.status).toBe(200);
    expect(saved.body.sources).toMatchObject({ max_model_len: 'model', extra_args: 'model' });

    expect((await t.call('POST', '/api/v1/models/activate', { name: TINY })).status).toBe(200);
    const first = t.core.runtimes.info('vllm');
    expect((await upstreamModels(first.base_url))[0]!.max_model_len).toBe(2048);

    // same flags: nothing restarts
    expect((await t.call('POST', '/api/v1/models/activate', { name: TINY })).status).toBe(200);
    expect(t.core.runtimes.info('vllm').pid).toBe(first.pid);

    // one-off flags in the request: a restart with them
    const res = await t.call<{ activation: Activation }>('POST', '/api/v1/models/activate', { name: TINY, flags: { max_model_len: 1024 } });
    expect(res.body.activation.flag_sources).toMatchObject({ max_model_len: 'request' });
    const second = t.core.runtimes.info('vllm');
    expect(second.pid).not.toBe(first.pid);
    expect((await upstreamModels(second.base_url))[0]!.max_model_len).toBe(1024);

    const bad = await t.call<{ error: { code: string; message: string } }>('PUT', `/api/v1/models/${enc(TINY)}/runtime-flags`, { flags: { gpu_memory_utilization: 1.5 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/gpu_memory_utilization/);
  });

  it('enforces the lifecycle: only installed, verified models; an active one cannot be removed', async () => {
    t = await startTestCore({ hfModels: [TINY], env: fast });
    const unknown = await t.call<{ error: { code: string } }>('POST', '/api/v1/models/activate', { name: 'org/not-installed' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('model_not_found');
    // a runtime switch with a model is an activation too: no serving of models Switchyard has not verified
    const viaSwitch = await t.call<{ error: { code: string } }>('POST', '/api/v1/system/llm-servers/active', { server_name: 'vllm', model_name: 'org/not-installed' });
    expect(viaSwitch.body.error.code).toBe('model_not_found');
    const wrongRuntime = await t.call<{ error: { code: string; message: string } }>('POST', '/api/v1/models/activate', { name: TINY, runtime: 'ollama' });
    expect(wrongRuntime.status).toBe(409);
    expect(wrongRuntime.body.error.message).toMatch(/vLLM/);

    // a file changed on disk: no longer validated, activation refused, the change is in the history
    const model = (await registry(t))[TINY]!;
    const weights = join(model.local_path!, 'model.safetensors');
    const blob = resolve(dirname(weights), readlinkSync(weights));
    appendFileSync(blob, 'tampered');
    const refused = await t.call<{ error: { code: string; message: string } }>('POST', '/api/v1/models/activate', { name: TINY });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('model_not_validated');
    expect(refused.body.error.message).toMatch(/verify/i);
    expect(t.core.runtimes.info('vllm').state).toBe('stopped');
    expect((await registry(t))[TINY]!.validated).toBe(false);

    // re-verification hashes the files: still wrong → still refused
    const verify = await t.call<{ validated: boolean; validations: { kind: string; ok: boolean; details: { bad?: { path: string }[] } }[] }>('POST', `/api/v1/models/${enc(TINY)}/verify`);
    expect(verify.body.validated).toBe(false);
    expect(verify.body.validations[0]!.details.bad?.map((b) => b.path)).toEqual(['model.safetensors']);

    // the original bytes back: verify passes, activation works
    writeFileSync(blob, 'x'.repeat(4096));
    const again = await t.call<{ validated: boolean }>('POST', `/api/v1/models/${enc(TINY)}/verify`);
    expect(again.body.validated).toBe(true);
    expect((await t.call('POST', '/api/v1/models/activate', { name: TINY })).status).toBe(200);

    const remove = await t.call<{ error: { code: string } }>('DELETE', `/api/v1/models/registry/${enc(TINY)}`);
    expect(remove.status).toBe(409);
    expect(remove.body.error.code).toBe('lifecycle_violation');

    const deactivated = await t.call<{ model: string }>('POST', '/api/v1/models/deactivate', { name: TINY });
    expect(deactivated.body.model).toBe(TINY);
    expect(t.core.runtimes.info('vllm').state).toBe('stopped');
    expect((await t.call('DELETE', `/api/v1/models/registry/${enc(TINY)}`)).status).toBe(200);
  });

  it('a load that fails reports why (code, log tail), records it and leaves nothing running', async () => {
    t = await startTestCore({ hfModels: [TINY], env: { ...fast, EMU_FAIL_LOAD: '1' } });
    const events: AppEvent[] = [];
    t.core.events.on((e: AppEvent) => events.push(e), ['model.activation']);
    const res = await t.call<{ error: { code: string; message: string; details: { log_tail: string[] } } }>('POST', '/api/v1/models/activate', { name: TINY });
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('runtime_failed');
    expect(res.body.error.details.log_tail.join('\n')).toMatch(/CUDA out of memory/);
    const failed = events.at(-1);
    expect(failed).toMatchObject({ type: 'model.activation', phase: 'failed', error: { code: 'runtime_failed' } });
    expect(t.core.runtimes.info('vllm')).toMatchObject({ state: 'crashed', pid: null });
    const m = (await registry(t))[TINY]!;
    expect(m).toMatchObject({ active: false, serving: false, validated: true });
    const history = await t.call<{ validations: { kind: string; ok: boolean }[] }>('GET', `/api/v1/models/${enc(TINY)}/validations`);
    expect(history.body.validations[0]).toMatchObject({ kind: 'activation', ok: false });
  });

  it('tests the serving model on its own runtime and records latency, tokens/s and the answer', async () => {
    t = await startTestCore({ hfModels: [TINY], env: fast });
    const notActive = await t.call<{ error: { code: string } }>('POST', `/api/v1/models/${enc(TINY)}/test`);
    expect(notActive.status).toBe(409);
    expect(notActive.body.error.code).toBe('model_not_active');

    await t.call('POST', '/api/v1/models/activate', { name: TINY });
    const res = await t.call<{ result: ModelTestResult }>('POST', `/api/v1/models/${enc(TINY)}/test`, { prompt: 'Say hi', max_tokens: 16 });
    expect(res.status).toBe(200);
    const r = res.body.result;
    expect(r).toMatchObject({ ok: true, runtime: 'vllm', model: TINY, prompt: 'Say hi', error: null });
    expect(r.answer!.length).toBeGreaterThan(0);
    expect(r.completion_tokens).toBeGreaterThan(0);
    expect(r.completion_tokens).toBeLessThanOrEqual(16);
    expect(r.tokens_per_second).toBeGreaterThan(0);
    expect(r.ttft_ms).toBeGreaterThan(0);
    expect(r.latency_ms).toBeGreaterThanOrEqual(r.ttft_ms!);

    const m = (await registry(t))[TINY]!;
    expect(m.last_test).toMatchObject({ ok: true, answer: r.answer });
    const history = await t.call<{ validations: { kind: string }[] }>('GET', `/api/v1/models/${enc(TINY)}/validations`);
    expect(history.body.validations[0]!.kind).toBe('test');

    // the runtime dies: the test does not silently go elsewhere, it says the model is not served
    process.kill(-t.core.runtimes.info('vllm').pid!, 'SIGKILL');
    await expect.poll(() => t!.core.runtimes.info('vllm').state, { timeout: 10_000 }).toBe('crashed');
    const after = await t.call<{ error: { code: string } }>('POST', `/api/v1/models/${enc(TINY)}/test`);
    expect(after.body.error.code).toBe('model_not_active');
  });

  it('activates Ollama models by loading them (keep_alive), one at a time, and unloads on deactivate', async () => {
    t = await startTestCore({ env: fast });
    for (const name of ['qwen2.5:0.5b', 'llama3.2:1b']) {
      const op = await waitForOperation(t, await install(t, { name, provider: 'ollama' }));
      expect(op.status, op.message).toBe('completed');
    }
    // launch flags belong to runtimes that take them (the vLLM driver): refused for Ollama, saved or per request
    const savedFlags = await t.call<{ error: { code: string; message: string } }>('PUT', `/api/v1/models/${enc('qwen2.5:0.5b')}/runtime-flags`, { flags: { max_model_len: 2048 } });
    expect(savedFlags.status).toBe(400);
    expect(savedFlags.body.error.message).toContain('runs on Ollama');
    const withFlags = await t.call<{ error: { code: string } }>('POST', '/api/v1/models/activate', { name: 'qwen2.5:0.5b', flags: { max_model_len: 2048 } });
    expect(withFlags.status).toBe(400);
    expect(withFlags.body.error.code).toBe('bad_request');
    const res = await t.call<{ activation: Activation; model: InstalledModel }>('POST', '/api/v1/models/activate', { name: 'qwen2.5:0.5b' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.model).toMatchObject({ active: true, serving: true });
    const base = t.core.runtimes.info('ollama').base_url;
    let ps = await ollamaPs(base);
    expect(ps.map((m) => m.name)).toEqual(['qwen2.5:0.5b']);
    // pinned while active (keep_alive -1): expires far in the future
    expect(new Date(ps[0]!.expires_at).getFullYear()).toBeGreaterThan(new Date().getFullYear() + 100);
    expect(t.core.runtimes.activeInfo()).toMatchObject({ active_server: 'ollama', active_model: 'qwen2.5:0.5b' });

    await t.call('POST', '/api/v1/models/activate', { name: 'llama3.2:1b' });
    ps = await ollamaPs(base);
    expect(ps.map((m) => m.name)).toEqual(['llama3.2:1b']);
    const reg = await registry(t);
    expect(reg['qwen2.5:0.5b']).toMatchObject({ active: false, serving: false });
    expect(reg['llama3.2:1b']).toMatchObject({ active: true, serving: true });

    const test = await t.call<{ result: ModelTestResult }>('POST', `/api/v1/models/${enc('llama3.2:1b')}/test`);
    expect(test.body.result).toMatchObject({ ok: true, runtime: 'ollama' });

    const off = await t.call<{ model: string }>('POST', '/api/v1/models/deactivate', {});
    expect(off.body.model).toBe('llama3.2:1b');
    expect(await ollamaPs(base)).toEqual([]);
    expect(t.core.runtimes.info('ollama')).toMatchObject({ state: 'ready', model: null, last_model: 'llama3.2:1b' });
  });

  it('after a restart of Switchyard, the Ollama model still loaded is the active one again', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-ollama-ext-'));
    onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }));
    const env = await emulatorEnv(dataDir);
    // an Ollama Switchyard did not start (a system service): it survives Switchyard's restarts
    const external = execa(OLLAMA_EMULATOR, ['serve'], { env: { ...env, OLLAMA_HOST: `127.0.0.1:${env.SWITCHYARD_OLLAMA_PORT}` }, reject: false, detached: true, stdio: 'ignore' });
    onTestFinished(async () => {
      killGroup(external.pid!, 'SIGKILL'); // with its runner
      await external;
    });
    const base = `http://127.0.0.1:${env.SWITCHYARD_OLLAMA_PORT}`;
    await expect.poll(async () => (await fetch(`${base}/api/version`).catch(() => null))?.status, { timeout: 10_000 }).toBe(200);

    t = await startTestCore({ dataDir, env: { ...env, ...fast } });
    expect(t.core.runtimes.info('ollama').state).toBe('external');
    expect((await waitForOperation(t, await install(t, { name: 'qwen2.5:0.5b', provider: 'ollama' }))).status).toBe('completed');
    expect((await t.call('POST', '/api/v1/models/activate', { name: 'qwen2.5:0.5b' })).status).toBe(200);
    await t.close();
    t = undefined;
    expect((await ollamaPs(base)).map((m) => m.name)).toEqual(['qwen2.5:0.5b']);

    t = await startTestCore({ dataDir, env: { ...env, ...fast } });
    expect(t.core.runtimes.info('ollama')).toMatchObject({ state: 'external', model: 'qwen2.5:0.5b' });
    expect((await registry(t))['qwen2.5:0.5b']).toMatchObject({ active: true, serving: true });
  });

  it('switching from an Ollama model to a vLLM model stops Ollama; the latest of two concurrent activations wins', async () => {
    t = await startTestCore({ hfModels: [TINY, 'org/other-model'], env: fast });
    const op = await waitForOperation(t, await install(t, { name: 'qwen2.5:0.5b', provider: 'ollama' }));
    expect(op.status).toBe('completed');
    await t.call('POST', '/api/v1/models/activate', { name: 'qwen2.5:0.5b' });
    expect((await t.call('POST', '/api/v1/models/activate', { name: TINY })).status).toBe(200);
    expect(t.core.runtimes.info('ollama').state).toBe('stopped');
    expect(t.core.runtimes.activeInfo()).toMatchObject({ active_server: 'vllm', active_model: TINY });

    const [a, b] = await Promise.all([
      t.call<{ error?: { code: string } }>('POST', '/api/v1/models/activate', { name: 'org/other-model', flags: { max_model_len: 1024 } }),
      (async () => {
        await new Promise((r) => setTimeout(r, 30));
        return t!.call('POST', '/api/v1/models/activate', { name: TINY, flags: { max_model_len: 2048 } });
      })(),
    ]);
    expect(b.status).toBe(200);
    expect([200, 499]).toContain(a.status);
    expect(t.core.runtimes.activeInfo()).toMatchObject({ active_server: 'vllm', active_model: TINY });
    expect((await upstreamModels(t.core.runtimes.info('vllm').base_url)).map((c) => c.id)).toEqual([TINY]);
  });
});
