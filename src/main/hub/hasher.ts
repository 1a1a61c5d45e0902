import { createHash, type Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { BlockArena } from './block-arena';
import type { HashSpec } from './download-types';

/**
 * The content hash of one blob, fed in file order. `update` takes bytes that stay valid until its
 * `done` runs (the hash may read them later, on another thread); `fromFile` hashes a span already
 * on disk; `digest` resolves once everything fed before it is hashed.
 */
export interface Hasher {
  update(bytes: Buffer, done: () => void): void;
  fromFile(file: FileHandle, path: string, from: number, to: number): Promise<void>;
  digest(): Promise<string>;
  /** Starts over (the file is being fetched again from byte 0). */
  reset(): void;
  close(): void;
}

const READ_BACK_BYTES = 1024 * 1024;
/**
 * The loop posts what it queued once this many bytes are waiting (else at the end of its turn), and
 * the thread answers every this many bytes hashed (else at the end of a batch). A read buffer is
 * free again only once its bytes are hashed; one answer per batch held every buffer of a batch
 * until the last was hashed (~3 ms for 4 MiB on a shared core), and the socket waited: 1 GiB over
 * loopback took 1.23–1.37 s that way, 0.97–1.13 s answering per 512 KiB (same run, alternated).
 */
const POST_BYTES = 256 * 1024;
const REPLY_BYTES = 512 * 1024;

/** Hashing on the event loop: the fallback where no worker thread can be started. */
export class InlineHasher implements Hasher {
  private hash: Hash;
  private buffer: Buffer | null = null;

  constructor(private readonly spec: HashSpec) {
    this.hash = newHash(spec);
  }

  update(bytes: Buffer, done: () => void): void {
    this.hash.update(bytes);
    done();
  }

  async fromFile(file: FileHandle, path: string, from: number, to: number): Promise<void> {
    const buf = (this.buffer ??= Buffer.allocUnsafeSlow(READ_BACK_BYTES));
    for (let at = from; at < to; ) {
      const { bytesRead } = await file.read(buf, 0, Math.min(buf.length, to - at), at);
      if (bytesRead === 0) throw new Error(`${path} ends at ${at}, its parts say ${to}`);
      this.hash.update(buf.subarray(0, bytesRead));
      at += bytesRead;
    }
  }

  async digest(): Promise<string> {
    return this.hash.digest('hex');
  }

  reset(): void {
    this.hash = newHash(this.spec);
  }

  close(): void {}
}

export function newHash(spec: HashSpec): Hash {
  const h = createHash(spec.algorithm);
  if (spec.prefix) h.update(spec.prefix);
  return h;
}

// ---- the hash thread ------------------------------------------------------------------------------

/**
 * The worker: one hash per blob id, fed spans of shared memory (or spans of a file to read) in
 * the order they were posted; answers with the sequence numbers it reached, every
 * {@link REPLY_BYTES} hashed and at the end of each batch.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { openSync, readSync, closeSync } = require('node:fs');
const hashes = new Map();
const buffers = new Map();
let readBuffer = null;
parentPort.on('message', (batch) => {
  let started = performance.now();
  let replies = [];
  let sinceReply = 0;
  for (const m of batch) {
    if (sinceReply >= ${REPLY_BYTES} && replies.length) {
      const now = performance.now();
      parentPort.postMessage({ replies, busyMs: now - started });
      started = now;
      replies = [];
      sinceReply = 0;
    }
    try {
      if (m.t === 'open') {
        const h = createHash(m.algorithm);
        if (m.prefix) h.update(m.prefix);
        hashes.set(m.id, h);
      } else if (m.t === 'buffer') {
        buffers.set(m.bid, m.buf);
        continue;
      } else if (m.t === 'drop') {
        buffers.delete(m.bid);
        continue;
      } else if (m.t === 'data') {
        hashes.get(m.id)?.update(new Uint8Array(m.buf ?? buffers.get(m.bid), m.off, m.len));
        sinceReply += m.len;
      } else if (m.t === 'file') {
        const h = hashes.get(m.id);
        const fd = openSync(m.path, 'r');
        try {
          readBuffer ??= Buffer.allocUnsafeSlow(${READ_BACK_BYTES});
          for (let at = m.from; at < m.to; ) {
            const n = readSync(fd, readBuffer, 0, Math.min(readBuffer.length, m.to - at), at);
            if (n === 0) throw new Error(m.path + ' ends at ' + at + ', its parts say ' + m.to);
            h?.update(readBuffer.subarray(0, n));
            at += n;
          }
        } finally {
          closeSync(fd);
        }
        sinceReply += m.to - m.from;
      } else if (m.t === 'digest') {
        replies.push({ id: m.id, seq: m.seq, digest: hashes.get(m.id)?.digest('hex') ?? null });
        hashes.delete(m.id);
        continue;
      } else if (m.t === 'close') {
        hashes.delete(m.id);
      }
      replies.push({ id: m.id, seq: m.seq });
    } catch (error) {
      replies.push({ id: m.id, seq: m.seq, error: String(error && error.message || error) });
    }
  }
  parentPort.postMessage({ replies, busyMs: performance.now() - started });
});
`;

type Message =
  | { t: 'open'; id: number; seq: number; algorithm: string; prefix: string | null }
  | { t: 'data'; id: number; seq: number; bid: number; buf?: SharedArrayBuffer; off: number; len: number }
  | { t: 'buffer'; id: 0; seq: number; bid: number; buf: SharedArrayBuffer }
  | { t: 'drop'; id: 0; seq: number; bid: number }
  | { t: 'file'; id: number; seq: number; path: string; from: number; to: number }
  | { t: 'digest' | 'close'; id: number; seq: number };
interface Reply {
  id: number;
  seq: number;
  digest?: string | null;
  error?: string;
}
type Waiter = { seq: number; done: (reply: Reply) => void };
/** A message before the thread numbers it (per member of the union). */
type Unnumbered = Message extends infer M ? (M extends Message ? Omit<M, 'seq'> : never) : never;

/**
 * One thread hashes for every download of the process, so the event loop only moves bytes: on a
 * TLS download the loop's own work (decrypt, parse, write) then runs beside sha256 instead of
 * before it. Messages go out batched, at the end of an event-loop turn or once {@link POST_BYTES}
 * are queued (so the thread starts on a big read at once); bytes are shared, not copied, when
 * they sit in a SharedArrayBuffer (the socket client's read buffers and the writer's held copies).
 */
class HashThread {
  private worker: Worker | null = null;
  private broken = false;
  private outbox: Message[] = [];
  private flushing = false;
  private outboxBytes = 0;
  private nextId = 1;
  private nextSeq = 1;
  private readonly waiters = new Map<number, Waiter[]>();
  private pending = 0;
  /** time the thread spent hashing, in all (ms) */
  busyMs = 0;
  /**
   * Shared buffers the thread already holds, by id: a SharedArrayBuffer in a message costs a
   * wrapper on each side (measured: postMessage took 9 % of the loop), so each goes over once and
   * spans name it by number; once the loop's side is collected, the thread lets go of it too.
   */
  private readonly buffers = new WeakMap<SharedArrayBuffer, number>();
  private nextBuffer = 1;
  private readonly forget = new FinalizationRegistry<number>((bid) => this.post({ t: 'drop', id: 0, bid }));

  /** The thread, started on first use; null where worker threads cannot start (then: inline). */
  available(): boolean {
    if (this.worker) return true;
    if (this.broken) return false;
    try {
      this.worker = new Worker(WORKER_SOURCE, { eval: true, name: 'switchyard-hash' });
      this.worker.on('message', ({ replies, busyMs }: { replies: Reply[]; busyMs: number }) => {
        this.busyMs += busyMs;
        this.onReplies(replies);
      });
      this.worker.on('error', (error) => this.fail(error));
      this.worker.on('exit', (code) => this.fail(new Error(`the hash thread exited (${code})`)));
      this.worker.unref();
      return true;
    } catch {
      this.broken = true;
      return false;
    }
  }

  id(): number {
    return this.nextId++;
  }

  /** The number the thread knows `buf` by (sent over on first use). */
  bufferId(buf: SharedArrayBuffer): number {
    let bid = this.buffers.get(buf);
    if (bid === undefined) {
      bid = this.nextBuffer++;
      this.buffers.set(buf, bid);
      this.forget.register(buf, bid);
      this.post({ t: 'buffer', id: 0, bid, buf });
    }
    return bid;
  }

  post(message: Unnumbered, done?: (reply: Reply) => void): void {
    const seq = this.nextSeq++;
    if (!this.worker) {
      // the thread died after this blob started on it: its hash is lost, the download fails
      if (done) queueMicrotask(() => done({ id: message.id, seq, error: 'the hash thread stopped' }));
      return;
    }
    this.outbox.push({ ...message, seq } as Message);
    if (done) {
      const list = this.waiters.get(message.id) ?? [];
      list.push({ seq, done });
      this.waiters.set(message.id, list);
      if (this.pending++ === 0) this.worker?.ref(); // a hash in flight keeps the process up
    }
    if (message.t === 'data') this.outboxBytes += message.len;
    if (this.outboxBytes >= POST_BYTES) this.flush();
    else if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => {
        this.flushing = false;
        this.flush();
      });
    }
  }

  private flush(): void {
    const batch = this.outbox;
    this.outbox = [];
    this.outboxBytes = 0;
    if (batch.length) this.worker?.postMessage(batch);
  }

  private onReplies(replies: Reply[]): void {
    for (const reply of replies) {
      const list = this.waiters.get(reply.id);
      if (!list) continue;
      while (list.length && list[0]!.seq <= reply.seq) {
        const w = list.shift()!;
        if (--this.pending === 0) this.worker?.unref();
        w.done(w.seq === reply.seq ? reply : { id: reply.id, seq: w.seq });
      }
      if (list.length === 0) this.waiters.delete(reply.id);
    }
  }

  /** The thread died: every waiter hears it; later hashes run inline. */
  private fail(error: Error): void {
    this.worker = null;
    this.broken = true;
    this.pending = 0;
    const waiters = [...this.waiters.values()].flat();
    this.waiters.clear();
    for (const w of waiters) w.done({ id: 0, seq: w.seq, error: error.message });
  }
}

const thread = new HashThread();
/** Copies of bytes not in shared memory, on their way to the thread. */
const staging = new BlockArena(8 * 1024 * 1024);

/** Hashing on the shared hash thread; see {@link HashThread}. */
export class WorkerHasher implements Hasher {
  private id: number;
  private error: string | null = null;

  constructor(private readonly spec: HashSpec) {
    this.id = this.open();
  }

  private open(): number {
    const id = thread.id();
    thread.post({ t: 'open', id, algorithm: this.spec.algorithm, prefix: this.spec.prefix });
    return id;
  }

  update(bytes: Buffer, done: () => void): void {
    const onHashed = (reply: Reply) => {
      this.error ??= reply.error ?? null;
      done();
    };
    if (bytes.buffer instanceof SharedArrayBuffer) {
      thread.post({ t: 'data', id: this.id, bid: thread.bufferId(bytes.buffer), off: bytes.byteOffset, len: bytes.length }, onHashed);
      return;
    }
    // bytes from another client (undici, a proxy): a copy the thread can see
    done();
    const staged = staging.copy(bytes);
    if (staged) {
      const { copy, free } = staged;
      thread.post({ t: 'data', id: this.id, bid: thread.bufferId(copy.buffer as SharedArrayBuffer), off: copy.byteOffset, len: copy.length }, (reply) => {
        this.error ??= reply.error ?? null;
        free();
      });
      return;
    }
    // past the staging bound (the thread is behind) or a piece bigger than a block: its own copy
    const copy = Buffer.from(new SharedArrayBuffer(bytes.length));
    bytes.copy(copy);
    thread.post({ t: 'data', id: this.id, bid: 0, buf: copy.buffer as SharedArrayBuffer, off: 0, len: copy.length });
  }

  fromFile(_file: FileHandle, path: string, from: number, to: number): Promise<void> {
    return new Promise((resolve, reject) =>
      thread.post({ t: 'file', id: this.id, path, from, to }, (reply) => (reply.error ? reject(new Error(reply.error)) : resolve())),
    );
  }

  digest(): Promise<string> {
    return new Promise((resolve, reject) =>
      thread.post({ t: 'digest', id: this.id }, (reply) => {
        const error = reply.error ?? this.error;
        if (error || !reply.digest) reject(new Error(`hashing failed: ${error ?? 'no digest'}`));
        else resolve(reply.digest);
      }),
    );
  }

  reset(): void {
    thread.post({ t: 'close', id: this.id });
    this.id = this.open();
  }

  close(): void {
    thread.post({ t: 'close', id: this.id });
  }
}

/**
 * How busy the hash thread was since the last call (0–1): like a saturated event loop, a saturated
 * hash thread is a limit more connections cannot raise.
 */
export function hashThreadUtilization(): () => number {
  let lastBusy = thread.busyMs;
  let lastAt = performance.now();
  return () => {
    const now = performance.now();
    const u = now > lastAt ? (thread.busyMs - lastBusy) / (now - lastAt) : 0;
    lastBusy = thread.busyMs;
    lastAt = now;
    return Math.min(1, u);
  };
}

/** A hasher on the hash thread where one can run, else on the event loop. */
export function createHasher(spec: HashSpec, where: 'thread' | 'inline' = 'thread'): Hasher {
  return where === 'thread' && thread.available() ? new WorkerHasher(spec) : new InlineHasher(spec);
}
