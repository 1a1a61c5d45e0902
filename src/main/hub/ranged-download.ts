import { readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { BlobWriter } from './blob-writer';
import { hashSpec } from './download-common';
import type { BlobDownloadOptions, BlobDownloadResult, BlobTarget, Part } from './download-types';
import { fetchPart, RangesIgnored, type Route } from './fetch-part';

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

interface RangedState {
  size: number;
  parts: Part[];
}

/** Pieces start on MiB boundaries; none smaller than this, none bigger than MAX_PIECE. */
const ALIGN = 1024 * 1024;
/**
 * Small enough that a connection ahead of the hash cursor holds at most a few pieces' worth, big
 * enough that one request per piece (a round trip on keep-alive) is a few % of its time on a WAN.
 */
const MAX_PIECE = 16 * 1024 * 1024;
/** Pieces per connection: the connections take pieces in file order, so the hash keeps up. */
const PIECES_PER_CONNECTION = 8;
/** Progress is saved this often while parts run (a crash re-fetches at most this much per part). */
const SAVE_EVERY_MS = 2_000;
/**
 * Parallelism follows the link: a download starts on one connection and, every window, adds one
 * more while the last one added raised throughput by at least GAIN of a connection's share. A fast
 * link (or a CPU-bound loopback) stays on one stream; a per-connection cap climbs to the setting.
 */
const WINDOW_MS = 300;
const GAIN = 0.5;
/**
 * Every ranged download of the process: a probe judges the total throughput, and one probes at a
 * time. Files fetched side by side share one link and one CPU, so a connection that only takes
 * another file's share does not count as a gain.
 */
const all = { bytes: 0, connections: 0, probing: null as object | null };

/**
 * Fetches one large blob in ranged pieces (hf_transfer / aria2c style) over up to `parts` keep-alive
 * connections: each connection takes the next piece in file order with a `Range` request, writing
 * through the one {@link BlobWriter} (which hashes in file order as bytes arrive), and progress per
 * piece is kept next to the data file so a restart asks only for what each lacks. After the first
 * piece, requests go straight to where the Hub's redirect led (the CDN); if that URL stops working,
 * back through the Hub. Returns null, having kept nothing, when the server ignores `Range`.
 */
export async function downloadRanges(target: BlobTarget, options: BlobDownloadOptions & { parts: number }): Promise<BlobDownloadResult | null> {
  const paths = rangedPaths(target.blobPath);
  const state = await loadOrCreate(target, paths, options.parts);
  const inner = new AbortController();
  const onAbort = () => inner.abort(options.signal.reason);
  options.signal.addEventListener('abort', onAbort, { once: true });
  let saving: Promise<void> = Promise.resolve();
  const save = () => (saving = saving.then(() => saveState(paths.state, state)).catch(() => {}));
  const timer = setInterval(save, SAVE_EVERY_MS);
  let writer: BlobWriter | null = null;
  try {
    writer = await BlobWriter.open(paths.data, hashSpec(target), state.parts, inner.signal);
    const resumedFrom = state.parts.reduce((n, p) => n + p.done, 0);
    if (resumedFrom > 0) options.onBytes(resumedFrom);
    const job = { target, writer, options, signal: inner.signal, openEnded: false, route: { landed: null } as Route, onBytes: options.onBytes };
    const run = new Connections(state.parts, options.parts, job, (error) => inner.abort(error));
    await run.done;
    clearInterval(timer);
    await save();
    await saving;
    if (options.signal.aborted) throw options.signal.reason;
    if (run.error instanceof RangesIgnored) {
      options.onBytes(-(resumedFrom + run.fetched));
      await writer.close();
      await discard(paths);
      return null;
    }
    if (run.error) throw run.error;
    await writer.verifyInto(target, async () => {
      await discard(paths);
      options.onBytes(-target.size);
    }, inner.signal);
    await unlink(paths.state).catch(() => {});
    return { fetched: run.fetched, resumedFrom, skipped: false };
  } finally {
    clearInterval(timer);
    options.signal.removeEventListener('abort', onAbort);
    await writer?.close();
  }
}

/** The connections of one ranged download, and how many there should be (see {@link WINDOW_MS}). */
class Connections {
  readonly done: Promise<void>;
  error: unknown = null;
  fetched = 0;
  private next = 0;
  private running = 0;
  private wanted = 1;
  private settle!: () => void;
  private readonly probe: ReturnType<typeof setInterval>;
  private lastBytes = 0;
  private lastAt = performance.now();
  /** throughput before the newest connection was added, and windows left before judging it */
  private baseline = 0;
  private before = 1;
  private judgeIn = 1;
  private grown = false;

  constructor(
    private readonly parts: Part[],
    private readonly max: number,
    private readonly job: Parameters<typeof fetchPart>[1],
    private readonly fail: (error: unknown) => void,
  ) {
    this.done = new Promise((resolve) => (this.settle = resolve));
    const onBytes = job.onBytes;
    job.onBytes = (n) => {
      this.fetched += n;
      all.bytes += n;
      onBytes(n);
    };
    this.probe = setInterval(() => this.adapt(), WINDOW_MS);
    this.launch();
    if (this.running === 0) this.finish(); // every piece was already on disk
  }

  private finish(): void {
    this.stopProbing();
    this.settle();
  }

  private stopProbing(): void {
    clearInterval(this.probe);
    if (all.probing === this) all.probing = null;
  }

  private launch(): void {
    while (this.running < this.wanted && this.hasWork()) {
      this.running += 1;
      all.connections += 1;
      void this.connection()
        .catch((error: unknown) => {
          this.error ??= error;
          this.fail(error);
        })
        .finally(() => {
          this.running -= 1;
          all.connections -= 1;
          // connections that stopped together for a lower count leave at least the count running
          this.launch();
          if (this.running === 0) this.finish();
        });
    }
  }

  private hasWork(): boolean {
    while (this.next < this.parts.length && this.parts[this.next]!.done === this.parts[this.next]!.end - this.parts[this.next]!.start) this.next++;
    return this.next < this.parts.length && !this.job.signal.aborted;
  }

  private async connection(): Promise<void> {
    // a connection beyond what is wanted now stops after its piece
    while (this.running <= this.wanted && this.hasWork()) await fetchPart(this.parts[this.next++]!, this.job);
  }

  private adapt(): void {
    const now = performance.now();
    const rate = (all.bytes - this.lastBytes) / (now - this.lastAt);
    this.lastBytes = all.bytes;
    this.lastAt = now;
    if (all.probing && all.probing !== this) return; // another download's probe: wait for our turn
    if (this.judgeIn-- > 0) return; // a new connection's handshake and ramp-up are not judged
    if (this.grown) {
      this.grown = false;
      all.probing = null;
      if (rate < this.baseline + (GAIN * this.baseline) / this.before) {
        this.wanted -= 1; // it did not pay: back to what was, and no more tries
        return this.stopProbing();
      }
    }
    if (this.wanted >= this.max || !this.hasWork()) return this.stopProbing();
    this.baseline = rate;
    this.before = Math.max(1, all.connections);
    this.wanted += 1;
    this.grown = true;
    this.judgeIn = 1;
    all.probing = this;
    this.launch();
  }
}

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
