import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BlobWriter } from './blob-writer';
import type { BlobTarget, HttpResponse, Part } from './download-types';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A response whose body is `chunks`, each delivered with a release that is tracked. */
function body(chunks: Buffer[], unreleased: Set<number>): HttpResponse {
  return {
    status: 206,
    header: () => null,
    discard: () => {},
    read: async (onData) => {
      chunks.forEach((c, i) => {
        unreleased.add(i);
        onData(c, () => unreleased.delete(i));
      });
    },
  };
}

const MiB = 1024 * 1024;
function setup(sizes: number[]) {
  dir = mkdtempSync(join(tmpdir(), 'blob-writer-'));
  const data = randomBytes(sizes.reduce((a, b) => a + b, 0));
  const parts: Part[] = [];
  for (let at = 0, i = 0; i < sizes.length; at += sizes[i]!, i++) parts.push({ start: at, end: at + sizes[i]!, done: 0 });
  const sha256 = createHash('sha256').update(data).digest('hex');
  const target: BlobTarget = { url: 'http://x/', blobPath: join(dir, sha256), size: data.length, sha256, gitOid: null, label: 'x' };
  const chunksOf = (p: Part) => [data.subarray(p.start, p.start + 300_000), data.subarray(p.start + 300_000, p.end)];
  return { data, parts, target, chunksOf };
}

/** The bytes in shared memory, as the socket client's read buffers hold them (zero-copy to the hash thread). */
function shared(b: Buffer): Buffer {
  const s = Buffer.from(new SharedArrayBuffer(b.length));
  b.copy(s);
  return s;
}

/** Body pieces not yet released; `idle()` resolves once none is (the hash thread releases later). */
class Held extends Set<number> {
  private waiters: (() => void)[] = [];
  override delete(i: number): boolean {
    const had = super.delete(i);
    if (this.size === 0) for (const wake of this.waiters.splice(0)) wake();
    return had;
  }
  idle(): Promise<void> {
    return this.size === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
}

describe.each([
  ['on the hash thread', 'thread' as const],
  ['on the event loop', 'inline' as const],
])('BlobWriter, hashing %s', (_name, hashing) => {
  it('hashes pieces that arrive out of order from memory, without reading the file back', async () => {
    const { data, parts, target, chunksOf } = setup([MiB, MiB, MiB]);
    const w = await BlobWriter.open(`${target.blobPath}.ranges.incomplete`, { algorithm: 'sha256', prefix: null }, parts, new AbortController().signal, { hashing });
    const unreleased = new Held();
    let written = 0;
    // the last piece first, then the middle one, then the one at the cursor
    for (const i of [2, 1, 0]) await w.take(body(chunksOf(parts[i]!).map(shared), unreleased), [parts[i]!], (n) => (written += n));
    await unreleased.idle(); // every buffer goes back to the connection once written and hashed
    expect(written).toBe(data.length);
    expect(parts.map((p) => p.done)).toEqual([MiB, MiB, MiB]);
    await w.verifyInto(target, async () => {}, new AbortController().signal);
    expect(w.readBackBytes).toBe(0);
    expect(readFileSync(target.blobPath).equals(data)).toBe(true);
  });

  it('past its memory bound, hashes the pieces ahead by reading them back once the cursor gets there', async () => {
    const { data, parts, target, chunksOf } = setup([MiB, 2 * MiB, MiB]);
    const w = await BlobWriter.open(`${target.blobPath}.ranges.incomplete`, { algorithm: 'sha256', prefix: null }, parts, new AbortController().signal, { holdLimit: 0, hashing });
    for (const i of [1, 2, 0]) await w.take(body(chunksOf(parts[i]!), new Set()), [parts[i]!], () => {});
    await w.verifyInto(target, async () => {}, new AbortController().signal);
    expect(w.readBackBytes).toBe(3 * MiB);
    expect(readFileSync(target.blobPath).equals(data)).toBe(true);
  });

  it('a resume hashes what the parts already hold from disk, then goes on from memory', async () => {
    const { data, parts, target } = setup([MiB, MiB]);
    const path = `${target.blobPath}.ranges.incomplete`;
    writeFileSync(path, data.subarray(0, 2 * MiB));
    parts[0]!.done = 500_000;
    parts[1]!.done = MiB; // the second part is complete, the first is not
    const w = await BlobWriter.open(path, { algorithm: 'sha256', prefix: null }, parts, new AbortController().signal, { hashing });
    await w.take(body([data.subarray(500_000, MiB)], new Set()), [parts[0]!], () => {});
    expect(parts[0]!.done).toBe(MiB);
    await w.verifyInto(target, async () => {}, new AbortController().signal);
    expect(w.readBackBytes).toBe(500_000 + MiB);
    expect(readFileSync(target.blobPath).equals(data)).toBe(true);
  });

  it('a wrong digest runs the discard and fails with checksum_mismatch', async () => {
    const { parts, target, chunksOf } = setup([MiB]);
    const path = `${target.blobPath}.incomplete`;
    const w = await BlobWriter.open(path, { algorithm: 'sha256', prefix: null }, parts, new AbortController().signal, { hashing });
    const chunks = chunksOf(parts[0]!).map((c) => Buffer.from(c));
    chunks[1]![5]! ^= 0xff;
    await w.take(body(chunks, new Set()), [parts[0]!], () => {});
    let discarded = false;
    await expect(w.verifyInto(target, async () => void (discarded = true), new AbortController().signal)).rejects.toMatchObject({ code: 'checksum_mismatch' });
    expect(discarded).toBe(true);
  });

  it('one body over a run of parts: a chunk across a boundary is split, each part done as its bytes land', async () => {
    const { data, parts, target } = setup([MiB, MiB, MiB]);
    const w = await BlobWriter.open(`${target.blobPath}.ranges.incomplete`, { algorithm: 'sha256', prefix: null }, parts, new AbortController().signal, { hashing });
    const unreleased = new Held();
    const cuts = [0, 700_000, MiB + 300_000, 2 * MiB + 1, 3 * MiB];
    const chunks = cuts.slice(1).map((end, i) => shared(data.subarray(cuts[i]!, end)));
    let written = 0;
    await w.take(body(chunks, unreleased), parts, (n) => (written += n));
    expect(written).toBe(3 * MiB);
    expect(parts.map((p) => p.done)).toEqual([MiB, MiB, MiB]);
    await unreleased.idle(); // a chunk split in two goes back once both halves are written and hashed
    await w.verifyInto(target, async () => {}, new AbortController().signal);
    expect(w.readBackBytes).toBe(0);
    expect(readFileSync(target.blobPath).equals(data)).toBe(true);
  });

  it('a slow link: a few KiB reach the disk (and `done`) while the body is still open', async () => {
    const { data, parts, target } = setup([MiB]);
    const w = await BlobWriter.open(`${target.blobPath}.incomplete`, { algorithm: 'sha256', prefix: null }, parts, new AbortController().signal, { hashing });
    let more!: (rest: Buffer) => void;
    let onWritten!: () => void;
    const firstWritten = new Promise<void>((resolve) => (onWritten = resolve));
    const trickle: HttpResponse = {
      status: 206,
      header: () => null,
      discard: () => {},
      read: async (onData) => {
        onData(shared(data.subarray(0, 10_000)), () => {});
        // the rest comes only once the first 10 kB are on disk: far below a write batch
        onData(await new Promise<Buffer>((resolve) => (more = resolve)), () => {});
      },
    };
    let written = 0;
    const taking = w.take(trickle, parts, (n) => {
      written += n;
      onWritten();
    });
    await firstWritten;
    expect(written).toBe(10_000);
    expect(parts[0]!.done).toBe(10_000);
    more(shared(data.subarray(10_000)));
    await taking;
    await w.verifyInto(target, async () => {}, new AbortController().signal);
    expect(readFileSync(target.blobPath).equals(data)).toBe(true);
  });
});
