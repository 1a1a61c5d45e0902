import { connect as netConnect, isIP, type OnReadOpts, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { Exchange, type ExchangeConnection, type HttpResponse } from './http-exchange';

export type { HttpResponse } from './http-exchange';

export type HttpGet = (url: string, headers: Record<string, string>, signal: AbortSignal) => Promise<HttpResponse>;

/** An HttpGet with keep-alive connections to put away. */
export type HttpGetClient = HttpGet & { close(): void };

export interface HttpGetOptions {
  /** a connection that delivers nothing for this long fails (default 30 s) */
  idleTimeoutMs?: number;
  /** extra TLS options (tests: a `ca` for a self-signed server) */
  tls?: ConnectionOptions;
}

/**
 * The fast path of NetClient.get for direct connections (no proxy): HTTP/1.1 GET for big downloads,
 * over `net`/`tls` sockets that read straight into pooled buffers (the sockets' `onread` option).
 * node:http and undici allocate a buffer per socket read and copy every body chunk again in their
 * parsers; measured side by side over TLS (bench/download.ts), this costs ~1.0 CPU-s per GiB where
 * undici costs 1.6–2.1. Connections are kept alive per origin between requests (ranged pieces do not
 * pay a handshake each); no redirects (the caller follows them), identity encoding; bodies framed by
 * Content-Length, chunked, or the close.
 */
export function createHttpGet(options: HttpGetOptions = {}): HttpGetClient {
  const idle = new Map<string, Connection[]>();
  const idleMs = options.idleTimeoutMs ?? 30_000;
  const connection = (url: URL, fresh: boolean): { conn: Connection; reused: boolean } => {
    const key = `${url.protocol}//${url.host}`;
    const list = idle.get(key);
    while (!fresh && list?.length) {
      const conn = list.pop()!;
      if (!conn.closed) return { conn, reused: true };
    }
    const conn = new Connection(url, options.tls, idleMs, (c) => {
      // put back when a response ended cleanly; dropped from the list when it closes
      if (c.closed) idle.set(key, (idle.get(key) ?? []).filter((x) => x !== c));
      else idle.set(key, [...(idle.get(key) ?? []), c]);
    });
    return { conn, reused: false };
  };
  const get: HttpGet = async (url, headers, signal) => new Exchange(new URL(url), headers, signal, connection).response;
  return Object.assign(get, {
    close: () => {
      for (const list of idle.values()) for (const c of list) c.socket.destroy();
      idle.clear();
    },
  });
}

/** A direct client with default options (tests). Production code goes through NetClient.get. */
export const httpGet: HttpGetClient = createHttpGet();

/**
 * Read buffers per connection (allocated as needed, reused for the whole life of the connection),
 * and how much room a read needs before the next buffer is taken. A buffer is free again once its
 * bytes are written and hashed; the hash runs on another thread, so a buffer is held for a round
 * trip between threads too: 4 MiB per connection kept a TLS stream from waiting on that (2 MiB:
 * 12 % slower). All connections together stay within {@link POOL_LIMIT} (the bench's RSS bound with
 * 16 connections); past it a connection makes do with {@link MIN_POOL} buffers.
 */
const POOL_BUFFERS = 8;
const MIN_POOL = 2;
const BUFFER_BYTES = 512 * 1024;
const POOL_LIMIT = 16 * 1024 * 1024;
const MIN_READ_ROOM = 64 * 1024;
/** bytes of read buffers of all connections */
let pooled = 0;
/**
 * Buffers of closed connections, for the next ones: a connection per ranged run would otherwise
 * allocate fresh shared memory each time, which the hash thread lets go of only at its own GC.
 */
const spare: Buffer[] = [];
/** An idle kept-alive connection is closed after this (servers commonly close theirs at 5 s). */
const KEEP_ALIVE_MS = 4_000;

/** One socket, its buffer pool, and the exchange it serves (none while it waits in the idle list). */
class Connection implements ExchangeConnection {
  readonly socket: Socket;
  closed = false;
  private exchange: Exchange | null = null;
  private readonly pool: (Buffer | null)[] = [];
  /** body pieces not yet released, per pool buffer */
  private readonly refs: number[] = [];
  private current = 0;
  private used = 0;
  /** reading stopped because no buffer is free */
  private starved = false;

  constructor(
    url: URL,
    tls: ConnectionOptions | undefined,
    private readonly idleMs: number,
    private readonly onIdle: (c: Connection) => void,
  ) {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const https = url.protocol === 'https:';
    const port = Number(url.port || (https ? 443 : 80));
    const onread: OnReadOpts = { buffer: () => this.nextBuffer(), callback: (n) => this.onRead(n) };
    // tls.connect takes `onread` too (Node ≥ 15.1, documented there); @types/node omits it
    const tlsOptions: ConnectionOptions & { onread: OnReadOpts } = { ...tls, host, port, servername: isIP(host) ? undefined : host, ALPNProtocols: ['http/1.1'], onread };
    this.socket = https ? tlsConnect(tlsOptions) : netConnect({ host, port, onread });
    this.socket.setNoDelay(true);
    this.socket.on('timeout', () => this.socket.destroy(this.exchange ? new Error(`no data from ${url.host} for ${Math.round(this.idleMs / 1000)} s`) : undefined));
    this.socket.on('error', (error) => this.exchange?.fail(error));
    this.socket.on('end', () => (this.exchange ? this.exchange.onEnd() : this.socket.destroy()));
    this.socket.on('close', () => {
      this.closed = true;
      this.exchange?.fail(new Error(`connection to ${url.host} closed before the response ended`));
      this.onIdle(this);
      // free buffers go back for other connections now, held ones once released
      for (let i = 0; i < this.pool.length; i++) if (this.refs[i] === 0) this.giveBack(i);
    });
  }

  begin(exchange: Exchange, request: string): void {
    this.exchange = exchange;
    this.socket.ref();
    this.socket.setTimeout(this.starved ? 0 : this.idleMs);
    this.socket.write(request);
    this.resumeReading();
  }

  /** The exchange is over: back to the idle list when the connection can carry another. */
  end(reusable: boolean): void {
    this.exchange = null;
    if (!reusable || this.closed) {
      this.socket.destroy();
      return;
    }
    this.socket.unref();
    this.socket.setTimeout(KEEP_ALIVE_MS);
    this.onIdle(this);
    this.resumeReading(); // an idle connection reads, to notice the server closing it
  }

  destroy(error?: Error): void {
    this.socket.destroy(error);
  }

  buffer(index: number): Buffer {
    return this.pool[index]!;
  }

  hold(index: number): void {
    this.refs[index]! += 1;
  }

  release(index: number): void {
    this.refs[index]! -= 1;
    if (this.closed) {
      if (this.refs[index] === 0) this.giveBack(index);
      return;
    }
    if (this.starved && this.freeBuffers() > 0) {
      this.starved = false;
      this.resumeReading();
    }
  }

  resumeReading(): void {
    if (!this.wantsRead()) return;
    if (!this.roomForRead()) {
      // the last body's buffers are still being written or hashed: a release resumes
      this.starved = true;
      this.socket.pause();
      this.socket.setTimeout(0);
      return;
    }
    this.socket.setTimeout(this.exchange ? this.idleMs : KEEP_ALIVE_MS);
    this.socket.resume();
  }

  /** The next read has a place: the current buffer's rest, or a free (or allowed new) one. */
  private roomForRead(): boolean {
    return (this.pool.length > 0 && BUFFER_BYTES - this.used >= MIN_READ_ROOM) || this.freeBuffers() > 0;
  }

  private wantsRead(): boolean {
    return !this.starved && !this.closed && !this.exchange?.waitingForReader;
  }

  /** Where the next socket read goes: the rest of the current buffer, or a free one. */
  private nextBuffer(): Buffer {
    if (this.pool.length === 0 || BUFFER_BYTES - this.used < MIN_READ_ROOM) {
      let free = this.freeBuffer();
      if (free === -1) {
        // onRead stops reading before the pool runs dry, so this does not happen; if it did,
        // one more buffer beats overwriting bytes not yet on disk.
        free = this.grow();
      }
      this.current = free;
      this.used = 0;
    }
    return this.pool[this.current]!.subarray(this.used);
  }

  private freeBuffer(): number {
    for (let i = 1; i <= this.pool.length; i++) {
      const j = (this.current + i) % this.pool.length;
      if (this.refs[j] === 0 && j !== this.current) return j;
    }
    if (this.refs[this.current] === 0 && this.pool[this.current]) return this.current; // all of it released
    return this.growable() > 0 ? this.grow() : -1;
  }

  /** Buffers this connection may still add: up to its own limit, within what all may hold (past MIN_POOL). */
  private growable(): number {
    const budget = Math.floor(Math.max(0, POOL_LIMIT - pooled) / BUFFER_BYTES);
    return Math.max(0, Math.min(POOL_BUFFERS - this.pool.length, Math.max(MIN_POOL - this.pool.length, budget)));
  }

  /** A new buffer in shared memory: the hash thread reads the bytes where they landed. */
  private grow(): number {
    this.pool.push(spare.pop() ?? Buffer.from(new SharedArrayBuffer(BUFFER_BYTES)));
    this.refs.push(0);
    pooled += BUFFER_BYTES;
    return this.pool.length - 1;
  }

  /** A closed connection's buffer, no longer held: to the spares (within the bound), else to the GC. */
  private giveBack(index: number): void {
    const buf = this.pool[index];
    if (!buf) return;
    this.pool[index] = null;
    pooled -= BUFFER_BYTES;
    if (spare.length * BUFFER_BYTES < POOL_LIMIT) spare.push(buf);
  }

  private freeBuffers(): number {
    let n = this.growable();
    for (let i = 0; i < this.pool.length; i++) if (this.refs[i] === 0 && i !== this.current) n++;
    return n;
  }

  private onRead(n: number): boolean {
    const start = this.used;
    this.used += n;
    const exchange = this.exchange;
    if (!exchange) {
      this.socket.destroy(); // bytes nobody asked for: the connection cannot be trusted again
      return false;
    }
    // Node asks nextBuffer() for the next read's buffer right after this returns, even when it
    // stops reading: a full buffer takes a free one then. Reading stops unless one more stays free
    // after that for the read after (the full one counts once nothing in it is held; releases only
    // add free ones, and with nothing held, a spare is always there: no wait for a release that
    // never comes).
    const full = BUFFER_BYTES - this.used < MIN_READ_ROOM;
    try {
      exchange.parse(this.current, start, start + n, full);
    } catch (error) {
      this.socket.destroy(error as Error);
      return false;
    }
    const freeAfter = full ? this.freeBuffers() - 1 + (this.refs[this.current] === 0 ? 1 : 0) : this.freeBuffers();
    if (freeAfter <= 0) {
      this.starved = true;
      this.socket.setTimeout(0); // waiting for the disk is not an idle connection
      exchange.flush(); // what is held must reach the reader, or nothing is ever released
    }
    return this.wantsRead();
  }
}
