import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeHub, type FakeHub } from '../../../test/fixtures/hub/server.mjs';
import { waitFor } from '../../../test/support/wait';
import { NetClient } from '../net/net-client';
import { bytesAlreadyFetched, downloadBlob, type BlobTarget } from './downloader';

let hub: FakeHub;
let dir: string;
beforeAll(async () => {
  hub = await startFakeHub();
});
const net = new NetClient();
afterAll(async () => {
  await hub.close();
  await net.close();
});
afterEach(async () => {
  rmSync(dir, { recursive: true, force: true });
  await hub.setKnobs({ dropAfterBytes: null, corruptOffset: null, bytesPerSec: null });
  hub.resetStats();
});

const PATH = 'model-00002-of-00002.safetensors';
function target(): BlobTarget {
  dir = mkdtempSync(join(tmpdir(), 'dl-test-'));
  const f = hub.repo('org/tiny-model')!.files.get(PATH)!;
  return { url: `${hub.url}/org/tiny-model/resolve/main/${PATH}`, blobPath: join(dir, 'blobs', f.sha256!), size: f.size, sha256: f.sha256, gitOid: null, label: PATH };
}
const opts = (onBytes: (n: number) => void = () => {}) => ({ get: net.get, signal: new AbortController().signal, maxRetries: 3, retryBaseMs: 5, onBytes });

describe('downloadBlob', () => {
  it('resumes an existing .incomplete file: hashes it first, fetches only the rest', async () => {
    const t = target();
    const data = hub.repo('org/tiny-model')!.files.get(PATH)!.data;
    mkdirSync(join(dir, 'blobs'));
    writeFileSync(`${t.blobPath}.incomplete`, data.subarray(0, 700_000));
    let reported = 0;
    const result = await downloadBlob(t, opts((n) => (reported += n)));
    expect(result).toMatchObject({ resumedFrom: 700_000, fetched: t.size - 700_000, skipped: false });
    expect(reported).toBe(t.size);
    expect(hub.stats.bytesByFile[`org/tiny-model/${PATH}`]).toBe(t.size - 700_000);
    expect(createHash('sha256').update(readFileSync(t.blobPath)).digest('hex')).toBe(t.sha256);
    expect(existsSync(`${t.blobPath}.incomplete`)).toBe(false);
    // an existing final blob is not fetched again
    expect((await downloadBlob(t, opts())).skipped).toBe(true);
  });

  it('discards a partial file whose bytes do not match and fails with checksum_mismatch', async () => {
    const t = target();
    mkdirSync(join(dir, 'blobs'));
    writeFileSync(`${t.blobPath}.incomplete`, Buffer.alloc(1000, 1));
    await expect(downloadBlob(t, opts())).rejects.toMatchObject({ code: 'checksum_mismatch' });
    expect(existsSync(`${t.blobPath}.incomplete`)).toBe(false);
    expect(existsSync(t.blobPath)).toBe(false);
  });

  it('survives several drops in one file', async () => {
    const t = target();
    await hub.setKnobs({ dropAfterBytes: 300_000, dropTimes: 3 });
    const result = await downloadBlob(t, opts());
    expect(result.fetched).toBe(t.size);
    expect(hub.stats.bytesByFile[`org/tiny-model/${PATH}`]).toBe(t.size);
  });

  it('starts over when a server ignores Range and answers 200', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dl-test-'));
    const body = Buffer.alloc(200_000, 7);
    const sha256 = createHash('sha256').update(body).digest('hex');
    const server: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-length': body.length });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const t: BlobTarget = { url: `http://127.0.0.1:${port}/x`, blobPath: join(dir, 'blobs', sha256), size: body.length, sha256, gitOid: null, label: 'x' };
      mkdirSync(join(dir, 'blobs'));
      writeFileSync(`${t.blobPath}.incomplete`, body.subarray(0, 50_000));
      let reported = 0;
      await downloadBlob(t, opts((n) => (reported += n)));
      expect(reported).toBe(body.length);
      expect(readFileSync(t.blobPath).equals(body)).toBe(true);
    } finally {
      server.close();
    }
  });

  it('stops at once when aborted, keeping the partial file', async () => {
    const t = target();
    await hub.setKnobs({ bytesPerSec: 500_000 });
    const controller = new AbortController();
    // Aborts once bytes are on disk (a timer could fire before the first byte on a loaded machine).
    const p = downloadBlob(t, { ...opts(() => controller.abort(new Error('stop'))), signal: controller.signal });
    await expect(p).rejects.toThrow('stop');
    expect(existsSync(`${t.blobPath}.incomplete`)).toBe(true);
    await hub.setKnobs({ bytesPerSec: null });
  });

  it('fails with insufficient_disk when the disk refuses the bytes, without retrying', async (ctx) => {
    if (!existsSync('/dev/full')) ctx.skip();
    const t = target();
    mkdirSync(join(dir, 'blobs'));
    symlinkSync('/dev/full', `${t.blobPath}.incomplete`); // every write: ENOSPC
    let retries = 0;
    await expect(downloadBlob(t, { ...opts(), onRetry: () => (retries += 1) })).rejects.toMatchObject({ code: 'insufficient_disk' });
    expect(retries).toBe(0);
    expect(existsSync(t.blobPath)).toBe(false);
  });

  describe('in parallel ranges', () => {
    const BIG = 'model-00001-of-00002.safetensors'; // 3 MiB
    function bigTarget(): BlobTarget {
      dir = mkdtempSync(join(tmpdir(), 'dl-test-'));
      const f = hub.repo('org/tiny-model')!.files.get(BIG)!;
      return { url: `${hub.url}/org/tiny-model/resolve/main/${BIG}`, blobPath: join(dir, 'blobs', f.sha256!), size: f.size, sha256: f.sha256, gitOid: null, label: BIG };
    }
    const parallel = { parts: 3, thresholdBytes: 1024 * 1024 };
    const leftovers = (t: BlobTarget) => readdirSync(dirname(t.blobPath)).filter((f) => f !== basename(t.blobPath));

    /** The Range requests the CDN got for BIG, as [from, to] pairs in file order. */
    const rangesOf = (): [number, number][] =>
      hub.stats.ranges
        .filter((r) => r.file === `org/tiny-model/${BIG}`)
        .map((r) => /^bytes=(\d+)-(\d+)$/.exec(r.range ?? '')!.slice(1).map(Number) as [number, number])
        .sort((a, b) => a[0] - b[0]);

    it('fetches a large file in ranged runs that cover it once, verifies it, and leaves only the blob', async () => {
      const t = bigTarget();
      let reported = 0;
      const result = await downloadBlob(t, { ...opts((n) => (reported += n)), parallel });
      expect(result).toMatchObject({ fetched: t.size, resumedFrom: 0, skipped: false });
      expect(reported).toBe(t.size);
      // runs of whole 1 MiB pieces, back to back: every byte asked for exactly once
      const ranges = rangesOf();
      expect(ranges[0]![0]).toBe(0);
      for (let i = 1; i < ranges.length; i++) expect(ranges[i]![0]).toBe(ranges[i - 1]![1] + 1);
      expect(ranges.at(-1)![1]).toBe(t.size - 1);
      expect(ranges.every(([from]) => from % (1024 * 1024) === 0)).toBe(true);
      // the first run leaves work for the connections a probe may add (a third of the file)
      expect(ranges[0]).toEqual([0, 1024 * 1024 - 1]);
      expect(hub.stats.bytesByFile[`org/tiny-model/${BIG}`]).toBe(t.size);
      expect(createHash('sha256').update(readFileSync(t.blobPath)).digest('hex')).toBe(t.sha256);
      expect(leftovers(t)).toEqual([]);
    });

    it('a dropped run is resumed from the byte it stopped at', async () => {
      const t = bigTarget();
      await hub.setKnobs({ dropAfterBytes: 300_000, dropTimes: 2 });
      const result = await downloadBlob(t, { ...opts(), parallel });
      expect(result.fetched).toBe(t.size);
      expect(hub.stats.bytesByFile[`org/tiny-model/${BIG}`]).toBe(t.size);
      const resumed = rangesOf().filter(([from]) => from % (1024 * 1024) !== 0);
      expect(resumed.length).toBe(2);
      expect(createHash('sha256').update(readFileSync(t.blobPath)).digest('hex')).toBe(t.sha256);
    });

    it('after an abort, a new run asks each part only for what it lacks', async () => {
      const t = bigTarget();
      await hub.setKnobs({ bytesPerSec: 400_000 });
      const controller = new AbortController();
      let got = 0;
      const first = downloadBlob(t, { ...opts((n) => (got += n)), signal: controller.signal, parallel });
      await waitFor(() => got >= 600_000, 'some bytes of the parts');
      controller.abort(new Error('stop'));
      await expect(first).rejects.toThrow('stop');
      expect(leftovers(t).sort()).toEqual([`${basename(t.blobPath)}.ranges.incomplete`, `${basename(t.blobPath)}.ranges.json`]);
      await hub.setKnobs({ bytesPerSec: null });
      hub.resetStats();
      const onDisk = await bytesAlreadyFetched(t.blobPath);
      expect(onDisk).toBeGreaterThan(0);
      // even with parallel downloads turned off, a ranged download goes on as one
      const second = await downloadBlob(t, { ...opts(), parallel: { parts: 1, thresholdBytes: 1 } });
      expect(second.resumedFrom).toBe(onDisk);
      expect(second.resumedFrom + second.fetched).toBe(t.size);
      expect(hub.stats.bytesByFile[`org/tiny-model/${BIG}`]).toBe(second.fetched);
      expect(createHash('sha256').update(readFileSync(t.blobPath)).digest('hex')).toBe(t.sha256);
      expect(leftovers(t)).toEqual([]);
    });

    it('a corrupt byte fails with checksum_mismatch and deletes the partial data', async () => {
      const t = bigTarget();
      await hub.setKnobs({ corruptOffset: 2_500_000 });
      await expect(downloadBlob(t, { ...opts(), parallel })).rejects.toMatchObject({ code: 'checksum_mismatch' });
      expect(existsSync(t.blobPath)).toBe(false);
      expect(leftovers(t)).toEqual([]);
    });

    it('goes back through the Hub when the CDN URL it landed on stops working', async () => {
      dir = mkdtempSync(join(tmpdir(), 'dl-test-'));
      const body = Buffer.alloc(6 * 1024 * 1024);
      for (let i = 0; i < body.length; i += 4) body.writeUInt32LE(i, i);
      const sha256 = createHash('sha256').update(body).digest('hex');
      // each resolve hands out a new signed URL that works once, like an expiring CDN signature;
      // the first answer is cut short, so the retry finds its URL expired
      let generation = 0;
      const uses = new Map<number, number>();
      let resolves = 0;
      let cdnRequests = 0;
      const server: Server = createServer((req, res) => {
        if (req.url === '/resolve') {
          resolves += 1;
          generation += 1;
          res.writeHead(302, { location: `/cdn?sig=${generation}`, 'content-length': 0 }).end();
          return;
        }
        cdnRequests += 1;
        const sig = Number(new URL(req.url!, 'http://x').searchParams.get('sig'));
        uses.set(sig, (uses.get(sig) ?? 0) + 1);
        if (uses.get(sig)! > 1) {
          res.writeHead(403, { 'content-length': 7 }).end('expired');
          return;
        }
        const m = /bytes=(\d+)-(\d+)/.exec(req.headers.range ?? '')!;
        const [from, to] = [Number(m[1]), Number(m[2])];
        res.writeHead(206, { 'content-length': to - from + 1, 'content-range': `bytes ${from}-${to}/${body.length}` });
        if (cdnRequests === 1) {
          res.write(body.subarray(from, from + 100_000), () => res.socket?.destroy());
          return;
        }
        res.end(body.subarray(from, to + 1));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const t: BlobTarget = { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/resolve`, blobPath: join(dir, 'blobs', sha256), size: body.length, sha256, gitOid: null, label: 'x' };
        await downloadBlob(t, { ...opts(), parallel: { parts: 2, thresholdBytes: 1024 * 1024 } });
        expect(readFileSync(t.blobPath).equals(body)).toBe(true);
        expect(resolves).toBeGreaterThanOrEqual(2); // the Hub was asked again for a fresh URL
        expect(resolves).toBeLessThan(cdnRequests); // some requests went straight to the CDN URL
      } finally {
        server.close();
      }
    });

    it('adds connections while they raise the throughput, up to the setting, reusing them between runs', async () => {
      dir = mkdtempSync(join(tmpdir(), 'dl-test-'));
      const body = Buffer.alloc(12 * 1024 * 1024);
      for (let i = 0; i < body.length; i += 4) body.writeUInt32LE(i, i);
      const sha256 = createHash('sha256').update(body).digest('hex');
      // a link that caps each connection at 2 MiB/s, as a long RTT or a per-connection limit does
      const RATE = 2 * 1024 * 1024;
      let active = 0;
      let most = 0;
      let sockets = 0;
      let requests = 0;
      const server: Server = createServer((req, res) => {
        requests += 1;
        const m = /bytes=(\d+)-(\d+)/.exec(req.headers.range ?? '')!;
        const [from, to] = [Number(m[1]), Number(m[2]) + 1];
        active += 1;
        most = Math.max(most, active);
        res.writeHead(206, { 'content-length': to - from, 'content-range': `bytes ${from}-${to - 1}/${body.length}` });
        const t0 = Date.now();
        let at = from;
        const pace = () => {
          const due = from + ((Date.now() - t0) / 1000) * RATE;
          for (; at < to && at < due; at += 64 * 1024) res.write(body.subarray(at, Math.min(to, at + 64 * 1024)));
          if (at >= to) {
            active -= 1;
            res.end();
          } else setTimeout(pace, 10);
        };
        pace();
      });
      server.on('connection', () => (sockets += 1));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const t: BlobTarget = { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/f`, blobPath: join(dir, 'blobs', sha256), size: body.length, sha256, gitOid: null, label: 'f' };
        await downloadBlob(t, { ...opts(), parallel: { parts: 3, thresholdBytes: 1024 * 1024 } });
        expect(readFileSync(t.blobPath).equals(body)).toBe(true);
        expect(most).toBe(3);
        expect(requests).toBeLessThan(12); // 12 pieces: a request carried a run of several
        expect(sockets).toBeLessThan(requests); // connections carried several requests
      } finally {
        server.close();
      }
    });

    it('takes over the bytes of an earlier one-stream download as the start of part 1', async () => {
      const t = bigTarget();
      const data = hub.repo('org/tiny-model')!.files.get(BIG)!.data;
      mkdirSync(join(dir, 'blobs'));
      writeFileSync(`${t.blobPath}.incomplete`, data.subarray(0, 500_000));
      const result = await downloadBlob(t, { ...opts(), parallel });
      expect(result).toMatchObject({ resumedFrom: 500_000, fetched: t.size - 500_000 });
      expect(createHash('sha256').update(readFileSync(t.blobPath)).digest('hex')).toBe(t.sha256);
    });
  });
});
