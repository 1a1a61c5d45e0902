import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Activation, InstalledModel, ModelTestResult } from '../../src/shared/api/models';
import { type FakeHub } from '../fixtures/hub/server.mjs';
import { useFakeHub } from '../support/fake-hub';
import { startTestCore, type TestCore } from '../support/core';
import { install, waitForOperation } from '../support/models';

/**
 * What a real vLLM refuses, tried against the strict emulator through the whole core: each case is a
 * model a user installs on day one.
 */
const GPU_SMI = fileURLToPath(new URL('../fixtures/bin/nvidia-smi', import.meta.url));
const fast = { EMU_START_DELAY_MS: '100', SWITCHYARD_NVIDIA_SMI_BIN: GPU_SMI };
const enc = encodeURIComponent;

let t: TestCore | undefined;
let hub: FakeHub;
useFakeHub((started) => (hub = started));
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function cards(baseUrl: string, headers: Record<string, string> = {}): Promise<{ id: string; max_model_len: number }[]> {
  return ((await (await fetch(`${baseUrl}/v1/models`, { headers })).json()) as { data: { id: string; max_model_len: number }[] }).data;
}

const vllmArgs = (tc: TestCore) => tc.core.runtimes.logs('vllm', 500).map((l) => l.line).join('\n');

describe('vLLM fidelity', () => {
  it('a GPT-2-shaped config (n_positions, no max_position_embeddings) starts within its 1024 tokens', async () => {
    t = await startTestCore({ env: fast, hfSeeds: [{ repo: 'org/gpt2-like', config: { architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', max_position_embeddings: undefined, n_positions: 1024, n_ctx: 1024, n_head: 4, num_attention_heads: undefined } }] });
    await expect.poll(() => t!.core.gpu.gpus()?.length ?? 0, { timeout: 10_000 }).toBe(1);
    const res = await t.call<{ activation: Activation }>('POST', '/api/v1/models/activate', { name: 'org/gpt2-like' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.activation.flags!.max_model_len).toBe(1024);
    expect((await cards(t.core.runtimes.info('vllm').base_url, t.core.runtimes.authHeaders('vllm')))[0]!.max_model_len).toBe(1024);
  });

  it('remote code is refused before launch until allowed for that model; then --trust-remote-code is passed', async () => {
    const config = { architectures: ['InternLM2ForCausalLM'], auto_map: { AutoConfig: 'configuration_internlm2.InternLM2Config', AutoModelForCausalLM: 'modeling_internlm2.InternLM2ForCausalLM' } };
    t = await startTestCore({ env: fast, hfSeeds: [{ repo: 'org/remote-code', config, files: { 'configuration_internlm2.py': '# config', 'modeling_internlm2.py': '# model' } }] });
    const refused = await t.call<{ error: { code: string; message: string } }>('POST', '/api/v1/models/activate', { name: 'org/remote-code' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('remote_code_not_allowed');
    expect(refused.body.error.message).toMatch(/trust_remote_code/);
    expect(t.core.runtimes.info('vllm').state).toBe('stopped'); // nothing was launched
    const set = await t.call('PUT', `/api/v1/models/${enc('org/remote-code')}/runtime-flags`, { flags: { trust_remote_code: true } });
    expect(set.status).toBe(200);
    const reg = await t.call<{ models: InstalledModel[] }>('GET', '/api/v1/models/registry');
    expect(reg.body.models.find((m) => m.name === 'org/remote-code')).toMatchObject({ remote_code: true, runtime_flags: { trust_remote_code: true } });
    const ok = await t.call<{ activation: Activation }>('POST', '/api/v1/models/activate', { name: 'org/remote-code' });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(vllmArgs(t)).toMatch(/--trust-remote-code/);
  });

  it('remote code whose modules are missing is refused before launch, saying to reinstall', async () => {
    const config = { architectures: ['X'], auto_map: { AutoModelForCausalLM: 'modeling_x.XForCausalLM' } };
    t = await startTestCore({ env: fast, hfSeeds: [{ repo: 'org/no-code', config }] });
    await t.call('PUT', `/api/v1/models/${enc('org/no-code')}/runtime-flags`, { flags: { trust_remote_code: true } });
    const res = await t.call<{ error: { code: string; message: string } }>('POST', '/api/v1/models/activate', { name: 'org/no-code' });
    expect(res.body.error).toMatchObject({ code: 'unsupported_model' });
    expect(res.body.error.message).toMatch(/modeling_x\.py/);
  });

  it('a GGUF-only repo is refused for vLLM with the reason and the Ollama name to use', async () => {
    t = await startTestCore({ env: fast, hfSeeds: [{ repo: 'org/some-GGUF', files: { 'model.Q4_K_M.gguf': 'g'.repeat(64) } }] });
    // the seed helper always adds model.safetensors; remove it so the snapshot is GGUF-only
    const m = t.core.models.get('org/some-GGUF');
    const { rmSync } = await import('node:fs');
    rmSync(`${m.local_path}/model.safetensors`);
    t.core.db.prepare("DELETE FROM model_artifacts WHERE model_name = ? AND path = 'model.safetensors'").run('org/some-GGUF');
    const res = await t.call<{ error: { code: string; message: string } }>('POST', '/api/v1/models/activate', { name: 'org/some-GGUF' });
    expect(res.body.error?.code, JSON.stringify(res.body)).toBe('unsupported_model');
    expect(res.body.error.message).toContain('hf.co/org/some-GGUF:Q4_K_M');
    expect(t.core.runtimes.info('vllm').state).toBe('stopped');
  });

  it('a model installed at a pinned commit is served at it (no refs/main in the cache, offline)', async () => {
    t = await startTestCore({ env: { ...fast, HF_ENDPOINT: hub.url, SWITCHYARD_OFFLINE: '0' }, seams: { downloadRetryBaseMs: 20 } });
    const commit = hub.repo('org/tiny-model')!.commit;
    const op = await waitForOperation(t, await install(t, { name: 'org/tiny-model', provider: 'huggingface', revision: commit }));
    expect(op.status, op.message).toBe('completed');
    const res = await t.call<{ activation: Activation }>('POST', '/api/v1/models/activate', { name: 'org/tiny-model' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(vllmArgs(t)).toContain(`--revision ${commit}`);
    const started = t.core.runtimes.logs('vllm', 500).map((l) => l.line).find((l) => l.includes('non-default args'));
    expect(started).toBeDefined();
  });

  it('VLLM_API_KEY in the environment: readiness in seconds, and the proxy and the test chat send the key', async () => {
    t = await startTestCore({ env: { ...fast, VLLM_API_KEY: 'user-key-123' }, hfModels: ['org/keyed'] });
    const res = await t.call<{ activation: Activation }>('POST', '/api/v1/models/activate', { name: 'org/keyed' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const base = t.core.runtimes.info('vllm').base_url;
    expect((await fetch(`${base}/v1/models`)).status).toBe(401); // vLLM really guards it
    const proxied = await t.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${t.token}` }, payload: { model: 'org/keyed', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 } });
    expect(proxied.statusCode, proxied.body).toBe(200);
    const test = await t.call<{ result: ModelTestResult }>('POST', `/api/v1/models/${enc('org/keyed')}/test`, {});
    expect(test.body.result.ok, JSON.stringify(test.body)).toBe(true);
  });

  it('without a key of the user’s, every start gets a random one: vLLM refuses anyone else, the proxy and the test send it, no answer or log shows it', async () => {
    t = await startTestCore({ env: fast, hfModels: ['org/guarded'] });
    expect((await t.call('POST', '/api/v1/models/activate', { name: 'org/guarded' })).status).toBe(200);
    const base = t.core.runtimes.info('vllm').base_url;
    const first = t.core.runtimes.authHeaders('vllm').authorization!;
    expect(first).toMatch(/^Bearer [A-Za-z0-9_-]{32}$/);
    expect((await fetch(`${base}/v1/models`)).status).toBe(401); // another local process, or a web page
    expect((await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(401);
    const proxied = await t.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${t.token}` }, payload: { model: 'org/guarded', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 } });
    expect(proxied.statusCode, proxied.body).toBe(200);
    const test = await t.call<{ result: ModelTestResult }>('POST', `/api/v1/models/${enc('org/guarded')}/test`, {});
    expect(test.body.result.ok, JSON.stringify(test.body)).toBe(true);
    const key = first.slice('Bearer '.length);
    for (const url of ['/api/v1/system/llm-servers', '/api/v1/system/llm-servers/active', '/api/v1/system/llm-runtime/active', '/api/v1/system/llm-servers/vllm/logs?tail=500', '/api/v1/models/registry']) {
      expect(JSON.stringify((await t.call('GET', url)).body), url).not.toContain(key);
    }
    expect(vllmArgs(t)).not.toContain(key);
    // a restart is a new start: a new key
    await t.call('POST', '/api/v1/system/llm-servers/vllm/restart');
    expect(t.core.runtimes.authHeaders('vllm').authorization).not.toBe(first);
  });

  it('--api-key in Settings › vLLM › extra args is read from the command line and sent too', async () => {
    t = await startTestCore({ env: fast, hfModels: ['org/locked'] });
    t.core.settings.update({ vllm: { extraArgs: ['--api-key', 'from-args'] } });
    const ok = await t.call('POST', '/api/v1/models/activate', { name: 'org/locked' });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    const base = t.core.runtimes.info('vllm').base_url;
    expect((await cards(base, { authorization: 'Bearer from-args' })).map((c) => c.id)).toEqual(['org/locked']);
    const listed = await t.app.inject({ method: 'GET', url: '/v1/models', headers: { authorization: `Bearer ${t.token}` } });
    expect(JSON.parse(listed.body).data[0]).toMatchObject({ id: 'org/locked', max_model_len: expect.any(Number) });
  });

  it('the test chat reads delta.reasoning (current vLLM) and reasoning_content (older)', async () => {
    for (const field of ['reasoning', 'reasoning_content']) {
      t = await startTestCore({ env: { ...fast, EMU_REASONING_FIELD: field }, hfModels: ['org/thinker'] });
      expect((await t.call('POST', '/api/v1/models/activate', { name: 'org/thinker' })).status).toBe(200);
      const result = (await t.call<{ result: ModelTestResult }>('POST', `/api/v1/models/${enc('org/thinker')}/test`, {})).body.result;
      expect(result.ok, JSON.stringify(result)).toBe(true);
      expect(result.reasoning).toBe('The user asks.');
      expect(result.answer).not.toContain('The user asks.');
      await t.close();
      t = undefined;
    }
  });

  it('a tensor-parallel size that does not divide the attention heads is refused before launch, with the sizes that do', async () => {
    t = await startTestCore({ env: fast, hfSeeds: [{ repo: 'org/six-heads', config: { num_attention_heads: 6, num_key_value_heads: 6 } }] });
    await t.call('PUT', `/api/v1/models/${enc('org/six-heads')}/runtime-flags`, { flags: { tensor_parallel_size: 4 } });
    const res = await t.call<{ error: { code: string; message: string } }>('POST', '/api/v1/models/activate', { name: 'org/six-heads' });
    expect(res.body.error?.code, JSON.stringify(res.body)).toBe('bad_request');
    expect(res.body.error.message).toMatch(/6 attention heads.*Use 1, 2/);
    expect(t.core.runtimes.info('vllm').state).toBe('stopped');
  });
});
