import { createHash, type Hash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, readFile, rename, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { AppError, errorMessage } from '../../shared/errors';
import type { HttpResponse } from '../net/net-client';
import { backOff, diskError, fetchFollowing, hashSpec, RetryableError, statusError } from './download-common';
import type { BlobDownloadOptions, BlobDownloadResult, BlobTarget } from './downloader';
import { PartialWriteError, type HashSpec } from './partial-file';

/**
 * Where a ranged download keeps its bytes and its progress. Not `<blob>.incomplete`: that name
 * means "the first N bytes" to huggingface_hub, which resumes it with `Range: bytes=N-`; this file
 * has holes until every part is in. It still ends in `.incomplete`, so the repo reads as unfinished.
 */
export function rangedPaths(blobPath: string): { data: string; state: string } {
  return { data: `${blobPath}.ranges.incomplete`, state: `${blobPath}.ranges.json` };
}

/** Every file an unfinished download of this blob may have left (one stream or ranged). */
export function partialFilesOf(blobPath: string): string[] {
  const r = rangedPaths(blobPath);
  return [`${blobPath}.incomplete`, r.data, r.state, `${r.state}.tmp`];
}

/** Bytes an unfinished download of this blob already has on disk (one stream or ranged). */
export async function bytesAlreadyFetched(blobPath: string): Promise<number> {
  const single = (await stat(`${blobPath}.incomplete`).catch(() => null))?.size ?? 0;
  try {
    const saved = JSON.parse(await readFile(rangedPaths(blobPath).state, 'utf8')) as RangedState;
    if (validState(saved, saved.size)) return Math.max(single, saved.parts.reduce((n, p) => n + p.done, 0));
  } catch {
    // no ranged download
  }
  return single;
}

export async function hasRangedState(blobPath: string): Promise<boolean> {
  return (await stat(rangedPaths(blobPath).state).catch(() => null)) !== null;
}

interface Part {
  start: number;
  /** exclusive */
  end: number;
  /** bytes from `start` known to be on disk */
  done: number;
}

interface RangedState {
  size: number;
  parts: Part[];
}

/** Pieces start on MiB boundaries; none smaller than this, none bigger than MAX_PIECE. */
const ALIGN = 1024 * 1024;
const MAX_PIECE = 64 * 1024 * 1024;
/**
 * Pieces per connection: the connections take pieces in file order, so the bytes on disk stay
 * nearly contiguous and the in-order hash keeps up with them instead of reading most of the file
 * back after the last byte (which is what N equal parts would do).
 */
const PIECES_PER_CONNECTION = 8;
/** Progress is saved this often while parts run (a crash re-fetches at most this much per part). */
const SAVE_EVERY_MS = 2_000;
const HASH_READ_BYTES = 1024 * 1024;

/**
 * Fetches one large blob over N connections at once (hf_transfer / aria2c style): the file is cut
 * into pieces, each connection takes the next piece in file order with a `Range` request, and
 * progress per piece is kept next to the data file so a restart asks only for what each lacks.
 * After the first piece, requests go straight to where the Hub's redirect led (the CDN), without
 * a redirect per piece; if that URL stops working, back through the Hub. Each part writes its bytes at its own offset; one reader
 * hashes the file in order right behind the parts (reading back what is already in the page
 * cache), so the sha256 is known when the last byte lands and the blob enters the cache only if it
 * matches. Returns null, having kept nothing, when the server ignores `Range`.
 */
export async function downloadRanges(target: BlobTarget, options: BlobDownloadOptions & { parts: number }): Promise<BlobDownloadResult | null> {
  const paths = rangedPaths(target.blobPath);
  const state = await loadOrCreate(target, paths, options.parts);
  const file = await open(paths.data, constants.O_RDWR | constants.O_CREAT);
  const inner = new AbortController();
  const onAbort = () => inner.abort(options.signal.reason);
  options.signal.addEventListener('abort', onAbort, { once: true });
  const resumedFrom = state.parts.reduce((n, p) => n + p.done, 0);
  if (resumedFrom > 0) options.onBytes(resumedFrom);
  let fetched = 0;
  let noRanges = false;
  let saving: Promise<void> = Promise.resolve();
  const save = () => (saving = saving.then(() => saveState(paths.state, state)).catch(() => {}));
  const timer = setInterval(save, SAVE_EVERY_MS);
  const hasher = new InOrderHasher(file, target.size, hashSpec(target), () => contiguousEnd(state.parts), inner.signal);
  let firstError: unknown = null;
  const route: Route = { landed: null };
  let next = 0;
  const connection = async () => {
    for (let part = state.parts[next++]; part; part = state.parts[next++]) {
      if (inner.signal.aborted) return;
      if (part.done === part.end - part.start) continue;
      await fetchPart(part, target, file, route, { ...options, signal: inner.signal }, (n) => {
        fetched += n;
        options.onBytes(n);
        hasher.poke();
      });
    }
  };

  try {
    const hashing = hasher.run().catch((error) => {
      firstError ??= error;
      inner.abort(error);
    });
    await Promise.all(
      Array.from({ length: options.parts }, () =>
        connection().catch((error) => {
          if (error instanceof RangesIgnored) noRanges = true;
          firstError ??= error;
          inner.abort(error);
        }),
      ),
    );
    hasher.poke();
    await hashing;
    clearInterval(timer);
    await save();
    await saving;
    if (options.signal.aborted) throw options.signal.reason;
    if (noRanges) {
      options.onBytes(-(resumedFrom + fetched));
      await file.close();
      await discard(paths);
      return null;
    }
    if (firstError) throw firstError;

    const digest = hasher.digest();
    const expected = target.sha256 ?? target.gitOid;
    await file.close();
    if (expected && digest !== expected) {
      await discard(paths);
      options.onBytes(-target.size);
      throw new AppError(
        'checksum_mismatch',
        `${target.label} is corrupt: its ${target.sha256 ? 'sha256' : 'git sha1'} is ${digest}, the Hub says ${expected}. The partial file was deleted — retry the install.`,
      );
    }
    await rename(paths.data, target.blobPath);
    await unlink(paths.state).catch(() => {});
    return { fetched, resumedFrom, skipped: false };
  } finally {
    clearInterval(timer);
    options.signal.removeEventListener('abort', onAbort);
    await file.close().catch(() => {});
  }
}

class RangesIgnored extends Error {}

async function loadOrCreate(target: BlobTarget, paths: { data: string; state: string }, count: number): Promise<RangedState> {
  const dataSize = (await stat(paths.data).catch(() => null))?.size ?? null;
  try {
    const saved = JSON.parse(await readFile(paths.state, 'utf8')) as RangedState;
    if (dataSize !== null && validState(saved, target.size)) return saved;
  } catch {
    // no state, or a torn one: start over
  }
  const parts = split(target.size, count);
  // bytes of an earlier one-stream download are the start of the first part
  const single = `${target.blobPath}.incomplete`;
  const singleSize = (await stat(single).catch(() => null))?.size ?? 0;
  if (singleSize > 0 && singleSize <= target.size) {
    await rename(single, paths.data);
    parts[0]!.done = Math.min(singleSize, parts[0]!.end - parts[0]!.start);
  } else {
    await unlink(single).catch(() => {});
    await writeFile(paths.data, '');
  }
  const state = { size: target.size, parts };
  await saveState(paths.state, state);
  return state;
}

function validState(s: RangedState, size: number): boolean {
  if (!s || s.size !== size || !Array.isArray(s.parts) || s.parts.length === 0) return false;
  let at = 0;
  for (const p of s.parts) {
    if (p.start !== at || !(p.end > p.start) || !(p.done >= 0 && p.done <= p.end - p.start) || !Number.isInteger(p.done)) return false;
    at = p.end;
  }
  return at === size;
}

function split(size: number, connections: number): Part[] {
  const step = Math.min(MAX_PIECE, Math.max(ALIGN, Math.ceil(size / (connections * PIECES_PER_CONNECTION) / ALIGN) * ALIGN));
  const parts: Part[] = [];
  for (let start = 0; start < size; start += step) parts.push({ start, end: Math.min(size, start + step), done: 0 });
  return parts;
}

async function saveState(path: string, state: RangedState): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, JSON.stringify(state));
  await rename(tmp, path);
}

async function discard(paths: { data: string; state: string }): Promise<void> {
  await unlink(paths.data).catch(() => {});
  await unlink(paths.state).catch(() => {});
}

/** Where the bytes on disk stop being contiguous from 0. */
function contiguousEnd(parts: Part[]): number {
  let end = 0;
  for (const p of parts) {
    end = p.start + p.done;
    if (p.start + p.done < p.end) break;
  }
  return end;
}

/** Where the pieces are fetched from once the first request has followed the Hub's redirect. */
interface Route {
  landed: { url: string; headers: Record<string, string> } | null;
}

async function fetchPart(part: Part, target: BlobTarget, file: FileHandle, route: Route, options: BlobDownloadOptions, onBytes: (n: number) => void): Promise<void> {
  const { signal } = options;
  let failures = 0;
  while (part.done < part.end - part.start) {
    signal.throwIfAborted();
    const from = part.start + part.done;
    let taken = 0;
    const via = route.landed;
    try {
      const res = await fetchFollowing(via?.url ?? target.url, { from, to: part.end - 1 }, {
        ...options,
        headers: via?.headers ?? options.headers,
        landed: (url, headers) => (route.landed ??= { url, headers }),
      });
      if (via && res.status >= 400 && res.status < 500) {
        // a signed CDN URL that expired (or was revoked): ask the Hub again
        res.discard();
        if (route.landed === via) route.landed = null;
        throw new RetryableError(`HTTP ${res.status} from ${new URL(via.url).host}; asking the Hub again`);
      }
      if (res.status === 200) {
        res.discard();
        throw new RangesIgnored(`${new URL(target.url).host} ignored Range`);
      }
      if (res.status !== 206) {
        res.discard();
        throw statusError(res.status, res.header('x-error-code'), target);
      }
      const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.header('content-range') ?? '');
      if (!m || Number(m[1]) !== from || Number(m[2]) !== part.end - 1) {
        res.discard();
        throw new RetryableError(`asked bytes ${from}-${part.end - 1}, got Content-Range "${res.header('content-range')}"`);
      }
      try {
        await writeBody(res, file, part, rangedPaths(target.blobPath).data, (n) => {
          taken += n;
          onBytes(n);
        });
      } catch (error) {
        if (signal.aborted) throw signal.reason ?? error;
        if (error instanceof PartialWriteError) throw diskError(error, target);
        throw new RetryableError(`connection lost at byte ${part.start + part.done}: ${errorMessage(error)}`, { cause: error });
      }
      if (part.done < part.end - part.start) throw new RetryableError(`part ${part.start}- ended at ${part.start + part.done} of ${part.end}`);
    } catch (error) {
      failures = await backOff(error, failures, taken > 0, target, options, signal);
    }
  }
}

/**
 * Writes one part's body at its offset, one `writev` at a time with what arrived meanwhile; a
 * piece's buffer is released once written, which is what bounds memory per connection. `part.done`
 * moves only past bytes that are on disk, so the hasher and a resume never see a hole.
 */
async function writeBody(res: HttpResponse, file: FileHandle, part: Part, path: string, onBytes: (n: number) => void): Promise<void> {
  const limit = part.end - part.start;
  let pending: Buffer[] = [];
  let releases: (() => void)[] = [];
  let writing: Promise<void> | null = null;
  const failed: { error: NodeJS.ErrnoException | null } = { error: null };
  let queued = part.done;

  const pump = () => {
    if (writing || pending.length === 0 || failed.error) return;
    const batch = pending;
    const done = releases;
    pending = [];
    releases = [];
    let total = 0;
    for (const b of batch) total += b.length;
    const at = part.start + part.done;
    writing = writeFully(file, batch, at)
      .then(() => {
        part.done += total;
        onBytes(total);
      })
      .catch((error: NodeJS.ErrnoException) => {
        failed.error ??= error;
      })
      .finally(() => {
        for (const r of done) r();
        writing = null;
        pump();
      });
  };

  let failure: unknown = null;
  try {
    await res.read((bytes, release) => {
      if (failed.error || queued >= limit) {
        release();
        if (failed.error) res.discard();
        return;
      }
      const piece = queued + bytes.length > limit ? bytes.subarray(0, limit - queued) : bytes;
      queued += piece.length;
      pending.push(piece);
      releases.push(release);
      pump();
    });
  } catch (error) {
    failure = error;
  }
  while (writing || (pending.length > 0 && !failed.error)) {
    pump();
    await writing;
  }
  for (const r of releases.splice(0)) r();
  if (failed.error) throw new PartialWriteError(`cannot write ${path}: ${failed.error.message}`, failed.error.code ?? null);
  if (failure) throw failure;
}

async function writeFully(file: FileHandle, buffers: Buffer[], position: number): Promise<void> {
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

/** Hashes the file from byte 0 as far as the parts have made it contiguous, waiting for more. */
class InOrderHasher {
  private readonly hash: Hash;
  private hashed = 0;
  private wake: (() => void) | null = null;

  constructor(
    private readonly file: FileHandle,
    private readonly size: number,
    spec: HashSpec,
    private readonly available: () => number,
    private readonly signal: AbortSignal,
  ) {
    this.hash = createHash(spec.algorithm);
    if (spec.prefix) this.hash.update(spec.prefix);
  }

  poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  async run(): Promise<void> {
    const buf = Buffer.allocUnsafe(HASH_READ_BYTES);
    const onAbort = () => this.poke();
    this.signal.addEventListener('abort', onAbort, { once: true });
    try {
      await this.loop(buf);
    } finally {
      this.signal.removeEventListener('abort', onAbort);
    }
  }

  private async loop(buf: Buffer): Promise<void> {
    while (this.hashed < this.size) {
      if (this.signal.aborted) return;
      const until = this.available();
      if (until <= this.hashed) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      const n = Math.min(HASH_READ_BYTES, until - this.hashed);
      const { bytesRead } = await this.file.read(buf, 0, n, this.hashed);
      if (bytesRead === 0) throw new Error(`the partial file ends at ${this.hashed}, its parts say ${until}`);
      this.hash.update(buf.subarray(0, bytesRead));
      this.hashed += bytesRead;
    }
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}
