import { constants } from 'node:fs';
import { open, rename, type FileHandle } from 'node:fs/promises';
import { AppError } from '../../shared/errors';
import { BlockArena } from './block-arena';
import { createHasher, type Hasher } from './hasher';
import { PartialWriteError, type BlobTarget, type HashSpec, type HttpResponse, type Part } from './download-types';

/** At most this many pieces go into one `writev` (IOV_MAX is 1024 on Linux). */
const MAX_IOV = 1024;
/**
 * A write waits for this many bytes (or the end of the body, or {@link FLUSH_MS}): each `writev`
 * costs the event loop ~50 µs to dispatch through the thread pool, and TLS hands over a few 16 KiB
 * records at a time, so writing what each turn brought meant 12,000 writes per GiB.
 */
const MIN_BATCH = 256 * 1024;
const FLUSH_MS = 5;
/**
 * Writes in flight at once per body (positional, so they may finish in any order; the code allows
 * several). One: what arrives while a write runs goes out with the next, so writes grow with the
 * rate instead of waking another thread-pool thread per read. Three paid while the hash ran on the
 * event loop (batches then waited for it); with the hash thread, one used 1.36–1.43 CPU-s/GiB over
 * loopback against 1.62–1.65 with three, and ran the 1 GiB file 16–19 % faster (same machine, runs
 * alternated); HTTPS and the throttled link the same within noise.
 */
const WRITES_IN_FLIGHT = 1;
/**
 * Bytes that arrived ahead of the hash cursor (another connection's piece) are copied and kept, up to
 * this much for all downloads of the process together; past it they are only written, and hashed
 * later by reading them back (from the page cache: they were written moments before).
 */
const HOLD_LIMIT = 16 * 1024 * 1024;
const held = new BlockArena(HOLD_LIMIT);

/** Bytes received ahead of the hash cursor: a copy, or null when only the disk has them. */
interface Ahead {
  start: number;
  end: number;
  bytes: Buffer | null;
  /** gives the copy's room back */
  free: (() => void) | null;
}

/**
 * The one writer of a download, for one stream and for ranged pieces alike: each response body is
 * written at its part's offset with positional `writev` (short writes go on where they stopped),
 * `part.done` moves only past bytes on disk, and the content hash runs in file order as bytes arrive.
 * Bytes at the hash cursor are hashed straight from the socket's buffer; bytes of a piece ahead of
 * it wait as a copy within {@link HOLD_LIMIT}, else are read back once the cursor gets there. So
 * one stream never reads its file back, and the digest is known when the last byte lands.
 */
export class BlobWriter {
  private readonly hasher: Hasher;
  private hashed: number;
  /** ahead-of-cursor spans per part, in arrival (= file) order */
  private readonly ahead = new Map<Part, Ahead[]>();
  private cursorPart = 0;
  private catchingUp: Promise<void> | null = null;
  private readError: unknown = null;
  /** bytes hashed by reading them back from the file (a resume, or past the hold limit) */
  readBackBytes = 0;

  private constructor(
    private readonly path: string,
    private readonly file: FileHandle,
    private readonly spec: HashSpec,
    private readonly parts: Part[],
    private readonly holdLimit: number,
    hashing: 'thread' | 'inline',
  ) {
    this.hasher = createHasher(spec, hashing);
    this.hashed = 0;
  }

  /**
   * Opens (or creates) the data file of `parts` (in file order, covering the blob). Bytes a part
   * already has on disk are hashed from the file (a resume: the one time a file is read); a single
   * part's file is cut back to what that part says it holds. Tests: `holdLimit` 0 keeps no copies;
   * `hashing: 'inline'` hashes on the event loop instead of the hash thread.
   */
  static async open(path: string, spec: HashSpec, parts: Part[], signal: AbortSignal, options: { holdLimit?: number; hashing?: 'thread' | 'inline' } = {}): Promise<BlobWriter> {
    // Not O_APPEND: writes are positional, so a piece goes where it belongs.
    const file = await open(path, constants.O_RDWR | constants.O_CREAT);
    try {
      if (parts.length === 1) {
        const onDisk = (await file.stat()).size;
        if (onDisk !== parts[0]!.done) await file.truncate(parts[0]!.done);
      }
      const writer = new BlobWriter(path, file, spec, parts, options.holdLimit ?? HOLD_LIMIT, options.hashing ?? 'thread');
      for (const p of parts) if (p.done > 0) writer.ahead.set(p, [{ start: p.start, end: p.start + p.done, bytes: null, free: null }]);
      writer.pump();
      await writer.settled(signal);
      return writer;
    } catch (error) {
      await file.close();
      throw error;
    }
  }

  /**
   * Writes one response body into `run` (contiguous parts in file order; only the first may hold
   * bytes already), from the first part's `start + done` on, cut at the last part's `end`. Each
   * part's `done` moves as its bytes reach the disk, and `onWritten` is told of them. When the body
   * fails midway, what arrived is written before the promise rejects with the body's error; a disk
   * that refuses bytes rejects with a {@link PartialWriteError} and stops the body.
   */
  async take(res: HttpResponse, run: Part[], onWritten: (n: number) => void): Promise<void> {
    const written = (n: number) => {
      onWritten(n);
      this.pump(); // a span waiting to be read back may be on disk now
    };
    let index = 0;
    let writes = new PartWrites(this.file, run[0]!, written);
    const all = [writes];
    const end = run.at(-1)!.end;
    let received = run[0]!.start + run[0]!.done;
    const failed = () => all.find((w) => w.error)?.error ?? null;
    let failure: unknown = null;
    try {
      await res.read((bytes, release) => {
        if (received >= end || failed()) {
          release();
          if (failed()) res.discard(); // the disk failed: stop fetching
          return;
        }
        let rest = received + bytes.length > end ? bytes.subarray(0, end - received) : bytes;
        // the socket's buffer is free again once every piece of the chunk is written and hashed
        let holds = 1;
        const releaseShare = () => {
          if (--holds === 0) release();
        };
        for (;;) {
          const part = run[index]!;
          const piece = received + rest.length > part.end ? rest.subarray(0, part.end - received) : rest;
          holds += 2;
          this.see(piece, received, part, releaseShare);
          received += piece.length;
          writes.push(piece, releaseShare);
          rest = rest.subarray(piece.length);
          if (received === part.end && index < run.length - 1) {
            writes.end();
            writes = new PartWrites(this.file, run[++index]!, written);
            all.push(writes);
          }
          if (rest.length === 0) break;
        }
        releaseShare();
      });
    } catch (error) {
      failure = error;
    }
    await Promise.all(all.map((w) => w.drain()));
    const error = failed();
    if (error) throw new PartialWriteError(`cannot write ${this.path}: ${error.message}`, error.code ?? null);
    if (failure) throw failure;
  }

  /** Empties the file and the hash (a server ignored `Range` and sent the whole file); one part only. */
  async restart(): Promise<void> {
    await this.file.truncate(0);
    this.dropHeld();
    this.hasher.reset();
    this.hashed = 0;
    this.cursorPart = 0;
    this.parts[0]!.done = 0;
  }

  /**
   * The hex digest of the whole blob, once every part is done; then verifies it against the
   * target's hash and renames the data file to the blob. A mismatch runs `discard` (the partial
   * files go: their bytes are wrong) and fails with `checksum_mismatch`.
   */
  async verifyInto(target: BlobTarget, discard: () => Promise<void>, signal: AbortSignal): Promise<void> {
    this.pump();
    await this.settled(signal);
    const end = this.parts.at(-1)?.end ?? 0;
    if (this.hashed !== end) throw new Error(`hashed ${this.hashed} of ${end} bytes of ${this.path}`);
    const digest = await this.hasher.digest();
    await this.close();
    const expected = target.sha256 ?? target.gitOid;
    if (expected && digest !== expected) {
      await discard();
      throw new AppError(
        'checksum_mismatch',
        `${target.label} is corrupt: its ${target.sha256 ? 'sha256' : 'git sha1'} is ${digest}, the Hub says ${expected}. The partial file was deleted — retry the install.`,
      );
    }
    await rename(this.path, target.blobPath);
  }

  /** Closes the file and gives back the memory held for it. Safe to call twice. */
  async close(): Promise<void> {
    this.dropHeld();
    await this.catchingUp?.catch(() => {});
    this.hasher.close();
    await this.file.close().catch(() => {});
  }

  /**
   * Hashes bytes at the cursor (`done` runs once they are hashed), keeps (or leaves to the disk)
   * bytes ahead of it (`done` runs at once: the copy or the disk has them).
   */
  private see(bytes: Buffer, at: number, part: Part, done: () => void): void {
    if (at === this.hashed && !this.catchingUp) {
      this.hasher.update(bytes, done);
      this.hashed += bytes.length;
      this.pump();
      return;
    }
    done();
    let spans = this.ahead.get(part);
    if (!spans) this.ahead.set(part, (spans = []));
    const last = spans.at(-1);
    const kept = this.holdLimit > 0 ? held.copy(bytes) : null;
    if (kept) spans.push({ start: at, end: at + bytes.length, bytes: kept.copy, free: kept.free });
    else if (last && last.bytes === null && last.end === at) last.end += bytes.length;
    else spans.push({ start: at, end: at + bytes.length, bytes: null, free: null });
  }

  /** Moves the cursor over every span that is next in file order and available. */
  private pump(): void {
    while (!this.catchingUp) {
      while (this.cursorPart < this.parts.length && this.parts[this.cursorPart]!.end <= this.hashed) this.cursorPart++;
      const part = this.parts[this.cursorPart];
      const spans = part && this.ahead.get(part);
      const span = spans?.[0];
      if (!part || !spans || !span || span.start !== this.hashed) return;
      if (span.bytes) {
        spans.shift();
        this.hasher.update(span.bytes, span.free!);
        this.hashed = span.end;
        continue;
      }
      if (part.start + part.done < span.end) return; // still being written
      spans.shift();
      this.catchingUp = this.readBack(span.start, span.end).then(
        () => {
          this.catchingUp = null;
          this.pump();
        },
        (error: unknown) => {
          this.readError ??= error;
        },
      );
    }
  }

  private async readBack(from: number, to: number): Promise<void> {
    await this.hasher.fromFile(this.file, this.path, from, to);
    this.readBackBytes += to - from;
    this.hashed = to;
  }

  /** Waits until no read-back runs (the cursor has gone as far as the disk allows). */
  private async settled(signal: AbortSignal): Promise<void> {
    while (this.catchingUp && !this.readError) {
      signal.throwIfAborted();
      await Promise.race([this.catchingUp, new Promise((resolve) => setImmediate(resolve))]);
    }
    if (this.readError) throw this.readError;
  }

  private dropHeld(): void {
    for (const spans of this.ahead.values()) for (const s of spans) s.free?.();
    this.ahead.clear();
  }
}

/**
 * One body's writes: batches of what arrived go out with positional `writev`, up to
 * {@link WRITES_IN_FLIGHT} at once; `part.done` moves in file order over the ones that finished,
 * and each piece's buffer is released once written (which is what bounds memory per connection).
 */
class PartWrites {
  error: NodeJS.ErrnoException | null = null;
  private pending: Buffer[] = [];
  private releases: (() => void)[] = [];
  private queuedAt: number;
  private readonly inflight: { end: number; done: boolean }[] = [];
  private active = 0;
  private idle: (() => void)[] = [];
  private pendingBytes = 0;
  private ended = false;
  private flushTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly file: FileHandle,
    private readonly part: Part,
    private readonly onWritten: (n: number) => void,
  ) {
    this.queuedAt = part.start + part.done;
  }

  push(bytes: Buffer, release: () => void): void {
    this.pending.push(bytes);
    this.releases.push(release);
    this.pendingBytes += bytes.length;
    this.pump();
  }

  /** No more bytes will come: what is pending goes out now. */
  end(): void {
    this.ended = true;
    this.pump();
  }

  drain(): Promise<void> {
    this.end();
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /**
   * Starts writes while a slot is free and a batch is big enough (or the body ended); a smaller
   * batch waits {@link FLUSH_MS} for more, so a slow link still reaches the disk. The timer stays
   * set while a write runs: timing the wait from the write's end instead (no timer then) measured
   * 5–10 % slower over loopback, in four alternated runs.
   */
  private pump(): void {
    while (this.active < WRITES_IN_FLIGHT && this.pending.length > 0 && (this.pendingBytes >= MIN_BATCH || this.ended || this.error)) this.launch();
    if (this.pending.length > 0 && !this.flushTimer && !this.ended) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = null;
        while (this.active < WRITES_IN_FLIGHT && this.pending.length > 0) this.launch();
        this.pump();
      }, FLUSH_MS);
    }
  }

  private launch(): void {
    const batch = this.pending.splice(0, MAX_IOV);
    const releases = this.releases.splice(0, batch.length);
    let total = 0;
    for (const b of batch) total += b.length;
    this.pendingBytes -= total;
    const start = this.queuedAt;
    this.queuedAt += total;
    const rec = { end: this.queuedAt, done: false };
    this.inflight.push(rec);
    this.active += 1;
    const write = this.error ? Promise.reject(this.error) : writeFully(this.file, batch, start);
    void write
      .then(
        () => {
          rec.done = true;
          // only a prefix of finished writes counts: `done` never covers a hole
          let moved = 0;
          while (this.inflight[0]?.done) {
            const end = this.inflight.shift()!.end;
            moved += end - (this.part.start + this.part.done);
            this.part.done = end - this.part.start;
          }
          if (moved > 0) this.onWritten(moved);
        },
        (error: NodeJS.ErrnoException) => {
          this.error ??= error;
        },
      )
      .finally(() => {
        for (const release of releases) release();
        this.active -= 1;
        if (this.error) {
          for (const release of this.releases.splice(0)) release();
          this.pending = [];
          this.pendingBytes = 0;
        } else this.pump();
        if (this.active === 0) for (const w of this.idle.splice(0)) w();
      });
  }
}

/** `writev` until every byte is on disk: a short write goes on from where it stopped. */
export async function writeFully(file: FileHandle, buffers: Buffer[], position: number): Promise<void> {
  let rest = buffers;
  let at = position;
  for (;;) {
    let total = 0;
    for (const b of rest) total += b.length;
    if (total === 0) return;
    const n = (await file.writev(rest, at)).bytesWritten;
    if (n === 0) throw Object.assign(new Error('the disk accepted no bytes'), { code: 'EIO' });
    if (n === total) return;
    at += n;
    let skip = n;
    const next: Buffer[] = [];
    for (const b of rest) {
      if (skip >= b.length) skip -= b.length;
      else {
        next.push(skip > 0 ? b.subarray(skip) : b);
        skip = 0;
      }
    }
    rest = next;
  }
}

