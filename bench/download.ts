// HF-style download throughput: our resumable downloader (sha256 verified while streaming) vs curl
// of the same file from the same loopback server, plus peak RSS growth and bytes re-fetched after a
// dropped connection.
//   npx tsx bench/download.ts                    (SIZE_MIB=1024 by default, ROUNDS=2)
// Targets (DESIGN.md §6): throughput ≥ 0.9 × curl; RSS growth ≤ 64 MiB; re-fetch after a drop ≤ 1 %.
// The server runs in its own process so it does not compete with the downloader for our event loop.
import { spawn, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, rmSync, writeSync, closeSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downloadBlob } from '../src/main/hub/downloader';

const MiB = 1024 * 1024;
const sizeMiB = Number(process.env.SIZE_MIB ?? 1024);
const rounds = Number(process.env.ROUNDS ?? 2);

const SERVER = `
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
const file = process.argv[2];
const size = statSync(file).size;
let served = 0;
let dropNext = 0;
const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/stats') { res.end(JSON.stringify({ served })); return; }
  if (url.pathname === '/reset') { served = 0; dropNext = Number(url.searchParams.get('drop') ?? 0); res.end('ok'); return; }
  let start = 0;
  const m = /bytes=(\\d+)-/.exec(req.headers.range ?? '');
  if (m) start = Number(m[1]);
  const headers = { 'accept-ranges': 'bytes', 'content-length': size - start, etag: '"x"' };
  if (m) { res.writeHead(206, { ...headers, 'content-range': 'bytes ' + start + '-' + (size - 1) + '/' + size }); } else res.writeHead(200, headers);
  const drop = dropNext; dropNext = 0;
  const stream = createReadStream(file, { start, highWaterMark: 1024 * 1024 });
  let sent = 0;
  stream.on('data', (chunk) => {
    if (drop && sent + chunk.length >= drop) {
      const part = chunk.subarray(0, drop - sent);
      served += part.length; sent += part.length;
      stream.destroy();
      res.write(part, () => res.socket.end());
      return;
    }
    served += chunk.length; sent += chunk.length;
    if (!res.write(chunk)) { stream.pause(); res.once('drain', () => stream.resume()); }
  });
  stream.on('end', () => res.end());
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-dl-'));
  try {
    const src = join(dir, 'source.bin');
    process.stdout.write(`writing ${sizeMiB} MiB test file… `);
    const hash = createHash('sha256');
    const fd = openSync(src, 'w');
    const block = randomBytes(MiB);
    for (let i = 0; i < sizeMiB; i++) {
      block.writeUInt32LE(i, 0); // every MiB differs, so a misplaced range would fail the hash
      hash.update(block);
      writeSync(fd, block);
    }
    closeSync(fd);
    const sha256 = hash.digest('hex');
    const size = statSync(src).size;
    console.log('done');

    const serverFile = join(dir, 'server.mjs');
    writeFileSync(serverFile, SERVER);
    const server = spawn(process.execPath, [serverFile, src], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<number>((resolve) => server.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
    const base = `http://127.0.0.1:${port}`;

    try {
      const curlRates: number[] = [];
      const ourRates: number[] = [];
      let rssGrowth = 0;
      for (let r = 0; r < rounds; r++) {
        const out = join(dir, `curl-${r}.bin`);
        let t0 = performance.now();
        execFileSync('curl', ['-s', '-o', out, `${base}/file`]);
        curlRates.push(size / ((performance.now() - t0) / 1000));
        rmSync(out);

        const blob = join(dir, `blobs-${r}`, sha256);
        global.gc?.();
        const rss0 = process.memoryUsage().rss;
        let peak = rss0;
        const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
        t0 = performance.now();
        await downloadBlob(
          { url: `${base}/file`, blobPath: blob, size, sha256, gitOid: null, label: 'bench' },
          { signal: new AbortController().signal, maxRetries: 3, retryBaseMs: 50, onBytes: () => {} },
        );
        ourRates.push(size / ((performance.now() - t0) / 1000));
        clearInterval(sampler);
        peak = Math.max(peak, process.memoryUsage().rss);
        rssGrowth = Math.max(rssGrowth, peak - rss0);
        rmSync(join(dir, `blobs-${r}`), { recursive: true });
      }

      // dropped connection halfway: how much is fetched twice?
      await fetch(`${base}/reset?drop=${Math.floor(size / 2)}`).then((res) => res.text());
      const blob = join(dir, 'blobs-drop', sha256);
      await downloadBlob(
        { url: `${base}/file`, blobPath: blob, size, sha256, gitOid: null, label: 'bench' },
        { signal: new AbortController().signal, maxRetries: 3, retryBaseMs: 50, onBytes: () => {} },
      );
      const { served } = (await (await fetch(`${base}/stats`)).json()) as { served: number };
      const refetched = served - size;

      const best = (xs: number[]) => Math.max(...xs);
      const ratio = best(ourRates) / best(curlRates);
      console.log(`file: ${sizeMiB} MiB, rounds: ${rounds} (best of each)`);
      console.log(`curl:        ${(best(curlRates) / MiB).toFixed(0)} MiB/s`);
      console.log(`switchyard:  ${(best(ourRates) / MiB).toFixed(0)} MiB/s (sha256 verified while streaming)`);
      console.log(`ratio:       ${ratio.toFixed(2)} × curl   (target ≥ 0.90) ${ratio >= 0.9 ? 'OK' : 'MISS'}`);
      console.log(`RSS growth:  ${(rssGrowth / MiB).toFixed(1)} MiB   (target ≤ 64) ${rssGrowth <= 64 * MiB ? 'OK' : 'MISS'}`);
      console.log(`re-fetched after a drop at 50 %: ${refetched} bytes = ${((refetched / size) * 100).toFixed(3)} %   (target ≤ 1 %) ${refetched <= size / 100 ? 'OK' : 'MISS'}`);
    } finally {
      server.kill();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
