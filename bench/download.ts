// Download throughput, measured in one run: a sharded repo (4 × SHARD_MIB, 256 by default) and one
// big file (BIG_MIB, 1024), fetched by Switchyard (resolve + snapshot download + sha256 + cache
// links, the install's path without the SQLite bookkeeping), by curl (the same files: shards as
// parallel transfers, the big file as one stream) and by huggingface_hub's `hf download` where it
// can be installed (HF_CLI=path, else a venv made from the wheels in /opt/pypi/files, else skipped).
// Two links: loopback, and a throttled one (a relay adding RTT_MS and capping each connection at
// LINK_MIBS MiB/s), where parallel ranges matter.
//   npx tsx bench/download.ts            (SHARD_MIB=256 BIG_MIB=1024 RTT_MS=40 LINK_MIBS=40 ROUNDS=1)
// Goals (issue 12): ≥ 0.9 × curl over loopback, ≥ 3 × `hf download`, faster than curl's single
// stream on the throttled link. The fake hub and the relay run in their own processes.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { HubClient } from '../src/main/hub/hub-client';
import { downloadSnapshot } from '../src/main/hub/snapshot-download';
import { NetClient } from '../src/main/net/net-client';

const MiB = 1024 * 1024;
const shardMiB = Number(process.env.SHARD_MIB ?? 256);
const bigMiB = Number(process.env.BIG_MIB ?? 1024);
const rttMs = Number(process.env.RTT_MS ?? 40);
const linkMiBs = Number(process.env.LINK_MIBS ?? 40);
const rounds = Number(process.env.ROUNDS ?? 1);
const parts = Number(process.env.PARTS ?? 4);
const ROOT = resolve(import.meta.dirname, '..');

const HUB = `
import { startFakeHub } from ${JSON.stringify(join(ROOT, 'test/fixtures/hub/server.mjs'))};
const shard = ${shardMiB} * 1024 * 1024, big = ${bigMiB} * 1024 * 1024;
const files = (n) => Object.fromEntries(Array.from({ length: n }, (_, i) => ['model-0000' + (i + 1) + '-of-0000' + n + '.safetensors', { size: shard }]));
const hub = await startFakeHub({ port: 0, repos: {
  'bench/sharded': { files: { 'config.json': '{"architectures":["LlamaForCausalLM"]}', ...files(4) } },
  'bench/big': { files: { 'config.json': '{"architectures":["LlamaForCausalLM"]}', 'model.safetensors': { size: big } } },
} });
process.on('message', (knobs) => void hub.setKnobs(knobs).then(() => process.send('ok')));
process.send(hub.port);
`;

// A link emulator: each connection's bytes towards the client are paced at RATE and arrive RTT/2
// late; requests arrive RTT/2 late. So a new connection or a redirect costs round trips, as on a WAN.
const RELAY = `
import { createServer, connect } from 'node:net';
const [listenPort, target, rate, rtt] = process.argv.slice(-4).map(Number);
/** Delivers chunks to \`to\` in order, each no earlier than its time (one timer: order kept). */
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
}

type Tool = 'switchyard' | 'switchyard-undici' | 'curl' | 'hf';

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-dl-'));
  const children: ChildProcess[] = [];
  try {
    console.log(`cores ${cpus().length}, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}; shards 4 × ${shardMiB} MiB, big ${bigMiB} MiB; throttled: ${linkMiBs} MiB/s per connection, RTT ${rttMs} ms`);
    process.stdout.write('starting the fake hub (hashing its files)… ');
    const hub = spawnNode(HUB, [], {});
    children.push(hub);
    const hubPort = (await message(hub)) as number;
    const relay = spawnNode(RELAY, ['0', String(hubPort), String(linkMiBs * MiB), String(rttMs)], {});
    children.push(relay);
    const relayPort = (await message(relay)) as number;
    console.log('ready');
    const hf = findHf(dir);
    if (!hf.bin) console.log(`hf download: skipped (${hf.why})`);

    // the CDN is another host name, as on the real Hub (hf follows only relative redirects on HEAD)
    const links: Link[] = [
      { name: 'loopback', endpoint: `http://127.0.0.1:${hubPort}`, cdnUrl: `http://localhost:${hubPort}` },
      { name: 'throttled', endpoint: `http://127.0.0.1:${relayPort}`, cdnUrl: `http://localhost:${relayPort}` },
    ];
    const results: Record<string, Record<string, number[]>> = {};
    const rss: number[] = [];
    for (const link of links) {
      await send(hub, { cdnUrl: link.cdnUrl });
      for (const repo of ['bench/sharded', 'bench/big']) {
        const key = `${link.name} ${repo}`;
        results[key] = { switchyard: [], 'switchyard-undici': [], curl: [], hf: [] };
        // side by side on loopback: the pooled-buffer socket client (direct downloads) and undici for everything
        const tools: Tool[] = ['curl', 'switchyard', ...(link.name === 'loopback' ? (['switchyard-undici'] as Tool[]) : []), ...(hf.bin ? (['hf'] as Tool[]) : [])];
        for (let r = 0; r < rounds; r++) {
          // who goes first alternates; each run starts from a settled page cache
          for (const tool of r % 2 === 0 ? tools : [...tools].reverse()) {
            execFileSync('sync');
            const out = join(dir, `${tool}-${r}`);
            const t0 = performance.now();
            if (tool === 'switchyard' || tool === 'switchyard-undici') rss.push(await runSwitchyard(link, repo, out, tool === 'switchyard' ? 'sockets' : 'undici'));
            else if (tool === 'curl') await runCurl(link, repo, out);
            else await runHf(hf.bin!, link, repo, out);
            const seconds = (performance.now() - t0) / 1000;
            results[key]![tool]!.push(seconds);
            rmSync(out, { recursive: true, force: true });
            console.log(`  ${key.padEnd(28)} ${tool.padEnd(17)} ${seconds.toFixed(2)} s  ${(totalBytes(repo) / MiB / seconds).toFixed(0)} MiB/s`);
          }
        }
      }
    }

    console.log('\nbest of each; ratio = their time / Switchyard time (> 1: Switchyard faster)');
    const best = (xs: number[]) => Math.min(...xs);
    for (const [key, r] of Object.entries(results)) {
      const sy = best(r.switchyard!);
      const vsCurl = best(r.curl!) / sy;
      const goalCurl = key.startsWith('loopback') ? 0.9 : key.endsWith('big') ? 1.0 : null;
      const line = [`${key.padEnd(28)} switchyard ${(totalBytes(key.split(' ')[1]!) / MiB / sy).toFixed(0)} MiB/s`, `vs curl ${vsCurl.toFixed(2)} ×${goalCurl !== null ? ` (goal ≥ ${goalCurl.toFixed(1)}${goalCurl === 1 ? ', i.e. faster' : ''}) ${vsCurl >= goalCurl ? 'OK' : 'MISS'}` : ''}`];
      if (r['switchyard-undici']!.length) line.push(`undici for downloads ${(best(r['switchyard-undici']!) / sy).toFixed(2)} × the socket client's time`);
      if (r.hf!.length) {
        const vsHf = best(r.hf!) / sy;
        line.push(`vs hf download ${vsHf.toFixed(2)} × (goal ≥ 3) ${vsHf >= 3 ? 'OK' : 'MISS'}`);
      }
      console.log(line.join(';  '));
    }
    console.log(`Switchyard peak RSS growth during a download: ${(Math.max(...rss) / MiB).toFixed(0)} MiB (${parts} connections per large file, 4 files at a time)`);
    console.log(`load after: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  } finally {
    for (const c of children) c.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

function totalBytes(repo: string): number {
  return (repo === 'bench/sharded' ? 4 * shardMiB : bigMiB) * MiB;
}

function fileNames(repo: string): string[] {
  return repo === 'bench/sharded' ? [1, 2, 3, 4].map((i) => `model-0000${i}-of-00004.safetensors`) : ['model.safetensors'];
}

async function runSwitchyard(link: Link, repo: string, cacheDir: string, downloads: 'sockets' | 'undici'): Promise<number> {
  const net = new NetClient({ downloads });
  const hub = new HubClient({ endpoint: () => link.endpoint, token: () => null, net });
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  try {
    const resolved = await hub.resolve(repo, 'main');
    await downloadSnapshot({
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
      signal: new AbortController().signal,
      onBytes: () => {},
      onFileVerified: () => {},
    });
  } finally {
    clearInterval(sampler);
    await net.close();
  }
  return Math.max(peak, process.memoryUsage().rss) - rss0;
}

function runCurl(link: Link, repo: string, out: string): Promise<void> {
  const args = ['-sS', '-f', '-L', '--create-dirs', '--parallel', '--parallel-max', '4'];
  for (const f of fileNames(repo)) args.push('-o', join(out, f), `${link.endpoint}/${repo}/resolve/main/${f}`);
  return run('curl', args, {});
}

function runHf(bin: string, link: Link, repo: string, out: string): Promise<void> {
  return run(bin, ['download', repo, '--cache-dir', out, '--quiet'], { HF_ENDPOINT: link.endpoint, HF_HUB_DISABLE_TELEMETRY: '1', HF_HUB_DISABLE_PROGRESS_BARS: '1', HF_HUB_DISABLE_XET: '1' });
}

/** `hf` from HF_CLI, else a venv from the local wheel mirror (no network), made once per run. */
function findHf(dir: string): { bin: string | null; why: string } {
  if (process.env.HF_CLI) return { bin: process.env.HF_CLI, why: '' };
  const wheels = '/opt/pypi/files';
  if (!existsSync(wheels)) return { bin: null, why: `no wheels at ${wheels}; set HF_CLI` };
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

function run(bin: string, args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolveRun() : reject(new Error(`${bin} exited ${code}: ${err.slice(-500)}`))));
  });
}

function spawnNode(source: string, args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--input-type=module', '-e', source, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, ...env } });
}

function message(child: ChildProcess): Promise<unknown> {
  return new Promise((resolveMessage, reject) => {
    child.once('message', resolveMessage);
    child.once('exit', (code) => reject(new Error(`helper exited ${code}`)));
  });
}

async function send(child: ChildProcess, value: unknown): Promise<void> {
  const reply = message(child);
  child.send(value as object);
  await reply;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
