// OpenAI-compatible proxy overhead vs talking to the runtime directly (targets: p50 ≤ 1 ms, p99 ≤ 5 ms
// added at 32 concurrent streams; chunks never held back).
//   npx tsx bench/proxy.ts                 (REQUESTS=200 ROUNDS=12 TOKEN_DELAY_MS=10 by default: ~100 tokens/s per
//   stream, what a fast GPU gives one request; TOKEN_DELAY_MS=2 is a stress test — 16k chunks/s at 32 streams)
// Upstream: the vLLM emulator as a real process (streaming chat SSE). The same keep-alive HTTP client
// sends identical streaming requests straight to the runtime and through Switchyard, interleaved, and
// times the first chunk and the end of each stream.
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { startTestCore } from '../test/support/core';

const REQUESTS = Number(process.env.REQUESTS ?? 200);
const ROUNDS = Number(process.env.ROUNDS ?? 12);
const TOKEN_DELAY_MS = process.env.TOKEN_DELAY_MS ?? '10';
const MODEL = 'org/tiny';

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

interface Timing {
  first: number;
  total: number;
  chunks: number;
}

/**
 * The load generator runs in its own Node process (plain JS below), so its work does not queue behind
 * the proxy's on one event loop: the figures are what a separate client app would see.
 */
const CLIENT = String.raw`
const http = require('node:http');
const { performance } = require('node:perf_hooks');
const [direct, proxy, token, model] = process.argv.slice(1);
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
const body = JSON.stringify({ model, messages: [{ role: 'user', content: 'one two three four five six' }], stream: true });
function stream(base) {
  const url = new URL('/v1/chat/completions', base);
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let first = -1, chunks = 0;
    const req = http.request({ hostname: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: 'Bearer ' + token } }, (res) => {
      res.on('data', () => { if (first < 0) first = performance.now() - t0; chunks++; });
      res.on('end', () => res.statusCode === 200 ? resolve({ first, total: performance.now() - t0, chunks }) : reject(new Error('HTTP ' + res.statusCode)));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
process.on('message', async ({ concurrency, batches, only }) => {
  const out = { direct: [], proxy: [] };
  for (let b = 0; b < batches; b++) {
    // alternate which side goes first so drift (CPU contention, GC) hits both equally
    const order = only ? [only] : b % 2 ? ['proxy', 'direct'] : ['direct', 'proxy'];
    for (const side of order) {
      const base = side === 'direct' ? direct : proxy;
      out[side].push(...(await Promise.all(Array.from({ length: concurrency }, () => stream(base)))));
    }
  }
  process.send(out);
});
`;

function startClient(direct: string, proxy: string, token: string) {
  const child = spawn(process.execPath, ['-e', CLIENT, direct, proxy, token, MODEL], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return {
    measure: (concurrency: number, batches: number, only?: 'direct' | 'proxy') =>
      new Promise<{ direct: Timing[]; proxy: Timing[] }>((resolve) => {
        child.once('message', (m) => resolve(m as { direct: Timing[]; proxy: Timing[] }));
        child.send({ concurrency, batches, only });
      }),
    close: () => child.kill(),
  };
}

function report(label: string, r: { direct: Timing[]; proxy: Timing[] }) {
  for (const metric of ['first', 'total'] as const) {
    const d = r.direct.map((x) => x[metric]);
    const p = r.proxy.map((x) => x[metric]);
    const row = (q: number) => {
      const a = pct(d, q);
      const b = pct(p, q);
      return `p${q} direct ${a.toFixed(2)} ms, proxy ${b.toFixed(2)} ms, delta ${(b - a).toFixed(2)} ms, ratio ${(b / a).toFixed(3)}`;
    };
    console.log(`${label} ${metric === 'first' ? 'first chunk' : 'whole stream'} (n=${d.length}): ${row(50)} | ${row(99)}`);
  }
  const dc = r.direct.reduce((a, x) => a + x.chunks, 0) / r.direct.length;
  const pc = r.proxy.reduce((a, x) => a + x.chunks, 0) / r.proxy.length;
  console.log(`${label} read() calls per stream: direct ${dc.toFixed(1)}, proxy ${pc.toFixed(1)} (equal counts = chunks are not coalesced or held back)`);
}

async function main() {
  const t = await startTestCore({ env: { EMU_START_DELAY_MS: '50', EMU_TOKEN_DELAY_MS: TOKEN_DELAY_MS }, seams: { usageFlushIntervalMs: 3_600_000 } });
  try {
    const info = await t.core.runtimes.activate('vllm', { model: MODEL });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const proxy = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    const direct = info.base_url;
    const client = startClient(direct, proxy, t.token);
    try {
      await client.measure(32, 3); // warm-up: JIT, 32 kept-alive sockets on each side
      console.log(`proxy bench: vLLM emulator, ${TOKEN_DELAY_MS} ms/token, streaming chat, client in its own process`);
      report('1 stream  ', await client.measure(1, REQUESTS));
      report('32 streams', await client.measure(32, ROUNDS));
      // Switchyard's own CPU per proxied stream: a proxy-only run minus a direct-only run (the core also
      // does work for direct requests, e.g. following the runtime's access log)
      const cpuOf = async (only: 'direct' | 'proxy') => {
        const c0 = process.cpuUsage();
        const r = await client.measure(32, ROUNDS, only);
        const c = process.cpuUsage(c0);
        return (c.user + c.system) / 1000 / r[only].length;
      };
      const direct1 = await cpuOf('direct');
      const proxied = await cpuOf('proxy');
      console.log(`Switchyard CPU per stream: direct ${direct1.toFixed(3)} ms, proxied ${proxied.toFixed(3)} ms → proxy cost ${(proxied - direct1).toFixed(3)} ms of CPU per stream`);
    } finally {
      client.close();
    }
  } finally {
    await t.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
