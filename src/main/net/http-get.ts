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
 * Read buffers per connection (allocated as needed: at most 2 MiB, reused for the whole life of the
 * connection), and how much room a read needs before the next buffer is taken. More buffers do not
 * help: while the disk lags, reading pauses; a small pool also stays warm in the CPU cache, and 16
 * connections (4 files × 4) stay within the bench's RSS bound.
 */
const POOL_BUFFERS = 4;
const BUFFER_BYTES = 512 * 1024;
const MIN_READ_ROOM = 64 * 1024;
/** An idle kept-alive connection is closed after this (servers commonly close theirs at 5 s). */
const KEEP_ALIVE_MS = 4_000;

/** One socket, its buffer pool, and the exchange it serves (none while it waits in the idle list). */
class Connection implements ExchangeConnection {
  readonly socket: Socket;
  closed = false;
  private exchange: Exchange | null = null;
  private readonly pool: Buffer[] = [];
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
    if (this.starved && this.freeBuffers() > 0) {
      this.starved = false;
      this.resumeReading();
    }
  }

  resumeReading(): void {
    if (!this.wantsRead()) return;
    this.socket.setTimeout(this.exchange ? this.idleMs : KEEP_ALIVE_MS);
    this.socket.resume();
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
        this.pool.push(Buffer.allocUnsafeSlow(BUFFER_BYTES));
        this.refs.push(0);
        free = this.pool.length - 1;
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
    if (this.pool.length < POOL_BUFFERS) {
      this.pool.push(Buffer.allocUnsafeSlow(BUFFER_BYTES));
      this.refs.push(0);
      return this.pool.length - 1;
    }
    return -1;
  }

  private freeBuffers(): number {
    let n = POOL_BUFFERS - this.pool.length;
    for (let i = 0; i < this.pool.length; i++) if (this.refs[i] === 0 && i !== this.current) n++;
    return Math.max(0, n);
  }

  private onRead(n: number): boolean {
    const start = this.used;
    this.used += n;
    const exchange = this.exchange;
    if (!exchange) {
      this.socket.destroy(); // bytes nobody asked for: the connection cannot be trusted again
      return false;
    }
    // Node asks nextBuffer() for the next read's buffer right after this returns. Stop reading
    // before that could leave no free buffer for the read after (releases only add free ones).
    const full = BUFFER_BYTES - this.used < MIN_READ_ROOM;
    try {
      exchange.parse(this.current, start, start + n, full);
    } catch (error) {
      this.socket.destroy(error as Error);
      return false;
    }
    if (this.freeBuffers() - (full ? 1 : 0) <= 0) {
      this.starved = true;
      this.socket.setTimeout(0); // waiting for the disk is not an idle connection
      exchange.flush(); // what is held must reach the reader, or nothing is ever released
    }
    return this.wantsRead();
  }
}
