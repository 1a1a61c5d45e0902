// OpenAI-compatible proxy overhead vs talking to the runtime directly (targets: p50 ≤ 1 ms, p99 ≤ 5 ms
// added at 32 concurrent streams; chunks never held back).
//   npx tsx bench/proxy.ts     (REQUESTS=150 BATCHES=12 BLOCKS=6 TOKEN_DELAY_MS=10 by default: ~100 tokens/s
//   per stream, what a fast GPU gives one request; TOKEN_DELAY_MS=2 is a stress test)
//
// Method. Upstream is the vLLM emulator as a real process (streaming chat SSE, 14 events per answer).
// One load generator in its own process sends identical requests straight to the runtime ("direct"),
// through a bare TCP relay in Switchyard's process ("relay": what an extra hop costs by itself, the floor
// for any proxy), through a minimal HTTP proxy on Node's HTTP server ("http": what any proxy written on
// it costs at least — parse the request, one upstream request, the runtime's chunked bytes passed through),
// through Switchyard to the runtime it supervises ("proxy": the loopback path), and through Switchyard to
// the same runtime registered as a remote OpenAI-dialect provider ("remote": routing by
// `bench/<model>`, governance, budgets, NetClient), over kept-alive connections opened before each phase
// on every hop, taking turns so drift (other work on the machine, GC) hits all sides alike. It speaks
// HTTP/1.1 on raw sockets with a minimal chunked-body parser, so its own CPU per stream stays small next
// to what it measures (Node's HTTP client cost about half of what the proxy does). Per request it times
// the first body bytes (the role-only opener: the proxy's cost on the way in and out), the first token
// and the end of the stream; an overhead is the difference of a percentile between two sides. Loads:
//   1 stream   one request at a time, sides taking turns every 10 requests
//   32 burst   32 requests sent at the same instant, then the next side (worst case: each request waits
//              for the proxy's work on the ones that arrived with it)
//   32 steady  32 streams kept in flight, starts spread over one stream's duration (closed loop), sides
//              taking turns block by block
// CPU of the three processes (client, Switchyard, emulator) is sampled per block and reported per stream,
// with how busy they kept the machine's cores: on a small machine they share the cores, and the proxy's
// CPU per request is what turns into queueing at 32 streams. Other work on the machine is not counted:
// compare runs only at a similar load average.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { availableParallelism, loadavg } from 'node:os';
import { startTestCore, type TestCore } from '../test/support/core';

const REQUESTS = Number(process.env.REQUESTS ?? 150);
const BATCHES = Number(process.env.BATCHES ?? 12);
const BLOCKS = Number(process.env.BLOCKS ?? 6);
const TOKEN_DELAY_MS = process.env.TOKEN_DELAY_MS ?? '10';
const MODEL = 'org/tiny';
const CLK_TCK = 100;

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

interface Timing {
  first: number;
  token: number;
  total: number;
  reads: number;
}
const SIDES = ['direct', 'relay', 'http', 'proxy', 'remote'] as const;
type Side = (typeof SIDES)[number];
interface Job {
  side: Side;
  /** concurrent streams */
  concurrency: number;
  /** requests per stream slot, back to back */
  each: number;
  /** spread the starts of the slots over this many ms (0: all at once) */
  spreadMs: number;
  maxTokens?: number;
}
interface JobResult {
  timings: Timing[];
  clientCpuMs: number;
  wallMs: number;
}

/**
 * The load generator (plain JS, own process). Raw keep-alive sockets per side; a request is one write,
 * a response is parsed just enough to time it: status line, headers, chunked or sized body.
 */
const CLIENT = String.raw`
const net = require('node:net');
const { performance } = require('node:perf_hooks');
const [urls, tokensJson, modelsJson] = process.argv.slice(1);
const tokens = JSON.parse(tokensJson);
const models = JSON.parse(modelsJson);
const targets = {}, idle = {};
for (const [side, url] of Object.entries(JSON.parse(urls))) { targets[side] = new URL(url); idle[side] = []; }
const requests = new Map();
function requestBytes(side, maxTokens) {
  const key = side + maxTokens;
  if (!requests.has(key)) {
    const body = JSON.stringify({ model: models[side], messages: [{ role: 'user', content: 'one two three four five six' }], stream: true, ...(maxTokens ? { max_tokens: maxTokens } : {}) });
    const u = targets[side];
    requests.set(key, Buffer.from('POST /v1/chat/completions HTTP/1.1\r\nHost: ' + u.host + '\r\nContent-Type: application/json\r\nAccept: text/event-stream\r\n' +
      'Authorization: Bearer ' + tokens[side] + '\r\nContent-Length: ' + Buffer.byteLength(body) + '\r\n\r\n' + body));
  }
  return requests.get(key);
}
function connect(side) {
  const pooled = idle[side].pop();
  if (pooled) {
    pooled.removeListener('close', pooled.unpool);
    return Promise.resolve({ s: pooled, reused: true });
  }
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: targets[side].hostname, port: Number(targets[side].port), noDelay: true }, () => {
      s.removeListener('error', reject);
      resolve({ s, reused: false });
    });
    s.once('error', reject);
  });
}
function release(side, s) {
  // a server may close an idle keep-alive connection (Node's default: after 5 s)
  s.unpool = () => idle[side].splice(idle[side].indexOf(s) >>> 0, 1);
  s.once('close', s.unpool);
  idle[side].push(s);
}
const CONTENT = Buffer.from('"content":"');
function hasToken(buf) {
  for (let i = buf.indexOf(CONTENT); i !== -1; i = buf.indexOf(CONTENT, i + 1)) if (buf[i + CONTENT.length] !== 0x22) return true;
  return false;
}
async function stream(side, maxTokens) {
  const { s, reused } = await connect(side);
  try {
    return await exchange(s, side, maxTokens);
  } catch (error) {
    // closed by the server just as it was reused: once more on a new connection
    if (reused && error.beforeAnswer) return exchange((await connect(side)).s, side, maxTokens);
    throw error;
  }
}
function exchange(s, side, maxTokens) {
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0), status = 0, chunked = false, left = -1, sizeLine = '', crlf = 0, finalChunk = false;
    let first = -1, tok = -1, reads = 0;
    const t0 = performance.now();
    const done = (error) => {
      s.removeListener('data', onData); s.removeListener('close', onClose); s.removeListener('error', onClose);
      if (error) { s.destroy(); error.beforeAnswer = status === 0 && head.length === 0; reject(error); return; }
      release(side, s);
      status === 200 ? resolve({ first, token: tok, total: performance.now() - t0, reads }) : reject(new Error(side + ': HTTP ' + status));
    };
    // body bytes: chunked framing (size line, data, CRLF; a 0 chunk and CRLF end it) or Content-Length
    const body = (buf, at) => {
      if (at >= buf.length) return false;
      const now = performance.now();
      if (first < 0) first = now - t0;
      if (tok < 0 && hasToken(buf.subarray(at))) tok = now - t0;
      reads++;
      if (!chunked) { left -= buf.length - at; return left <= 0; }
      let i = at;
      while (i < buf.length) {
        if (crlf > 0) { const n = Math.min(crlf, buf.length - i); crlf -= n; i += n; if (crlf === 0 && finalChunk) return true; continue; }
        if (left > 0) { const n = Math.min(left, buf.length - i); left -= n; i += n; if (left === 0) crlf = 2; continue; }
        const nl = buf.indexOf(10, i);
        if (nl === -1) { sizeLine += buf.latin1Slice(i, buf.length); break; }
        sizeLine += buf.latin1Slice(i, nl); i = nl + 1;
        left = parseInt(sizeLine.trim(), 16); sizeLine = '';
        if (left === 0) { finalChunk = true; crlf = 2; }
      }
      return false;
    };
    const onData = (buf) => {
      if (status === 0) {
        head = head.length ? Buffer.concat([head, buf]) : buf;
        const end = head.indexOf('\r\n\r\n');
        if (end === -1) return;
        const text = head.latin1Slice(0, end).toLowerCase();
        status = Number(text.slice(9, 12));
        chunked = text.includes('transfer-encoding: chunked');
        const cl = /content-length: *(\d+)/.exec(text);
        left = chunked ? 0 : cl ? Number(cl[1]) : 0;
        if (!chunked && left === 0) return done();
        if (body(head, end + 4)) done();
        return;
      }
      if (body(buf, 0)) done();
    };
    const onClose = () => done(new Error(side + ': connection closed mid-response'));
    s.on('data', onData); s.once('close', onClose); s.once('error', onClose);
    s.write(requestBytes(side, maxTokens));
  });
}
process.on('message', async ({ side, concurrency, each, spreadMs, maxTokens }) => {
  const timings = [];
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async (_, i) => {
    if (spreadMs > 0) await new Promise((r) => setTimeout(r, (i * spreadMs) / concurrency));
    for (let k = 0; k < each; k++) timings.push(await stream(side, maxTokens));
  }));
  const c = process.cpuUsage(c0);
  process.send({ timings, clientCpuMs: (c.user + c.system) / 1000, wallMs: performance.now() - t0 });
});
`;

/** CPU time (ms) of every process in a process group (the emulator), from /proc; NaN elsewhere. */
function groupCpuMs(pgid: number | null): number {
  if (pgid === null) return NaN;
  let ticks = 0;
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
        if (Number(f[2]) === pgid) ticks += Number(f[11]) + Number(f[12]); // pgrp, utime, stime
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    return NaN;
  }
  return (ticks * 1000) / CLK_TCK;
}

interface Phase {
  timings: Record<Side, Timing[]>;
  cpu: Record<Side, { client: number; core: number; emulator: number; wall: number; streams: number }>;
}

/** The floor of any extra hop: a bare TCP relay to the runtime in Switchyard's process (no HTTP, no JS per chunk). */
async function startRelay(target: URL): Promise<{ url: string; close: () => void }> {
  const server = net.createServer({ noDelay: true }, (client) => {
    const upstream = net.connect({ host: target.hostname, port: Number(target.port), noDelay: true });
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

/**
 * The floor of an HTTP proxy on Node: Node's HTTP server, the body parsed as JSON, one request on a
 * kept-alive raw socket to the runtime, its chunked bytes written through as they come. No routing,
 * governance, usage, timeouts or error handling: what Switchyard's proxy costs beyond this is its own.
 */
async function startMinimalHttpProxy(target: URL, authorization: string): Promise<{ url: string; close: () => void }> {
  const idle: net.Socket[] = [];
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c)).on('end', () => {
      const body = Buffer.concat(parts);
      JSON.parse(body.toString('utf8'));
      let up = idle.pop();
      while (up && (up.destroyed || !up.writable)) up = idle.pop();
      up ??= net.connect({ host: target.hostname, port: Number(target.port), noDelay: true }).on('close', function (this: net.Socket) {
        // the runtime closes idle kept-alive connections (and a broken one ends the answer)
        const i = idle.indexOf(this);
        if (i >= 0) idle.splice(i, 1);
        if (this.listenerCount('data') > 0) res.destroy();
      });
      up.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: ${target.host}\r\ncontent-type: application/json\r\naccept: text/event-stream\r\nauthorization: ${authorization}\r\ncontent-length: ${body.length}\r\n\r\n`);
      up.write(body);
      let head = true;
      const onData = (buf: Buffer) => {
        if (head) {
          head = false;
          res.writeHead(200, { 'content-type': 'text/event-stream', 'transfer-encoding': 'chunked' });
          res.flushHeaders();
          buf = buf.subarray(buf.indexOf('\r\n\r\n') + 4);
          if (buf.length === 0) return;
        }
        res.socket!.write(buf);
        if (buf.length >= 5 && buf.toString('latin1', buf.length - 5) === '0\r\n\r\n') {
          up!.off('data', onData);
          idle.push(up!);
          (res as { chunkedEncoding?: boolean }).chunkedEncoding = false; // the runtime's terminator went through
          res.end();
        }
      };
      up.on('data', onData);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      server.close();
      for (const s of idle) s.destroy();
    },
  };
}

const PROVIDER = 'bench';

/** The runtime again as a remote provider (OpenAI dialect), validated so its models are routes `bench/<model>`. */
async function registerProvider(t: TestCore, id: string, baseUrl: string, key: string): Promise<void> {
  const created = await t.call('POST', '/api/v1/remote-providers', { id, kind: 'openai', base_url: baseUrl, api_key: key });
  if (created.status >= 300) throw new Error(`registering the bench provider: ${created.status} ${JSON.stringify(created.body)}`);
  const v = await t.call<{ validation?: { ok: boolean; message: string } }>('POST', `/api/v1/remote-providers/${id}/validate`, {});
  if (!v.body.validation?.ok) throw new Error(`validating the bench provider: ${v.status} ${JSON.stringify(v.body)}`);
}

async function main() {
  const t = await startTestCore({ env: { EMU_START_DELAY_MS: '50', EMU_TOKEN_DELAY_MS: TOKEN_DELAY_MS, SWITCHYARD_OFFLINE: '0' }, seams: { usageFlushIntervalMs: 3_600_000 } });
  try {
    const info = await t.core.runtimes.activate('vllm', { model: MODEL });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const relay = await startRelay(new URL(info.base_url));
    const minimal = await startMinimalHttpProxy(new URL(info.base_url), t.core.runtimes.authHeaders('vllm').authorization ?? '');
    const proxyUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    const urls: Record<Side, string> = { direct: info.base_url, relay: relay.url, http: minimal.url, proxy: proxyUrl, remote: proxyUrl };
    // straight to vLLM (and through the bare relay) the client sends the runtime's per-start key, as Switchyard does
    const runtimeKey = t.core.runtimes.authHeaders('vllm').authorization?.slice('Bearer '.length) ?? t.token;
    const tokens: Record<Side, string> = { direct: runtimeKey, relay: runtimeKey, http: t.token, proxy: t.token, remote: t.token };
    // the remote path: the same runtime registered as an OpenAI-dialect provider, through the governed forwarder and NetClient
    await registerProvider(t, PROVIDER, `${info.base_url}/v1`, runtimeKey);
    const models: Record<Side, string> = { direct: MODEL, relay: MODEL, http: MODEL, proxy: MODEL, remote: `${PROVIDER}/${MODEL}` };
    const child = spawn(process.execPath, ['-e', CLIENT, JSON.stringify(urls), JSON.stringify(tokens), JSON.stringify(models)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const send = (job: Job) =>
      new Promise<JobResult>((resolve) => {
        child.once('message', (m) => resolve(m as JobResult));
        child.send(job);
      });
    const run = async (jobs: Job[]): Promise<Phase> => {
      // open (or re-open: servers drop idle keep-alive connections) as many connections as the phase uses, on every hop
      for (const side of SIDES) await send({ ...jobs[0]!, side, each: 1, spreadMs: 0 });
      const phase: Phase = {
        timings: { direct: [], relay: [], http: [], proxy: [], remote: [] },
        cpu: Object.fromEntries(SIDES.map((side) => [side, { client: 0, core: 0, emulator: 0, wall: 0, streams: 0 }])) as Phase['cpu'],
      };
      for (const job of jobs) {
        const e0 = groupCpuMs(info.pid); // (outside the core's CPU window: scanning /proc costs CPU here)
        const c0 = process.cpuUsage();
        const r = await send(job);
        const c = process.cpuUsage(c0);
        const cpu = phase.cpu[job.side];
        cpu.core += (c.user + c.system) / 1000;
        cpu.emulator += groupCpuMs(info.pid) - e0;
        cpu.client += r.clientCpuMs;
        cpu.wall += r.wallMs;
        cpu.streams += r.timings.length;
        phase.timings[job.side].push(...r.timings);
      }
      return phase;
    };
    /** `n` jobs per side, the sides taking turns, with the order rotated every round */
    const alternate = (n: number, job: Omit<Job, 'side'>): Job[] =>
      Array.from({ length: n }, (_, i) => SIDES.map((_s, k) => ({ ...job, side: SIDES[(i + k) % SIDES.length]! }))).flat();
    try {
      const warm = await run(alternate(3, { concurrency: 32, each: 2, spreadMs: 0 })); // JIT, 32 kept-alive connections per side and hop
      const streamMs = pct(warm.timings.direct.map((x) => x.total), 50);
      console.log(
        `proxy bench: vLLM emulator, ${TOKEN_DELAY_MS} ms/token (a stream ≈ ${streamMs.toFixed(0)} ms, 14 events), streaming chat; raw-socket client in its own process; ` +
          `${availableParallelism()} cores, load average ${loadavg()[0]!.toFixed(2)} at start. Deltas vs direct; "relay" is a bare TCP relay (the cost of an extra hop itself), "http" a minimal HTTP proxy on Node's HTTP server.`,
      );
      report('1 stream  ', await run(alternate(Math.ceil(REQUESTS / 10), { concurrency: 1, each: 10, spreadMs: 0 })));
      report('32 burst  ', await run(alternate(BATCHES, { concurrency: 32, each: 1, spreadMs: 0 })));
      const steady = await run(alternate(BLOCKS, { concurrency: 32, each: 6, spreadMs: streamMs }));
      report('32 steady ', steady);
      // Switchyard's CPU per stream split into per request and per event: the same load with 1-token answers (4 events instead of 14)
      const short = await run(alternate(BLOCKS, { concurrency: 32, each: 6, spreadMs: streamMs / 4, maxTokens: 1 }));
      const coreCost = (p: Phase, side: Side = 'proxy') => p.cpu[side].core / p.cpu[side].streams - p.cpu.direct.core / p.cpu.direct.streams;
      const perEvent = (coreCost(steady) - coreCost(short)) / 10;
      console.log(
        `Switchyard CPU per proxied stream (32 steady): ${coreCost(steady).toFixed(2)} ms with 14 events, ${coreCost(short).toFixed(2)} ms with 4 ` +
          `≈ ${(coreCost(short) - 4 * perEvent).toFixed(2)} ms per request + ${(perEvent * 1000).toFixed(0)} µs per event`,
      );
      const relayCost = coreCost(steady, 'relay');
      const httpCost = coreCost(steady, 'http');
      const ratios = (side: Side) =>
        `${coreCost(steady, side).toFixed(2)} ms (${(coreCost(steady, side) / relayCost).toFixed(2)} × the relay, ${(coreCost(steady, side) / httpCost).toFixed(2)} × the minimal HTTP proxy)`;
      console.log(
        `CPU per stream (32 steady, 14 events): bare TCP relay ${relayCost.toFixed(2)} ms, minimal HTTP proxy on Node ${httpCost.toFixed(2)} ms ` +
          `(${(httpCost / relayCost).toFixed(2)} × the relay), Switchyard loopback ${ratios('proxy')}, Switchyard remote path ${ratios('remote')}`,
      );
    } finally {
      child.kill();
      relay.close();
      minimal.close();
    }
  } finally {
    await t.close();
  }
}

function report(label: string, r: Phase) {
  const sign = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(2)}`;
  for (const metric of ['first', 'token', 'total'] as const) {
    const at = (side: Side, q: number) => pct(r.timings[side].map((x) => x[metric]), q);
    const row = (q: number) => `p${q} direct ${at('direct', q).toFixed(2)} ms, ${SIDES.slice(1).map((s) => `${s} ${sign(at(s, q) - at('direct', q))}`).join(', ')}`;
    const name = { first: 'first chunk ', token: 'first token ', total: 'whole stream' }[metric];
    console.log(`${label} ${name} (n=${r.timings.proxy.length}): ${row(50)} | ${row(99)}`);
  }
  const side = (s: Side) => {
    const c = r.cpu[s];
    const per = (v: number) => (v / c.streams).toFixed(2);
    const reads = r.timings[s].reduce((a, x) => a + x.reads, 0) / r.timings[s].length;
    const busy = ((c.client + c.core + c.emulator) / c.wall / availableParallelism()) * 100;
    return `${s} ${reads.toFixed(1)} reads, CPU client ${per(c.client)} + Switchyard ${per(c.core)} + emulator ${per(c.emulator)} ms (cores ${busy.toFixed(0)}% busy)`;
  };
  console.log(`${label} per stream: ${SIDES.map(side).join('; ')}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
