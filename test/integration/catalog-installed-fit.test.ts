import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeHub } from '../fixtures/hub/server.mjs';
import { startTestCore, type TestCore } from '../support/core';
import { install, waitForOperation } from '../support/models';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const GIB = 1024 ** 3;

/** "For each model (catalog and installed)": an installed model has a fit from its own files, offline. */
describe('catalog: fit for installed models (offline, nothing cached)', () => {
  let t: TestCore | undefined;
  const dirs: string[] = [];
  afterEach(async () => {
    await t?.close();
    t = undefined;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('an HF model found in the cache: fit from its config.json and safetensors sizes', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'switchyard-hfcache-'));
    dirs.push(cache);
    const commit = 'c'.repeat(40);
    const repo = join(cache, 'models--me--private-1b');
    mkdirSync(join(repo, 'refs'), { recursive: true });
    writeFileSync(join(repo, 'refs', 'main'), commit);
    const snap = join(repo, 'snapshots', commit);
    mkdirSync(snap, { recursive: true });
    const config = { architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 2048, num_attention_heads: 16, num_key_value_heads: 8, num_hidden_layers: 24, max_position_embeddings: 32768, torch_dtype: 'bfloat16' };
    writeFileSync(join(snap, 'config.json'), JSON.stringify(config));
    writeFileSync(join(snap, 'model.safetensors'), '');
    truncateSync(join(snap, 'model.safetensors'), 3_000_000_000); // sparse

    // SWITCHYARD_OFFLINE=1 (the test default): no request may leave, and this repo was never fetched
    t = await startTestCore({ env: { HF_HUB_CACHE: cache, HF_ENDPOINT: 'http://127.0.0.1:9' } });
    const r = await t.call<Body>('GET', `/api/v1/models/catalog/${encodeURIComponent('me/private-1b')}?vram_gb=6`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ stale: true, offline: true });
    expect(r.body.error).toMatch(/Offline mode: showing the details of the installed copy/);
    expect(r.body.model).toMatchObject({ provider: 'huggingface', model_name: 'me/private-1b', runtime: 'vllm', parameters_b: 1.5, context_length: 32768, architectures: ['LlamaForCausalLM'] });
    expect(r.body.model.files).toEqual([
      { name: 'config.json', size: expect.any(Number) },
      { name: 'model.safetensors', size: 3_000_000_000 },
    ]);
    expect(r.body.fit.inputs).toMatchObject({ layers: 24, kv_heads: 8, head_dim: 128, kv_estimated: false });
    expect(r.body.fit.inputs.weights_gib).toBeCloseTo(3e9 / GIB, 2);
    expect(r.body.fit.summary.verdict).toBe('fits');
    expect(r.body.fit.options[0].max_context).toBe(15_872); // hand-computed in src/main/catalog/installed.test.ts
  });

  it('online, what the Hub leaves unknown comes from the installed copy', async () => {
    const hub = await startFakeHub();
    try {
      t = await startTestCore({ env: { SWITCHYARD_OFFLINE: '0', HF_ENDPOINT: hub.url } });
      const op = await waitForOperation(t, await install(t, { name: 'org/tiny-model', provider: 'huggingface' }));
      expect(op.status, op.message).toBe('completed');
      // the fake Hub's info for org/tiny-model has no safetensors metadata and no size in the name
      const r = await t.call<Body>('GET', `/api/v1/models/catalog/${encodeURIComponent('org/tiny-model')}?vram_gb=8`);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body).toMatchObject({ stale: false, error: null });
      // config.json has no attention heads: the KV cache is a (flagged) guess, the context limit is real
      expect(r.body.fit.inputs).toMatchObject({ kv_estimated: true, max_position_embeddings: 2048 });
      expect(r.body.fit.inputs.parameters_b).toBeCloseTo((5 * 1024 * 1024) / 2 / 1e9, 6); // 5 MiB of BF16 shards on disk
      expect(r.body.fit.summary.verdict).toBe('fits');
    } finally {
      await t?.close();
      t = undefined;
      await hub.close();
    }
  });

  it('an Ollama model: fit from its size on disk and Ollama\'s /api/show metadata', async () => {
    t = await startTestCore();
    const op = await waitForOperation(t, await install(t, { name: 'qwen2.5:0.5b', provider: 'ollama', runtime: 'ollama' }));
    expect(op.status, op.message).toBe('completed');
    const size = (await (await fetch(`${t.core.runtimes.info('ollama').base_url}/api/tags`)).json()) as { models: { name: string; size: number }[] };
    const bytes = size.models.find((m) => m.name === 'qwen2.5:0.5b')!.size;

    const r = await t.call<Body>('GET', `/api/v1/models/catalog/${encodeURIComponent('qwen2.5:0.5b')}?vram_gb=8`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ offline: true });
    expect(r.body.model).toMatchObject({ provider: 'ollama', runtime: 'ollama', context_length: 32768 });
    // the emulator's model_info: 16 blocks, 32 heads (no head_count_kv → all heads), embedding_length / 32
    expect(r.body.fit.inputs).toMatchObject({ layers: 16, kv_heads: 32, kv_estimated: false });
    // weights: the emulator's few MiB on disk, not the library's 0.398 GB for this tag (0.37 GiB)
    expect(bytes).toBeLessThan(0.05 * GIB);
    expect(r.body.fit.inputs.weights_gib).toBeCloseTo(bytes / GIB, 2);
    expect(r.body.fit.summary.verdict).toBe('fits');
    expect(r.body.fit.ollama_num_ctx).toBe(8192);

    // a model the library list does not know, installed under a name the catalog never saw
    const unknown = await t.call<Body>('GET', `/api/v1/models/catalog/${encodeURIComponent('nobody-knows:7b')}`);
    expect(unknown.status).toBe(404);
  });
});
