// Download throughput, measured in one run: a sharded repo (4 × SHARD_MIB) and one big file (BIG_MIB),
// fetched by Switchyard (resolve + snapshot download + sha256 + cache links: the install's path without
// the SQLite bookkeeping), by curl (the same files: shards as 4 parallel transfers, the big file as one
// stream) and by huggingface_hub's `hf download` where it can be installed (HF_CLI=path, else a venv from
// the wheels in /opt/pypi/files, else skipped, saying why). Links (LINKS=loopback,https,throttled,resume):
// - loopback: plain HTTP to the fake Hub;
// - https: the fake Hub over TLS (a self-signed CA made for the run; curl gets it with --cacert);
// - throttled: a relay adding RTT_MS and capping each connection at LINK_MIBS MiB/s;
// - resume: the big file over loopback with the connection cut half way, then an install cancelled half
//   way and run again; counts the bytes the Hub served twice.
// Every row prints CPU seconds per GiB (user + system of the downloading process, and of the fake Hub)
// beside the ratio, and how many cores the two kept busy, so that a result on a loaded machine can
// still be judged; load averages are printed before and after. The summary adds the median ratio
// (ROUNDS ≥ 3), sha256's own CPU per GiB on one core, and off the throttled link the least time the
// download's and the Hub's CPU need on this machine's cores (over loopback both run on them).
// (RSS is sampled with memoryUsage.rss(): the full memoryUsage() walks the heap, ~1 % of the loop
// at 50 Hz.)
// Each link is warmed up first by one untimed Switchyard download of each repo (the fake Hub and
// Switchyard's code both run faster from the second time on); only then are the tools timed.
//   npx tsx bench/download.ts   (SHARD_MIB=256 BIG_MIB=1024 RTT_MS=40 LINK_MIBS=40 ROUNDS=1 PARTS=4; HF=0: no hf)
// Goals (issue 21): ≥ 0.9 × curl on loopback HTTP and HTTPS, ≥ 2 × hf; throttled ≥ 1.5 × curl and
// ≥ 3 × curl's single stream; ≤ 1 % of the bytes fetched twice on resume; RSS growth ≤ 64 MiB.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createHasher } from '../src/main/hub/hasher';
import { HubClient } from '../src/main/hub/hub-client';
import { downloadSnapshot } from '../src/main/hub/snapshot-download';
import { NetClient } from '../src/main/net/net-client';

const MiB = 1024 * 1024;
const size = process.env.SIZE_MIB ? Number(process.env.SIZE_MIB) : null;
const shardMiB = Number(process.env.SHARD_MIB ?? (size ? size / 4 : 256));
const bigMiB = Number(process.env.BIG_MIB ?? size ?? 1024);
const rttMs = Number(process.env.RTT_MS ?? 40);
const linkMiBs = Number(process.env.LINK_MIBS ?? 40);
const rounds = Number(process.env.ROUNDS ?? 1);
const parts = Number(process.env.PARTS ?? 4);
const linkNames = (process.env.LINKS ?? 'loopback,https,throttled,resume').split(',');
const ROOT = resolve(import.meta.dirname, '..');
const BIG_FILE = 'model.safetensors';

// The fake Hub in its own process, serving HTTPS itself as well (with a key and certificate): TLS
// ends in the Hub's own server, as on a CDN's edge, not in a relay in front of it, which doubled the
// server's CPU per GiB (1.55 against 0.9 CPU-s) — on 2 cores, CPU taken from the client measured.
const HUB = `
import { readFileSync } from 'node:fs';
import { startFakeHub } from ${JSON.stringify(join(ROOT, 'test/fixtures/hub/server.mjs'))};
const shard = ${shardMiB} * 1024 * 1024, big = ${bigMiB} * 1024 * 1024;
const files = (n) => Object.fromEntries(Array.from({ length: n }, (_, i) => ['model-0000' + (i + 1) + '-of-0000' + n + '.safetensors', { size: shard }]));
const [key, cert] = process.argv.slice(-2);
const hub = await startFakeHub({ port: 0, tls: { key: readFileSync(key), cert: readFileSync(cert) }, repos: {
  'bench/sharded': { files: { 'config.json': '{"architectures":["LlamaForCausalLM"]}', ...files(4) } },
  'bench/big': { files: { 'config.json': '{"architectures":["LlamaForCausalLM"]}', ${JSON.stringify(BIG_FILE)}: { size: big } } },
} });
process.send({ port: hub.port, tlsPort: hub.tlsPort });
process.on('message', ({ id, stats, cpu, knobs }) => {
  if (stats) return process.send({ id, reply: hub.stats.bytesByFile });
  if (cpu) {
    const c = process.cpuUsage();
    return process.send({ id, reply: (c.user + c.system) / 1e6 });
  }
  hub.resetStats();
  void hub.setKnobs(knobs).then(() => process.send({ id, reply: 'ok' }));
});
`;

// A link emulator: each connection's bytes towards the client are paced at RATE and arrive RTT/2
// late; requests arrive RTT/2 late. So a new connection or a redirect costs round trips, as on a WAN.
const RELAY = `
import { createServer, connect } from 'node:net';
const [listenPort, target, rate, rtt] = process.argv.slice(-4).map(Number);
function lane(to) {
  const q = [];
  let timer = null;
  const drain = () => {
    timer = null;
    const now = Date.now();
    while (q.length && q[0].at <= now) {
      const { chunk, end } = q.shift();
      if (end) to.end(); else to.write(chunk);
    }
    if (q.length) timer = setTimeout(drain, q[0].at - now);
  };
  return (item) => { q.push(item); if (!timer) timer = setTimeout(drain, Math.max(0, item.at - Date.now())); };
}
createServer((client) => {
  const up = connect(target, '127.0.0.1');
  const toUp = lane(up), toClient = lane(client);
  let nextAt = Date.now();
  client.on('data', (c) => toUp({ chunk: c, at: Date.now() + rtt / 2 }));
  client.on('end', () => toUp({ end: true, at: Date.now() + rtt / 2 }));
  up.on('data', (c) => {
    const now = Date.now();
    nextAt = Math.max(nextAt, now) + (c.length / rate) * 1000;
    toClient({ chunk: c, at: nextAt + rtt / 2 });
    up.pause();
    setTimeout(() => up.resume(), nextAt - now);
  });
  up.on('end', () => toClient({ end: true, at: Math.max(nextAt, Date.now()) + rtt / 2 }));
  up.on('error', () => client.destroy());
  client.on('error', () => up.destroy());
}).listen(listenPort, '127.0.0.1', function () { process.send(this.address().port); });
`;

interface Link {
  name: string;
  endpoint: string;
  cdnUrl: string;
  ca: string | null;
}
type Tool = 'switchyard' | 'switchyard-undici' | 'curl' | 'curl-1' | 'hf';
interface Run {
  seconds: number;
  cpu: number;
  /** the fake Hub's CPU seconds during the run */
  hubCpu?: number;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-dl-'));
  const children: ChildProcess[] = [];
  try {
    console.log(`cores ${cpus().length}, load ${load()}; shards 4 × ${shardMiB} MiB, big ${bigMiB} MiB; throttled: ${linkMiBs} MiB/s per connection, RTT ${rttMs} ms; up to ${parts} connections per file`);
    const sha = sha256CpuPerGiB();
    console.log(`sha256 on one core here: ${sha.toFixed(2)} CPU-s/GiB (Switchyard verifies every byte; curl does not)`);
    const tls = makeCerts(dir);
    process.stdout.write('starting the fake hub (hashing its files)… ');
    const hub = spawnNode(HUB, [tls.key, tls.cert]);
    children.push(hub);
    const ports = (await message(hub)) as { port: number; tlsPort: number };
    const relay = spawnNode(RELAY, ['0', String(ports.port), String(linkMiBs * MiB), String(rttMs)]);
    children.push(relay);
    const relayPort = (await message(relay)) as number;
    console.log('ready');
    const hf = linkNames.some((l) => l === 'loopback' || l === 'throttled') ? findHf(dir) : { bin: null, why: 'not needed' };
    if (!hf.bin) console.log(`hf download: skipped (${hf.why})`);

    // the CDN is another host name, as on the real Hub (hf follows only relative redirects on HEAD)
    const all: Link[] = [
      { name: 'loopback', endpoint: `http://127.0.0.1:${ports.port}`, cdnUrl: `http://localhost:${ports.port}`, ca: null },
      { name: 'https', endpoint: `https://127.0.0.1:${ports.tlsPort}`, cdnUrl: `https://localhost:${ports.tlsPort}`, ca: tls.ca },
      { name: 'throttled', endpoint: `http://127.0.0.1:${relayPort}`, cdnUrl: `http://localhost:${relayPort}`, ca: null },
    ];
    // The hash thread starts once per process, not per download: started here, its memory is
    // shown apart from the growth a download causes.
    const rssBefore = process.memoryUsage.rss();
    const hasher = createHasher({ algorithm: 'sha256', prefix: null });
    await new Promise<void>((done) => hasher.update(Buffer.from(new SharedArrayBuffer(MiB)), done));
    await hasher.digest();
    const threadRss = Math.max(0, process.memoryUsage.rss() - rssBefore);
    let firstRss = 0;
    // A warm-up pass, not timed: the fake Hub's first serving of a file costs it 4-5 × the CPU of
    // the later ones (2.0-2.4 against 0.4-0.6 CPU-s/GiB), which slowed whichever tool went first;
    // Switchyard's own code is compiled by then too, as in a desktop app that has run a while.
    for (const link of all.filter((l) => l.name !== 'throttled' && linkNames.includes(l.name))) {
      await send(hub, { knobs: { cdnUrl: link.cdnUrl } });
      for (const repo of (process.env.REPOS ?? 'bench/sharded,bench/big').split(',')) {
        const out = join(dir, 'warm-up');
        firstRss = Math.max(firstRss, (await runSwitchyard(link, repo, out)).rss);
        rmSync(out, { recursive: true, force: true });
      }
    }
    const results: Record<string, Partial<Record<Tool, Run[]>>> = {};
    const rss: Partial<Record<Tool, number>> = {};
    for (const link of all.filter((l) => linkNames.includes(l.name))) {
      await send(hub, { knobs: { cdnUrl: link.cdnUrl } });
      for (const repo of (process.env.REPOS ?? 'bench/sharded,bench/big').split(',')) {
        const key = `${link.name} ${repo}`;
        const row: Partial<Record<Tool, Run[]>> = (results[key] = {});
        const tools: Tool[] = ['curl', 'switchyard'];
        if (link.name === 'throttled' && repo === 'bench/big') tools.push('curl-1');
        // the case for the hand-written client: undici for the same downloads, side by side
        if (link.name !== 'throttled' && repo === 'bench/big') tools.push('switchyard-undici');
        if (hf.bin && link.name !== 'https') tools.push('hf');
        for (let r = 0; r < rounds; r++) {
          // who goes first alternates; each run starts from a settled page cache
          for (const tool of r % 2 === 0 ? tools : [...tools].reverse()) {
            execFileSync('sync');
            const out = join(dir, `${tool}-${r}`);
            const serverCpu = (await send(hub, { cpu: true })) as number;
            let run: Run;
            if (tool === 'switchyard' || tool === 'switchyard-undici') {
              const s = await runSwitchyard(link, repo, out, undefined, tool === 'switchyard' ? 'sockets' : 'undici');
              rss[tool] = Math.max(rss[tool] ?? 0, s.rss);
              run = s;
            } else if (tool === 'hf') run = await runHf(hf.bin!, link, repo, out);
            else run = await runCurl(link, repo, out, tool === 'curl-1' ? 1 : 4);
            const server = { seconds: run.seconds, cpu: ((await send(hub, { cpu: true })) as number) - serverCpu };
            (row[tool] ??= []).push({ ...run, hubCpu: server.cpu });
            rmSync(out, { recursive: true, force: true });
            // cores busy with the download and the Hub together: near the machine's count, the
            // CPU per GiB of the two, not the pipeline, sets the time
            const busy = (run.cpu + server.cpu) / run.seconds;
            console.log(`  ${key.padEnd(24)} ${tool.padEnd(11)} ${run.seconds.toFixed(2)} s  ${(totalBytes(repo) / MiB / run.seconds).toFixed(0)} MiB/s  ${cpuPerGiB(run, repo)} CPU-s/GiB (the Hub: ${cpuPerGiB(server, repo)}; ${busy.toFixed(2)} of ${cpus().length} cores busy)`);
          }
        }
      }
    }
    const resume = linkNames.includes('resume') ? await measureResume(hub, all[0]!, dir) : null;

    console.log(`\nbest of ${rounds}; ratio = their time / Switchyard's (> 1: Switchyard faster); CPU-s/GiB = user + system of the downloading process`);
    const best = (xs: Run[]) => xs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
    for (const [key, r] of Object.entries(results)) {
      const repo = key.split(' ')[1]!;
      const sy = best(r.switchyard!);
      if (!r.curl) continue;
      const curl = best(r.curl!);
      const throttled = key.startsWith('throttled');
      const goal = throttled ? 1.5 : 0.9;
      const vs = curl.seconds / sy.seconds;
      const line = [
        `${key.padEnd(24)} switchyard ${(totalBytes(repo) / MiB / sy.seconds).toFixed(0)} MiB/s, ${cpuPerGiB(sy, repo)} CPU-s/GiB`,
        `${vs.toFixed(2)} × curl${key.startsWith('https') ? ' --cacert' : ''} (${cpuPerGiB(curl, repo)} CPU-s/GiB; goal ≥ ${goal}) ${vs >= goal ? 'OK' : 'MISS'}`,
      ];
      if (rounds >= 3) line.push(`median ${(median(r.curl) / median(r.switchyard!)).toFixed(2)} ×`);
      if (!throttled && sy.hubCpu !== undefined) {
        // on loopback the Hub's CPU comes out of the same cores: the time both need at the least
        const floor = (sy.cpu + sy.hubCpu) / cpus().length;
        line.push(`its CPU and the Hub's over ${cpus().length} cores: ≥ ${floor.toFixed(2)} s (it took ${sy.seconds.toFixed(2)})`);
      }
      if (r['switchyard-undici']) {
        const u = best(r['switchyard-undici']);
        line.push(`undici instead: ${(u.seconds / sy.seconds).toFixed(2)} × the time, ${cpuPerGiB(u, repo)} CPU-s/GiB`);
      }
      if (r['curl-1']) {
        const single = best(r['curl-1']).seconds / sy.seconds;
        line.push(`${single.toFixed(2)} × curl's single stream (goal ≥ 3) ${single >= 3 ? 'OK' : 'MISS'}`);
      }
      if (r.hf) {
        const h = best(r.hf);
        const vsHf = h.seconds / sy.seconds;
        line.push(`${vsHf.toFixed(2)} × hf download (${cpuPerGiB(h, repo)} CPU-s/GiB; goal ≥ 2) ${vsHf >= 2 ? 'OK' : 'MISS'}`);
      } else if (!key.startsWith('https')) line.push(`hf download skipped (${hf.why})`);
      console.log(line.join(';  '));
    }
    if (resume) {
      for (const [what, twice] of Object.entries(resume)) {
        const share = (twice / (bigMiB * MiB)) * 100;
        console.log(`resume after ${what}: ${(twice / MiB).toFixed(2)} MiB fetched twice = ${share.toFixed(2)} % of the file (goal ≤ 1 %) ${share <= 1 ? 'OK' : 'MISS'}`);
      }
    }
    if (rss.switchyard !== undefined) {
      const peak = rss.switchyard / MiB;
      const undici = rss['switchyard-undici'] !== undefined ? ` (with undici for downloads: ${(rss['switchyard-undici'] / MiB).toFixed(0)} MiB)` : '';
      const first = Math.max(peak, firstRss / MiB);
      console.log(`peak RSS growth during a Switchyard download: ${first.toFixed(0)} MiB for the first ones in the process (the warm-up), ${peak.toFixed(0)} MiB later (goal ≤ 64) ${first <= 64 ? 'OK' : 'MISS'}${undici}; the hash thread, once per process: ${(threadRss / MiB).toFixed(0)} MiB`);
    }
    console.log(`load after: ${load()}`);
  } finally {
    for (const c of children) c.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: Run[]) => {
  const t = xs.map((x) => x.seconds).sort((a, b) => a - b);
  return t.length % 2 ? t[(t.length - 1) / 2]! : (t[t.length / 2 - 1]! + t[t.length / 2]!) / 2;
};

/** CPU seconds sha256 takes per GiB on one core (OpenSSL, as the hash thread runs it). */
function sha256CpuPerGiB(): number {
  const block = Buffer.alloc(4 * MiB, 7);
  const hash = createHash('sha256');
  hash.update(block); // first use
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < 64; i++) hash.update(block);
  hash.digest();
  const c = process.cpuUsage(cpu0);
  return (c.user + c.system) / 1e6 / (64 * 4 / 1024);
}

const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

function totalBytes(repo: string): number {
  return (repo === 'bench/sharded' ? 4 * shardMiB : bigMiB) * MiB;
}

function cpuPerGiB(run: Run, repo: string): string {
  return (run.cpu / (totalBytes(repo) / (1024 * MiB))).toFixed(2);
}

function fileNames(repo: string): string[] {
  return repo === 'bench/sharded' ? [1, 2, 3, 4].map((i) => `model-0000${i}-of-00004.safetensors`) : [BIG_FILE];
}

/** A CA and a server certificate for 127.0.0.1 and localhost, made with openssl for this run. */
function makeCerts(dir: string): { key: string; cert: string; ca: string } {
  const p = (f: string) => join(dir, f);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', p('ca.key'), '-out', p('ca.pem'), '-days', '2', '-subj', '/CN=switchyard bench CA');
  ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', p('srv.key'), '-out', p('srv.csr'), '-subj', '/CN=localhost');
  writeFileSync(p('san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  ssl('x509', '-req', '-in', p('srv.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p('srv.pem'), '-days', '2', '-extfile', p('san.ext'));
  return { key: p('srv.key'), cert: p('srv.pem'), ca: p('ca.pem') };
}

async function runSwitchyard(link: Link, repo: string, cacheDir: string, signal = new AbortController().signal, downloads: 'sockets' | 'undici' = 'sockets'): Promise<Run & { rss: number; fetched: number }> {
  const net = new NetClient({ ca: link.ca ? [readFileSync(link.ca, 'utf8')] : undefined, downloads });
  const hub = new HubClient({ endpoint: () => link.endpoint, token: () => null, net });
  global.gc?.();
  const rss0 = process.memoryUsage.rss();
  let peak = rss0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let progress = 0;
  let fetched: number | null = null;
  try {
    const resolved = await hub.resolve(repo, 'main');
    const result = await downloadSnapshot({
      cacheDir,
      repo,
      ref: 'main',
      commit: resolved.commit,
      files: resolved.files,
      fileUrl: (path) => hub.fileUrl(repo, resolved.commit, path),
      headers: hub.authHeaders(),
      get: hub.get,
      parallel: { parts, thresholdBytes: 64 * MiB },
      concurrency: 4,
      maxRetries: 3,
      retryBaseMs: 100,
      signal,
      onBytes: (n) => (progress += n),
      onFileVerified: () => {},
    });
    fetched = result.fetchedBytes;
  } catch (error) {
    if (!signal.aborted) throw error; // a cancel (the resume measurement) returns what it fetched
  } finally {
    clearInterval(sampler);
    await net.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  // cut short, every byte received was written (progress counts bytes on disk): that is what it fetched
  return { seconds, cpu: (cpu.user + cpu.system) / 1e6, rss: Math.max(peak, process.memoryUsage.rss()) - rss0, fetched: fetched ?? progress };
}

/**
 * Bytes fetched twice: once with the connection cut half way, once cancelled half way and run again.
 * Counted by the Hub (bytes it wrote to its sockets, so a cancel also counts what was still in the
 * kernel's socket buffers) and by Switchyard (bytes it received in both runs, less the file's size).
 */
async function measureResume(hub: ChildProcess, link: Link, dir: string): Promise<Record<string, number>> {
  const size = bigMiB * MiB;
  const served = async () => ((await send(hub, { stats: true })) as Record<string, number>)[`bench/big/${BIG_FILE}`] ?? 0;
  const out = join(dir, 'resume');
  await send(hub, { knobs: { cdnUrl: link.cdnUrl, dropAfterBytes: Math.floor(size / (2 * parts)), dropTimes: 1 } });
  await runSwitchyard(link, 'bench/big', out);
  const drop = (await served()) - size;
  rmSync(out, { recursive: true, force: true });

  await send(hub, { knobs: { dropAfterBytes: null } });
  const stop = new AbortController();
  let asking = false;
  const watcher = setInterval(() => {
    if (asking) return;
    asking = true;
    void served().then((n) => {
      asking = false;
      if (n > size / 2) stop.abort(new Error('cancelled'));
    });
  }, 20);
  const first = await runSwitchyard(link, 'bench/big', out, stop.signal);
  clearInterval(watcher);
  if (!stop.signal.aborted) throw new Error('the download ended before the cancel');
  const second = await runSwitchyard(link, 'bench/big', out);
  const cancel = (await served()) - size;
  rmSync(out, { recursive: true, force: true });
  return { 'a dropped connection (served by the Hub)': drop, 'a cancel and a new start (served by the Hub)': cancel, 'a cancel and a new start (received by Switchyard)': first.fetched + second.fetched - size };
}

/** curl under /usr/bin/time, for its CPU seconds: `parallel` 4 fetches the shards side by side. */
async function runCurl(link: Link, repo: string, out: string, parallel: number): Promise<Run> {
  const args = ['-sS', '-f', '-L', '--create-dirs', ...(parallel > 1 ? ['--parallel', '--parallel-max', String(parallel)] : []), ...(link.ca ? ['--cacert', link.ca] : [])];
  for (const f of fileNames(repo)) args.push('-o', join(out, f), `${link.endpoint}/${repo}/resolve/main/${f}`);
  return timed('curl', args, {}, out);
}

function runHf(bin: string, link: Link, repo: string, out: string): Promise<Run> {
  return timed(bin, ['download', repo, '--cache-dir', out, '--quiet'], { HF_ENDPOINT: link.endpoint, HF_HUB_DISABLE_TELEMETRY: '1', HF_HUB_DISABLE_PROGRESS_BARS: '1', HF_HUB_DISABLE_XET: '1' }, out);
}

/** `hf` from HF_CLI, else a venv from the local wheel mirror (no network), made once per run. */
function findHf(dir: string): { bin: string | null; why: string } {
  if (process.env.HF_CLI) return { bin: process.env.HF_CLI, why: '' };
  if (process.env.HF === '0') return { bin: null, why: 'HF=0' };
  const wheels = '/opt/pypi/files';
  if (!existsSync(wheels)) return { bin: null, why: `not installed, no wheels at ${wheels} and PyPI is out of reach; set HF_CLI` };
  try {
    const venv = join(dir, 'hf-venv');
    execFileSync('python3', ['-m', 'venv', venv], { stdio: 'ignore' });
    execFileSync(join(venv, 'bin', 'pip'), ['install', '-q', '--no-index', '--find-links', wheels, 'huggingface_hub'], { stdio: 'ignore' });
    const bin = join(venv, 'bin', 'hf');
    const version = execFileSync(bin, ['version'], { env: { ...process.env, NO_COLOR: '1' } }).toString();
    console.log(`hf download: huggingface_hub ${/version:\s*(\S+)/.exec(version)?.[1] ?? '?'} from ${wheels}`);
    return { bin, why: '' };
  } catch (error) {
    return { bin: null, why: `could not install huggingface_hub from ${wheels}: ${(error as Error).message.split('\n')[0]}` };
  }
}

function timed(bin: string, args: string[], env: Record<string, string>, out: string): Promise<Run> {
  const times = `${out}.time`;
  const t0 = performance.now();
  return new Promise((resolveRun, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%U %S', '-o', times, bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const seconds = (performance.now() - t0) / 1000;
      if (code !== 0) return reject(new Error(`${bin} exited ${code}: ${err.slice(-500)}`));
      const [user, system] = readFileSync(times, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
      rmSync(times, { force: true });
      resolveRun({ seconds, cpu: user! + system! });
    });
  });
}

function spawnNode(source: string, args: string[]): ChildProcess {
  return spawn(process.execPath, ['--input-type=module', '-e', source, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function message(child: ChildProcess): Promise<unknown> {
  return new Promise((resolveMessage, reject) => {
    const onExit = (code: number | null) => reject(new Error(`helper exited ${code}`));
    child.once('exit', onExit);
    child.once('message', (m) => {
      child.off('exit', onExit);
      resolveMessage(m);
    });
  });
}

let asked = 0;
/** Asks the hub process to set knobs (resetting its counters) or, with `stats`, for bytes served per file. */
function send(child: ChildProcess, request: { knobs: object } | { stats: true } | { cpu: true }): Promise<unknown> {
  const id = ++asked;
  return new Promise((resolveReply) => {
    const onMessage = (m: { id?: number; reply?: unknown }) => {
      if (m?.id !== id) return;
      child.off('message', onMessage);
      resolveReply(m.reply);
    };
    child.on('message', onMessage);
    child.send({ id, ...request });
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
