import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCatalogHub, type CatalogHub } from '../support/catalog-hub';
import { startTestCore, type TestCore } from '../support/core';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('catalog: providers, details, local search, news (online, fake hub)', () => {
  let hub: CatalogHub;
  let t: TestCore;
  beforeAll(async () => {
    hub = await startCatalogHub();
    t = await startTestCore({ env: { SWITCHYARD_OFFLINE: '0', HF_ENDPOINT: hub.url, SWITCHYARD_OLLAMA_LIBRARY_URL: hub.url } });
  });
  afterAll(async () => {
    await t?.close();
    await hub?.close();
  });

  it('searches the Hub with fit summaries, and the cache answers within the TTL', async () => {
    const r = await t.call<Body>('GET', '/api/v1/models/providers?provider=huggingface&q=qwen&limit=10&vram_gb=24');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ success: true, provider: 'huggingface', stale: false, error: null, offline: false });
    const names = r.body.models.map((m: Body) => m.model_name);
    expect(names).toEqual(['Qwen/Qwen3-0.6B', 'Qwen/Qwen3-8B', 'Qwen/Qwen3-32B']); // sorted by downloads
    const q8 = r.body.models[1];
    expect(q8).toMatchObject({ provider: 'huggingface', display_name: 'Qwen3-8B', runtime: 'vllm', vllm_supported: true, size_gb: 16.4, parameters_b: 8.19 });
    expect(q8.tags).toContain('text-generation');
    expect(q8.tags).not.toContain('region:us');
    expect(q8.fit.verdict).toBe('fits');
    expect(r.body.models[2].fit.verdict).toBe('needs_gpus');
    const asked = hub.requests.filter((p) => p === '/api/models').length;
    expect(asked).toBeGreaterThan(0);
    const again = await t.call<Body>('GET', '/api/v1/models/providers?provider=huggingface&q=qwen&limit=10');
    expect(again.body.count).toBe(3);
    expect(hub.requests.filter((p) => p === '/api/models')).toHaveLength(asked);
  });

  it('asks the Hub for the order the user picked: likes, trending, last update', async () => {
    const byLikes = await t.call<Body>('GET', '/api/v1/models/providers?provider=huggingface&q=qwen&limit=10&sort=likes');
    const likes = byLikes.body.models.map((m: Body) => m.likes as number);
    expect(likes).toEqual([...likes].sort((a, b) => b - a));
    const before = hub.requests.filter((p) => p === '/api/models').length;
    await t.call<Body>('GET', '/api/v1/models/providers?provider=huggingface&q=qwen&limit=10&sort=updated');
    const afterUpdated = hub.requests.filter((p) => p === '/api/models').length;
    await t.call<Body>('GET', '/api/v1/models/providers?provider=huggingface&q=qwen&limit=10&sort=trending');
    // each order is its own Hub search (not the cached downloads order)
    expect(afterUpdated).toBeGreaterThan(before);
    expect(hub.requests.filter((p) => p === '/api/models').length).toBeGreaterThan(afterUpdated);
    expect((await t.call<Body>('GET', '/api/v1/models/providers?provider=huggingface&sort=newest')).status).toBe(400);
  });

  it('filters "runs on vLLM" and GGUF', async () => {
    const vllm = await t.call<Body>('GET', '/api/v1/models/providers?provider=huggingface&filter=vllm&limit=50');
    const names = vllm.body.models.map((m: Body) => m.model_name);
    expect(names).toContain('meta-llama/Llama-3.1-8B-Instruct');
    // image-text-to-text models vLLM serves are not hidden behind the text-generation pipeline
    expect(names).toContain('google/gemma-3-4b-it');
    expect(names).not.toContain('acme/exotic-arch-7b');
    const gguf = await t.call<Body>('GET', '/api/v1/models/providers?provider=huggingface&filter=gguf&limit=50');
    // every GGUF chat repo, whatever pipeline it names (or none); not an embedding GGUF
    expect(gguf.body.models.map((m: Body) => m.model_name)).toEqual(['bartowski/Llama-3.1-8B-Instruct-GGUF', 'unsloth/gemma-3-4b-it-GGUF', 'lmstudio-community/gemma-3-270m-it-GGUF']);
    expect(gguf.body.models[0]).toMatchObject({ runtime: 'ollama', size_gb: 4.9 });
  });

  it('a search without a filter covers every pipeline Switchyard serves, GGUF included (issue 20)', async () => {
    const r = await t.call<Body>('GET', '/api/v1/models/providers?provider=huggingface&q=gemma-3&limit=50');
    expect(r.body).toMatchObject({ stale: false, error: null });
    const names = r.body.models.map((m: Body) => m.model_name);
    // Gemma 3 4B is image-text-to-text: a text-generation-only search never saw it
    expect(names).toEqual(['google/gemma-3-1b-it', 'unsloth/gemma-3-4b-it-GGUF', 'lmstudio-community/gemma-3-270m-it-GGUF', 'google/gemma-3-4b-it']);
    expect(names).not.toContain('acme/gemma-3-embed-GGUF');
    expect(r.body.models.find((m: Body) => m.model_name === 'unsloth/gemma-3-4b-it-GGUF')).toMatchObject({ runtime: 'ollama', vllm_supported: false });
  });

  it('each row carries the server\'s runnable verdict; fits=true filters by it, on the Hub search as on the local one', async () => {
    const on = (gpus: number, extra = '') => t.call<Body>('GET', `/api/v1/models/providers?provider=huggingface&q=qwen&vram_gb=24&gpus=${gpus}${extra}`);
    const row = (r: Body, name: string) => r.body.models.find((m: Body) => m.model_name === name);
    // Qwen3-32B needs tensor parallelism over 4 GPUs: runnable on 4 × 24 GiB, not on 1
    expect(row(await on(4), 'Qwen/Qwen3-32B')).toMatchObject({ fit: { verdict: 'needs_gpus', gpus_needed: 4 }, runnable: true });
    expect(row(await on(1), 'Qwen/Qwen3-32B')).toMatchObject({ fit: { verdict: 'needs_gpus', gpus_needed: 4 }, runnable: false });
    expect((await on(4, '&fits=true')).body.models.map((m: Body) => m.model_name)).toContain('Qwen/Qwen3-32B');
    expect((await on(1, '&fits=true')).body.models.map((m: Body) => m.model_name)).toEqual(['Qwen/Qwen3-0.6B', 'Qwen/Qwen3-8B']);
    expect((await on(1, '&max_size_gb=5')).body.models.map((m: Body) => m.model_name)).toEqual(['Qwen/Qwen3-0.6B']);
    const local = await t.call<Body>('GET', '/api/v1/models/catalog/search?q=qwen3%2032b&vram_gb=24&gpus=4&fits=true');
    expect(row(local, 'Qwen/Qwen3-32B')).toMatchObject({ runnable: true });
    const trending = await t.call<Body>('GET', '/api/v1/models/trending?provider=ollama&limit=3');
    expect(trending.body.models.every((m: Body) => typeof m.runnable === 'boolean')).toBe(true);
  });

  it('Ollama library refreshed from the (fake) ollama.com page', async () => {
    const r = await t.call<Body>('GET', '/api/v1/models/providers?provider=ollama&q=switchyard&limit=10');
    expect(r.body).toMatchObject({ stale: false, error: null });
    expect(r.body.models.map((m: Body) => m.model_name)).toEqual(['switchyard-test-llm:3b', 'switchyard-test-llm:14b']);
    const trending = await t.call<Body>('GET', '/api/v1/models/trending?provider=ollama&limit=3');
    expect(trending.body.models.map((m: Body) => m.model_name)).toEqual(['llama3.1:8b', 'deepseek-r1:8b', 'llama3.2:3b']);
    expect(trending.body.models[0]).toMatchObject({ runtime: 'ollama', downloads: 109_300_000, size_gb: 4.9 });
  });

  it('HF trending uses sort=trendingScore', async () => {
    const r = await t.call<Body>('GET', '/api/v1/models/trending?provider=huggingface&limit=3');
    expect(r.body.models.map((m: Body) => m.model_name)).toEqual(['moonshotai/Kimi-K2-Thinking', 'Qwen/Qwen3-0.6B', 'Qwen/Qwen3-8B']);
    expect(r.body).toMatchObject({ success: true, provider: 'huggingface', count: 3, stale: false, error: null });
  });

  it('model details: files, config-based KV, fit table and vLLM flags', async () => {
    const r = await t.call<Body>('GET', `/api/v1/models/catalog/${encodeURIComponent('meta-llama/Llama-3.1-8B-Instruct')}?vram_gb=24`);
    expect(r.status).toBe(200);
    const { model, fit } = r.body;
    expect(model).toMatchObject({ model_name: 'meta-llama/Llama-3.1-8B-Instruct', license: 'llama3.1', gated: 'manual', architectures: ['LlamaForCausalLM'], context_length: 131072 });
    expect(model.files.find((f: Body) => f.name.endsWith('.safetensors')).size).toBeGreaterThan(1e9);
    expect(fit.inputs).toMatchObject({ layers: 32, kv_heads: 8, head_dim: 128, kv_estimated: false, context: 8192 });
    expect(fit.summary.verdict).toBe('fits');
    expect(fit.vllm_flags).toEqual(['--gpu-memory-utilization 0.9', '--max-model-len 39936']); // the largest context that fits (8B BF16 on 24 GiB)
    expect(fit.options).toHaveLength(4);

    const big = await t.call<Body>('GET', `/api/v1/models/catalog/${encodeURIComponent('meta-llama/Llama-3.3-70B-Instruct')}?vram_gb=24`);
    expect(big.body.fit.summary).toMatchObject({ verdict: 'needs_gpus', gpus_needed: 8 });
    const none = await t.call<Body>('GET', `/api/v1/models/catalog/${encodeURIComponent('meta-llama/Llama-3.3-70B-Instruct')}`);
    expect(none.body.fit.summary.verdict).toBe('no_gpu');
  });

  it('Ollama model details and unknown models', async () => {
    const r = await t.call<Body>('GET', `/api/v1/models/catalog/${encodeURIComponent('llama3.1:70b')}?vram_gb=24&gpus=2`);
    expect(r.status).toBe(200);
    expect(r.body.model).toMatchObject({ provider: 'ollama', model_name: 'llama3.1:70b', size_gb: 43, capabilities: ['tools'] });
    expect(r.body.model.files.map((f: Body) => f.name)).toContain('llama3.1:405b');
    // Ollama splits the layers over both GPUs; what does not fit runs on the CPU
    expect(r.body.fit.summary.verdict).toBe('partial_offload');
    expect(r.body.fit.vllm_flags).toBeNull();
    const missing = await t.call<Body>('GET', `/api/v1/models/catalog/${encodeURIComponent('nobody/nothing')}`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('model_not_found');
    const badTag = await t.call<Body>('GET', '/api/v1/models/catalog/llama3.1%3A3b');
    expect(badTag.status).toBe(404);
  });

  it('local search over the cache: text, source, runtime, size and fits filters', async () => {
    const q = await t.call<Body>('GET', '/api/v1/models/catalog/search?q=qwen3&source=huggingface');
    expect(q.body.models.map((m: Body) => m.model_name)).toEqual(expect.arrayContaining(['Qwen/Qwen3-8B', 'Qwen/Qwen3-0.6B', 'Qwen/Qwen3-32B']));
    const ollama = await t.call<Body>('GET', '/api/v1/models/catalog/search?q=llama3.1&runtime=ollama');
    expect(ollama.body.models.every((m: Body) => m.runtime === 'ollama')).toBe(true);
    expect(ollama.body.models.map((m: Body) => m.model_name)).toContain('llama3.1:8b');
    const small = await t.call<Body>('GET', '/api/v1/models/catalog/search?max_size_gb=2&limit=1000');
    expect(small.body.models.length).toBeGreaterThan(10);
    expect(small.body.models.every((m: Body) => m.size_gb !== null && m.size_gb <= 2)).toBe(true);
    const fits = await t.call<Body>('GET', '/api/v1/models/catalog/search?fits=true&vram_gb=8&limit=1000');
    expect(fits.body.models.length).toBeGreaterThan(10);
    expect(fits.body.models.every((m: Body) => ['fits', 'reduced_context'].includes(m.fit.verdict))).toBe(true);
    expect(fits.body.models.map((m: Body) => m.model_name)).not.toContain('llama3.1:70b');
    const noGpu = await t.call<Body>('GET', '/api/v1/models/catalog/search?fits=true');
    expect(noGpu.body.count).toBe(0);
    const paged = await t.call<Body>('GET', '/api/v1/models/catalog/search?limit=5&offset=5');
    expect(paged.body.count).toBe(5);
    expect(paged.body.total).toBeGreaterThan(150);
    const syntax = await t.call<Body>('GET', `/api/v1/models/catalog/search?q=${encodeURIComponent('"qwen AND (')}`);
    expect(syntax.status).toBe(200);
  });

  it('news: blog RSS and monthly papers', async () => {
    const blog = await t.call<Body>('GET', '/api/v1/models/news?provider=huggingface&type=blog&limit=2');
    expect(blog.body).toMatchObject({ success: true, provider: 'huggingface', type: 'blog', count: 2, stale: false, error: null });
    expect(blog.body.items[0]).toMatchObject({ title: 'Serving open models faster with speculative decoding', source: 'huggingface', authors: ['Jane Doe'] });
    const papers = await t.call<Body>('GET', '/api/v1/models/news?type=papers&month=2026-11&limit=5');
    expect(papers.body.items.map((i: Body) => i.title)).toEqual(['Speculative Decoding at Scale', 'KV Cache Compression Without Tears']);
    expect(papers.body.items[0].url).toBe(`${hub.url}/papers/2611.01234`);
    const bad = await t.call<Body>('GET', '/api/v1/models/news?type=papers&month=2026-13');
    expect(bad.status).toBe(400);
  });

  it('a catalog refresh reads vLLM\'s registry: a new architecture counts as "runs on vLLM"', async () => {
    const before = await t.call<Body>('GET', '/api/v1/models/providers?provider=huggingface&q=exotic&filter=vllm');
    expect(before.body.count).toBe(0);
    await t.call('PATCH', '/api/v1/settings', { catalog: { vllmRegistryUrl: `${hub.url}/vllm/registry.py` } });
    const r = await t.call<Body>('POST', '/api/v1/models/catalog/refresh', { section: 'catalog', provider: 'huggingface' });
    expect(r.body.results.find((x: Body) => x.key === 'vllm:architectures')).toMatchObject({ ok: true, count: 24 });
    const after = await t.call<Body>('GET', '/api/v1/models/providers?provider=huggingface&q=exotic-arch&filter=vllm');
    expect(after.body.models.map((m: Body) => m.model_name)).toEqual(['acme/exotic-arch-7b']);
  });

  it('explicit refresh per section goes to the network even within the TTL', async () => {
    const before = hub.count();
    const r = await t.call<Body>('POST', '/api/v1/models/catalog/refresh', { section: 'news' });
    expect(r.status).toBe(200);
    expect(r.body.results.map((x: Body) => [x.key, x.ok])).toEqual([
      ['news:blog', true],
      ['news:papers', true],
    ]);
    expect(hub.count()).toBe(before + 2);
    const status = await t.call<Body>('GET', '/api/v1/models/catalog/status');
    expect(status.body.sections.map((s: Body) => s.key)).toContain('news:blog');
  });
});
