// Route lookup cost: RoutingSnapshot.resolve() against a bare Map.get of the same names, in one run.
// The table is built from 2 slots, 200 providers × 50 models, 100 aliases; lookups cycle through a mix
// of slot names, loose spellings, qualified remote names, unique bare names, aliases and unknown names.
//   npx tsx bench/router.ts        LOOKUPS=2000000 by default
import { performance } from 'node:perf_hooks';
import { RoutingSnapshot, type RemoteInput } from '../src/main/router/table';

const LOOKUPS = Number(process.env.LOOKUPS ?? 2_000_000);
const OK = { status: 'ok' as const, last_check_at: null, latency_ms: 10, error: null };
const remotes: RemoteInput[] = Array.from({ length: 200 }, (_, p) => ({
  provider: `p${p}`,
  models: Array.from({ length: 50 }, (_, m) => `model-${p}-${m}`),
  enabled: true,
  validation: 'current',
  health: OK,
  supports: { embeddings: true, completions: true },
  endpoint: { kind: 'remote', provider: `p${p}`, runtime: 'remote', apiBase: `https://p${p}.example/v1`, headers: {}, transport: 'net' },
}));
const local = (model: string) => ({ kind: 'local' as const, provider: 'huggingface', runtime: 'vllm', model, apiBase: 'http://127.0.0.1:8000/v1', headers: {}, transport: 'loopback' as const });
const built = performance.now();
const table = new RoutingSnapshot({
  slots: [
    { slot: 'chat', model: 'Qwen/Qwen3-8B', provider: 'huggingface', runtime: 'vllm', phase: 'serving', endpoint: local('Qwen/Qwen3-8B'), label: 'vLLM' },
    { slot: 'embeddings', model: 'nomic-embed-text:latest', provider: 'ollama', runtime: 'ollama', phase: 'serving', endpoint: local('nomic-embed-text:latest'), label: 'Ollama' },
  ],
  installed: [],
  remotes,
  aliases: Array.from({ length: 100 }, (_, i) => ({ alias: `a${i}`, target: `p${i}/model-${i}-0` })),
  defaultRoute: null,
  offline: false,
  loadOnDemand: false,
  switching: new Set(),
  retryAfterS: 5,
});
const buildMs = performance.now() - built;

const names = ['Qwen/Qwen3-8B', 'qwen3-8b', 'nomic-embed-text', 'p17/model-17-3', 'model-42-9', 'a7', 'gpt-imaginary', 'p199/model-199-49'];
const plain = new Map(names.map((n) => [n, { n }]));

function time(label: string, run: (name: string) => unknown): number {
  let sink = 0;
  const start = performance.now();
  for (let i = 0; i < LOOKUPS; i++) if (run(names[i & 7]!)) sink++;
  const ns = ((performance.now() - start) * 1e6) / LOOKUPS;
  console.log(`${label.padEnd(28)} ${ns.toFixed(1)} ns per lookup (${sink} hits)`);
  return ns;
}

time('warm-up', (n) => table.resolve(n, 'chat.completions').ok);
const base = time('Map.get (baseline)', (n) => plain.get(n));
const routed = time('RoutingSnapshot.resolve', (n) => table.resolve(n, 'chat.completions').ok);
console.log(`table of ${remotes.length * 50 + 2} routes built in ${buildMs.toFixed(1)} ms; resolve = ${(routed / base).toFixed(1)} × Map.get, ${(routed / 1000).toFixed(3)} µs per request`);
