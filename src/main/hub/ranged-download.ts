import { readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { BlobWriter } from './blob-writer';
import { hashSpec } from './download-common';
import type { BlobDownloadOptions, BlobDownloadResult, BlobTarget, Part } from './download-types';
import { fetchRun, RangesIgnored, type PartJob, type Route } from './fetch-run';
import { link, type LinkMember } from './link-share';

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
 * A piece is the unit of progress (saved per piece, resumed per piece) and of what a connection
 * claims: small enough that connections taking pieces in file order stay near the hash cursor.
 */
const MAX_PIECE = 16 * 1024 * 1024;
const PIECES_PER_CONNECTION = 8;
/**
 * A connection asks for a run of contiguous pieces in one request, about this long at the rate one
 * connection gets: each request costs a round trip with the pipe empty (7 ms on a loopback TLS hop,
 * an RTT on a WAN), which per 16 MiB piece cost 13 % over loopback TLS and 8 % on a 40 ms link.
 * Before the first rate is known, runs are {@link FIRST_RUN} long at most.
 */
const RUN_SECONDS = 2;
const FIRST_RUN = 64 * 1024 * 1024;
/** Progress is saved this often while parts run (a crash re-fetches at most this much per part). */
const SAVE_EVERY_MS = 2_000;

/**
 * Fetches one large blob in ranged pieces (hf_transfer / aria2c style) over as many keep-alive
 * connections as pay off (see {@link LinkShare}), up to `parts`: each connection claims the next run
 * of pieces in file order with one `Range` request, writing through the one {@link BlobWriter} (which
 * hashes in file order as bytes arrive), and progress per piece is kept next to the data file so a
 * restart asks only for what each lacks. After the first request, requests go straight to where the
 * Hub's redirect led (the CDN); if that URL stops working, back through the Hub. Returns null, having
 * kept nothing, when the server ignores `Range`.
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

/**
 * The connections of one ranged download: as many as its share of the {@link link}, each claiming
 * the next run of pieces in file order. A connection beyond the share stops after its run.
 */
class Connections implements LinkMember {
  readonly done: Promise<void>;
  error: unknown = null;
  fetched = 0;
  private next = 0;
  private running = 0;
  private wanted = 1;
  private settle!: () => void;

  constructor(
    private readonly parts: Part[],
    private readonly max: number,
    private readonly job: PartJob,
    private readonly fail: (error: unknown) => void,
  ) {
    this.done = new Promise((resolve) => (this.settle = resolve));
    const onBytes = job.onBytes;
    job.onBytes = (n) => {
      this.fetched += n;
      link.received(n);
      onBytes(n);
    };
    link.join(this); // sets the share, which launches the connections
    if (this.running === 0) this.finish(); // every piece was already on disk
  }

  room(): number {
    return Math.min(this.max, this.running + this.piecesLeft());
  }

  setShare(n: number): void {
    this.wanted = n;
    this.launch();
  }

  private finish(): void {
    link.leave(this);
    this.settle();
  }

  private launch(): void {
    while (this.running < this.wanted && this.hasWork()) {
      this.running += 1;
      link.connectionStarted();
      void this.connection()
        .catch((error: unknown) => {
          this.error ??= error;
          this.fail(error);
        })
        .finally(() => {
          this.running -= 1;
          link.connectionEnded();
          // connections that stopped together for a lower share leave at least the share running
          this.launch();
          if (this.running === 0) this.finish();
        });
    }
  }

  private hasWork(): boolean {
    while (this.next < this.parts.length && this.parts[this.next]!.done === this.parts[this.next]!.end - this.parts[this.next]!.start) this.next++;
    return this.next < this.parts.length && !this.job.signal.aborted;
  }

  private piecesLeft(): number {
    return this.hasWork() ? this.parts.length - this.next : 0;
  }

  private async connection(): Promise<void> {
    while (this.running <= this.wanted && this.hasWork()) await fetchRun(this.claim(), this.job);
  }

  /**
   * The next piece and the untouched ones after it, about {@link RUN_SECONDS} long in all, and no
   * more than the connections' fair share of what is left: near the end, runs shrink so that the
   * connections finish together instead of one fetching a long last run alone.
   */
  private claim(): Part[] {
    const rate = link.perConnection();
    let left = 0;
    for (let i = this.next; i < this.parts.length; i++) left += this.parts[i]!.end - this.parts[i]!.start - this.parts[i]!.done;
    // the first runs leave work for the connections a probe may add; during a probe, one piece at
    // a time, so that connections that did not pay stop within a piece
    const steady = rate === null ? Math.min(FIRST_RUN, left / this.max) : rate * RUN_SECONDS;
    const want = link.probing() ? 0 : Math.min(steady, left / Math.max(1, this.wanted));
    const first = this.parts[this.next++]!;
    const run = [first];
    let bytes = first.end - first.start - first.done;
    while (bytes < want && this.next < this.parts.length && this.parts[this.next]!.done === 0) {
      const p = this.parts[this.next++]!;
      run.push(p);
      bytes += p.end - p.start;
    }
    return run;
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
