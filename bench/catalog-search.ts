// Catalog search latency over 50k cached models (target p95 ≤ 20 ms) and the cached trending answer time.
//   npx tsx bench/catalog-search.ts          (MODELS=50000 QUERIES=400 by default)
// Measured through the HTTP API (app.inject: routing, validation, fit badges, serialization included).
// Baseline in the same run: the same filters with a `LIKE '%word%'` scan instead of FTS5.
import { performance } from 'node:perf_hooks';
import { CatalogRepo, facetTokens, type CatalogRow } from '../src/main/catalog/catalog-repo';
import { startCatalogHub } from '../test/support/catalog-hub';
import { startTestCore } from '../test/support/core';

const MODELS = Number(process.env.MODELS ?? 50_000);
const QUERIES = Number(process.env.QUERIES ?? 400);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const fmt = (x: number) => x.toFixed(2);

const ORGS = ['meta-llama', 'Qwen', 'mistralai', 'google', 'microsoft', 'deepseek-ai', 'TheBloke', 'bartowski', 'unsloth', 'NousResearch', 'allenai', 'ibm-granite', 'tiiuae', 'HuggingFaceTB', 'community'];
const FAMILIES = ['Llama-3.1', 'Llama-3.2', 'Qwen2.5', 'Qwen3', 'Mistral', 'Mixtral', 'gemma-2', 'gemma-3', 'phi-3', 'phi-4', 'DeepSeek-R1-Distill', 'OLMo-2', 'granite-3.3', 'Falcon3', 'SmolLM2', 'Hermes-3', 'CodeLlama', 'starcoder2'];
const SIZES = [0.5, 1, 1.5, 3, 7, 8, 13, 14, 32, 70];
const VARIANTS = ['Instruct', 'Chat', 'Coder', 'Base', 'AWQ', 'GPTQ', 'GGUF', 'FP8', 'abliterated', 'finetune'];

function syntheticRows(n: number): CatalogRow[] {
  const at = new Date().toISOString();
  return Array.from({ length: n }, (_, i) => {
    const size = SIZES[i % SIZES.length]!;
    const name = `${ORGS[i % ORGS.length]}/${FAMILIES[(i * 7) % FAMILIES.length]}-${size}B-${VARIANTS[(i * 3) % VARIANTS.length]}-v${i}`;
    const gguf = name.includes('GGUF');
    const shape = { runtime: gguf ? 'ollama' : 'vllm', parametersB: size, weightsBytes: null, dtype: gguf ? 'Q4_K_M' : 'BF16', layers: null, kvHeads: null, headDim: null, maxContext: 32768, quantization: null };
    const w = (size * 1e9 * (gguf ? 0.61 : 2)) / 1024 ** 3;
    const runtime = gguf ? 'ollama' : 'vllm';
    const sizeGb = Math.round(w * 1.074 * 10) / 10;
    const minVram = w * 1.05 + 1 + 0.25;
    return {
      provider: 'huggingface',
      model_name: name,
      display_name: name.split('/')[1]!,
      runtime: gguf ? 'ollama' : 'vllm',
      size_gb: Math.round(w * 1.074 * 10) / 10,
      parameters_b: size,
      min_vram_gib: w * 1.05 + 1 + 0.25,
      downloads: (i * 7919) % 1_000_000,
      likes: i % 500,
      vllm_supported: gguf ? 0 : 1,
      tags: JSON.stringify(['text-generation', 'transformers', gguf ? 'gguf' : 'safetensors', FAMILIES[(i * 7) % FAMILIES.length]!.toLowerCase()]),
      description: null,
      shape: JSON.stringify(shape),
      origin: 'remote',
      updated_at: at,
      facets: facetTokens({ provider: 'huggingface', runtime, size_gb: sizeGb, min_vram_gib: minVram }),
    } satisfies CatalogRow;
  });
}

const QUERY_MIX = ['llama', 'qwen 7b', 'mistral instruct', 'gemma', 'q', 'coder', 'deepseek r1', 'phi', 'gguf', 'awq 70b', 'hermes', 'granite 8b', '', 'starcoder2 3b', 'olmo'];
const FILTER_MIX = ['', '&source=huggingface', '&runtime=vllm', '&max_size_gb=20', '&fits=true&vram_gb=24', '&runtime=ollama&max_size_gb=10'];

async function main() {
  const hub = await startCatalogHub();
  const tc = await startTestCore({ env: { SWITCHYARD_OFFLINE: '0', HF_ENDPOINT: hub.url, SWITCHYARD_OLLAMA_LIBRARY_URL: hub.url } });
  try {
    const repo = new CatalogRepo(tc.core.db);
    let t0 = performance.now();
    const rows = syntheticRows(MODELS);
    for (let i = 0; i < rows.length; i += 5000) repo.upsertModels(rows.slice(i, i + 5000));
    console.log(`indexed ${MODELS} models in ${fmt(performance.now() - t0)} ms (total in index: ${repo.countModels()})`);

    const urls = Array.from({ length: QUERIES }, (_, i) => `/api/v1/models/catalog/search?limit=100&q=${encodeURIComponent(QUERY_MIX[i % QUERY_MIX.length]!)}${FILTER_MIX[i % FILTER_MIX.length]}`);
    for (const u of urls.slice(0, 20)) await tc.call('GET', u); // warm-up
    const fts: number[] = [];
    for (const u of urls) {
      t0 = performance.now();
      const r = await tc.call('GET', u);
      fts.push(performance.now() - t0);
      if (r.status !== 200) throw new Error(`search failed: ${JSON.stringify(r.body)}`);
    }

    // the same queries without HTTP (FTS + filters + fit badges): what the API adds on top is routing/serialization
    const direct: number[] = [];
    for (let i = 0; i < QUERIES; i++) {
      const params = new URLSearchParams(urls[i]!.split('?')[1]);
      t0 = performance.now();
      tc.core.catalog.search({
        q: params.get('q') ?? undefined,
        source: (params.get('source') as 'huggingface' | null) ?? undefined,
        runtime: (params.get('runtime') as 'vllm' | 'ollama' | null) ?? undefined,
        max_size_gb: params.get('max_size_gb') ? Number(params.get('max_size_gb')) : undefined,
        fits: params.get('fits') === 'true',
        vram_gb: params.get('vram_gb') ? Number(params.get('vram_gb')) : undefined,
        limit: 100,
        offset: 0,
      });
      direct.push(performance.now() - t0);
    }

    // baseline: the same words as LIKE scans (what a cache without FTS would do)
    const like = tc.core.db.prepare<[string, string], { n: number }>(
      `SELECT model_name FROM catalog_models WHERE (model_name LIKE ? OR tags LIKE ?) ORDER BY downloads DESC LIMIT 100`,
    );
    const base: number[] = [];
    for (let i = 0; i < QUERIES; i++) {
      const word = QUERY_MIX[i % QUERY_MIX.length]!.split(' ')[0] ?? '';
      t0 = performance.now();
      like.all(`%${word}%`, `%${word}%`);
      base.push(performance.now() - t0);
    }
    console.log(`catalog search (HTTP, ${MODELS} models, ${QUERIES} queries): p50 ${fmt(pct(fts, 50))} ms, p95 ${fmt(pct(fts, 95))} ms, max ${fmt(Math.max(...fts))} ms (target p95 ≤ 20 ms) ${pct(fts, 95) <= 20 ? 'OK' : 'MISSED'}`);
    console.log(`catalog search (service, no HTTP): p50 ${fmt(pct(direct, 50))} ms, p95 ${fmt(pct(direct, 95))} ms`);
    console.log(`baseline LIKE scan (SQL only): p50 ${fmt(pct(base, 50))} ms, p95 ${fmt(pct(base, 95))} ms; ratio search p95 / LIKE p95 = ${fmt(pct(fts, 95) / pct(base, 95))}`);

    // cached trending: the first call of each provider fetches from the fake hub, the rest come from SQLite
    await tc.call('GET', '/api/v1/models/trending?provider=ollama&limit=24');
    t0 = performance.now();
    await tc.call('GET', '/api/v1/models/trending?provider=huggingface&limit=24');
    const firstMs = performance.now() - t0;
    const trending: number[] = [];
    for (let i = 0; i < 200; i++) {
      t0 = performance.now();
      await tc.call('GET', `/api/v1/models/trending?provider=${i % 2 ? 'ollama' : 'huggingface'}&limit=24`);
      trending.push(performance.now() - t0);
    }
    console.log(`load average during the run: ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')} on ${(await import('node:os')).cpus().length} cores`);
    console.log(`trending: first answer ${fmt(firstMs)} ms; cached answers p50 ${fmt(pct(trending, 50))} ms, p95 ${fmt(pct(trending, 95))} ms over 200 calls`);
    if (pct(fts, 95) > 20) process.exitCode = 1;
  } finally {
    await hub.close();
    await tc.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
