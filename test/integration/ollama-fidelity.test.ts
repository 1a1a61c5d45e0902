import { afterEach, describe, expect, it } from 'vitest';
import type { Activation, InstalledModel, ModelTestResult } from '../../src/shared/api/models';
import { startTestCore, type TestCore } from '../support/core';
import { install, waitForOperation } from '../support/models';

/** Ollama as the real one behaves: embedding models, cloud models. */
const fast = { EMU_START_DELAY_MS: '100', EMU_PULL_BYTES_PER_SEC: String(1024 ** 3) };
const enc = encodeURIComponent;

let t: TestCore | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('Ollama fidelity', () => {
  it('an embedding model loads through /api/embed (Ollama refuses /api/generate for it), tests with an embedding, answers /v1/embeddings through Switchyard', async () => {
    t = await startTestCore({ env: fast });
    const op = await waitForOperation(t, await install(t, { name: 'nomic-embed-text', provider: 'ollama' }));
    expect(op.status, op.message).toBe('completed');
    const base = t.core.runtimes.info('ollama').base_url;
    // what the old load did: the real Ollama (and the emulator) refuse it
    const refused = await fetch(`${base}/api/generate`, { method: 'POST', body: JSON.stringify({ model: 'nomic-embed-text', keep_alive: -1 }) });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toContain('does not support generate');

    const res = await t.call<{ activation: Activation; model: InstalledModel }>('POST', '/api/v1/models/activate', { name: 'nomic-embed-text:latest' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.model).toMatchObject({ active: true, serving: true });
    const ps = ((await (await fetch(`${base}/api/ps`)).json()) as { models: { name: string; expires_at: string }[] }).models;
    expect(ps.map((m) => m.name)).toEqual(['nomic-embed-text:latest']);
    expect(new Date(ps[0]!.expires_at).getFullYear()).toBeGreaterThan(new Date().getFullYear() + 100); // pinned

    const test = await t.call<{ result: ModelTestResult }>('POST', `/api/v1/models/${enc('nomic-embed-text:latest')}/test`, {});
    expect(test.body.result).toMatchObject({ ok: true, runtime: 'ollama', answer: expect.stringMatching(/^embedding of \d+ dimensions$/) });

    const embedded = await t.app.inject({ method: 'POST', url: '/v1/embeddings', headers: { authorization: `Bearer ${t.token}` }, payload: { model: 'nomic-embed-text:latest', input: ['a', 'b'] } });
    expect(embedded.statusCode, embedded.body).toBe(200);
    expect(JSON.parse(embedded.body).data).toHaveLength(2);

    const off = await t.call<{ model: string }>('POST', '/api/v1/models/deactivate', {});
    expect(off.body.model).toBe('nomic-embed-text:latest');
    expect(((await (await fetch(`${base}/api/ps`)).json()) as { models: unknown[] }).models).toEqual([]);
  });

  it('cloud models in /api/tags are shown as cloud, never imported as local models', async () => {
    t = await startTestCore({ env: { ...fast, EMU_CLOUD_MODELS: 'gpt-oss:120b-cloud' } });
    const op = await waitForOperation(t, await install(t, { name: 'qwen2.5:0.5b', provider: 'ollama' }));
    expect(op.status, op.message).toBe('completed');
    const reg = await t.call<{ models: InstalledModel[]; cloud_models: { name: string; remote_model: string; remote_host: string }[] }>('GET', '/api/v1/models/registry?refresh=1');
    expect(reg.body.models.map((m) => m.name)).toContain('qwen2.5:0.5b');
    expect(reg.body.models.map((m) => m.name)).not.toContain('gpt-oss:120b-cloud');
    expect(reg.body.cloud_models).toEqual([{ name: 'gpt-oss:120b-cloud', remote_model: 'gpt-oss:120b', remote_host: 'https://ollama.com:443' }]);
  });

  it('a GGUF repo from the Hub runs through Ollama: the plan offers hf.co/{repo}:{quant}, Ollama pulls it, it activates', async () => {
    const { startFakeHub } = await import('../fixtures/hub/server.mjs');
    const hub = await startFakeHub({ repos: { 'org/tiny-GGUF': { files: { 'tiny.Q4_K_M.gguf': { size: 1024 }, 'tiny.Q8_0.gguf': { size: 2048 } } } } });
    try {
      t = await startTestCore({ env: { ...fast, HF_ENDPOINT: hub.url, SWITCHYARD_OFFLINE: '0' } });
      const plan = await t.call<{ plan: { ollama_name: string | null; quantization: string } }>('GET', '/api/v1/models/registry/plan?name=org%2Ftiny-GGUF&provider=huggingface&quantization=Q8_0');
      expect(plan.body.plan.ollama_name).toBe('hf.co/org/tiny-GGUF:Q8_0');
      const op = await waitForOperation(t, await install(t, { name: plan.body.plan.ollama_name, provider: 'ollama' }));
      expect(op.status, op.message).toBe('completed');
      const res = await t.call<{ activation: Activation }>('POST', '/api/v1/models/activate', { name: 'hf.co/org/tiny-GGUF:Q8_0' });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.activation.runtime).toBe('ollama');
      // a safetensors repo has no Ollama name
      const st = await t.call<{ plan: { ollama_name: string | null } }>('GET', '/api/v1/models/registry/plan?name=org%2Ftiny-model&provider=huggingface');
      expect(st.body.plan.ollama_name ?? null).toBeNull();
    } finally {
      await hub.close();
    }
  });
});
