import { connect as netConnect, isIP, type OnReadOpts, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';

/**
 * A GET response whose body is read into a small pool of reused buffers: no allocation and no copy
 * per chunk. `read` hands each piece of the body to `onData`; the piece stays valid until its
 * `release()` is called (after it is written to disk), and reading pauses while the pool is full.
 */
export interface HttpResponse {
  status: number;
  header(name: string): string | null;
  /** Delivers the body; resolves at its end, rejects when the connection fails before it. Once. */
  read(onData: (bytes: Buffer, release: () => void) => void): Promise<void>;
  /** Drops the body and closes the connection. */
  discard(): void;
}

export type HttpGet = (url: string, headers: Record<string, string>, signal: AbortSignal) => Promise<HttpResponse>;

export interface HttpGetOptions {
  /** a connection that delivers nothing for this long fails (default 30 s) */
  idleTimeoutMs?: number;
  /** extra TLS options (tests: a `ca` for a self-signed server) */
  tls?: ConnectionOptions;
}

/**
 * The fast path of NetClient.get for direct connections (no proxy): HTTP/1.1 GET for big downloads, over `net`/`tls` sockets that read straight into pooled buffers
 * (the sockets' `onread` option). node:http allocates a buffer per socket read and copies every
 * body chunk once more in its parser; at 1 GiB that is ~1 CPU-second and a major GC every 64 MiB
 * in a large heap. One request per connection (`Connection: close`), no redirects (the caller
 * follows them), identity encoding; bodies framed by Content-Length, chunked, or the close.
 */
export function createHttpGet(options: HttpGetOptions = {}): HttpGet {
  return (url, headers, signal) => new Exchange(new URL(url), headers, signal, options).response;
}

/** A direct client with default options (tests). Production code goes through NetClient.get. */
export const httpGet: HttpGet = createHttpGet();

/**
 * Read buffers per connection (allocated as needed: at most 4 MiB, reused for the whole body), and
 * how much room a read needs before the next buffer is taken. More buffers do not help: while the
 * disk lags, reading pauses; a small pool also stays warm in the CPU cache.
 */
const POOL_BUFFERS = 4;
const BUFFER_BYTES = 1024 * 1024;
const MIN_READ_ROOM = 64 * 1024;
const MAX_HEAD_BYTES = 64 * 1024;
const MAX_LINE_BYTES = 4096;

type BodyState = 'head' | 'length' | 'close' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'done';

class Exchange {
  readonly response: Promise<HttpResponse>;
  private resolveHead!: (res: HttpResponse) => void;
  private rejectHead!: (error: unknown) => void;
  private readonly socket: Socket;
  private readonly idleMs: number;

  private readonly pool: Buffer[] = [];
  /** body pieces not yet released, per pool buffer */
  private readonly refs: number[] = [];
  private current = 0;
  private used = 0;
  /** reading stopped because no buffer is free */
  private starved = false;
  /** the head is in: reading stops until read() is called */
  private waitingForReader = false;

  private state: BodyState = 'head';
  private head: Buffer = Buffer.alloc(0);
  private remaining = 0;
  private received = 0;
  private expected: number | null = null;
  private line = '';

  private onData: ((bytes: Buffer, release: () => void) => void) | null = null;
  private queued: { bytes: Buffer; release: () => void }[] = [];
  private finished: { error: unknown } | null = null;
  private settleBody: ((error: unknown) => void) | null = null;

  constructor(
    url: URL,
    headers: Record<string, string>,
    private readonly signal: AbortSignal,
    options: HttpGetOptions,
  ) {
    this.response = new Promise((resolve, reject) => {
      this.resolveHead = resolve;
      this.rejectHead = reject;
    });
    const request = requestHead(url, headers);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const https = url.protocol === 'https:';
    if (!https && url.protocol !== 'http:') throw new Error(`unsupported protocol ${url.protocol}`);
    const port = Number(url.port || (https ? 443 : 80));
    const onread: OnReadOpts = { buffer: () => this.nextBuffer(), callback: (n) => this.onRead(n) };
    // tls.connect takes `onread` too (Node ≥ 15.1, documented there); @types/node omits it
    const tlsOptions: ConnectionOptions & { onread: OnReadOpts } = { ...options.tls, host, port, servername: isIP(host) ? undefined : host, ALPNProtocols: ['http/1.1'], onread };
    this.socket = https ? tlsConnect(tlsOptions) : netConnect({ host, port, onread });
    this.socket.setNoDelay(true);
    this.idleMs = options.idleTimeoutMs ?? 30_000;
    this.socket.setTimeout(this.idleMs);
    this.socket.on('timeout', () => this.socket.destroy(new Error(`no data from ${url.host} for ${Math.round(this.idleMs / 1000)} s`)));
    this.socket.on('error', (error) => this.fail(error));
    this.socket.on('end', () => this.onEnd());
    this.socket.on('close', () => this.fail(new Error(`connection to ${url.host} closed before the response ended`)));
    signal.addEventListener('abort', this.onAbort, { once: true });
    if (signal.aborted) this.onAbort();
    else this.socket.write(request);
  }

  private readonly onAbort = () => this.socket.destroy(this.signal.reason instanceof Error ? this.signal.reason : new Error('aborted'));

  // ---- buffers ---------------------------------------------------------------------------------

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

  private release(index: number): void {
    this.refs[index]! -= 1;
    if (this.starved && this.freeBuffers() > 0) {
      this.starved = false;
      this.resumeReading();
    }
  }

  private resumeReading(): void {
    if (this.starved || this.waitingForReader || this.finished) return;
    this.socket.setTimeout(this.idleMs);
    this.socket.resume();
  }

  // ---- reading ---------------------------------------------------------------------------------

  private onRead(n: number): boolean {
    const start = this.used;
    this.used += n;
    try {
      this.parse(this.current, start, start + n);
    } catch (error) {
      this.socket.destroy(error as Error);
      return false;
    }
    // Node asks nextBuffer() for the next read's buffer right after this returns. Stop reading
    // before that could leave no free buffer for the read after (releases only add free ones).
    const needsNew = BUFFER_BYTES - this.used < MIN_READ_ROOM;
    if (this.freeBuffers() - (needsNew ? 1 : 0) <= 0) this.starve();
    return !this.starved && !this.waitingForReader && !this.finished;
  }

  private starve(): void {
    this.starved = true;
    this.socket.setTimeout(0); // waiting for the disk is not an idle connection
  }

  private parse(index: number, start: number, end: number): void {
    const buf = this.pool[index]!;
    while (start < end) {
      switch (this.state) {
        case 'head':
          start = this.parseHead(buf, start, end);
          break;
        case 'length': {
          const n = Math.min(this.remaining, end - start);
          this.emit(index, start, start + n);
          this.remaining -= n;
          start += n;
          if (this.remaining === 0) this.complete();
          break;
        }
        case 'close':
          this.emit(index, start, end);
          start = end;
          break;
        case 'chunk-size':
        case 'chunk-end':
        case 'trailers': {
          const nl = buf.indexOf(10, start);
          if (nl === -1 || nl >= end) {
            this.line += buf.toString('latin1', start, end);
            if (this.line.length > MAX_LINE_BYTES) throw new Error('malformed chunked body (line too long)');
            start = end;
            break;
          }
          const line = (this.line + buf.toString('latin1', start, nl)).replace(/\r$/, '');
          this.line = '';
          start = nl + 1;
          this.onLine(line);
          break;
        }
        case 'chunk-data': {
          const n = Math.min(this.remaining, end - start);
          this.emit(index, start, start + n);
          this.remaining -= n;
          start += n;
          if (this.remaining === 0) this.state = 'chunk-end';
          break;
        }
        case 'done':
          return; // bytes after the body: ignored, the connection is closed
      }
    }
  }

  private onLine(line: string): void {
    if (this.state === 'chunk-end') {
      if (line !== '') throw new Error('malformed chunked body (no CRLF after a chunk)');
      this.state = 'chunk-size';
    } else if (this.state === 'chunk-size') {
      const size = line.split(';')[0]!.trim();
      if (!/^[0-9a-fA-F]{1,13}$/.test(size)) throw new Error(`malformed chunked body (chunk size "${size.slice(0, 20)}")`);
      this.remaining = parseInt(size, 16);
      this.state = this.remaining === 0 ? 'trailers' : 'chunk-data';
    } else if (line === '') this.complete(); // end of trailers
  }

  /** Collects the head; returns where the body starts in `buf`. */
  private parseHead(buf: Buffer, start: number, end: number): number {
    const prev = this.head.length;
    const take = Math.min(end - start, MAX_HEAD_BYTES + 4 - prev);
    const back = Math.min(prev, 3);
    const probe = Buffer.concat([this.head.subarray(prev - back), buf.subarray(start, start + take)]);
    const at = probe.indexOf('\r\n\r\n');
    if (at === -1) {
      this.head = Buffer.concat([this.head, buf.subarray(start, start + take)]);
      if (this.head.length > MAX_HEAD_BYTES) throw new Error('response head too large');
      return start + take;
    }
    const used = at + 4 - back;
    const head = Buffer.concat([this.head, buf.subarray(start, start + used)]).toString('latin1');
    this.head = Buffer.alloc(0);
    this.onHead(head);
    return start + used;
  }

  private onHead(text: string): void {
    const lines = text.split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
    if (!m) throw new Error(`not an HTTP/1.1 response: "${(lines[0] ?? '').slice(0, 40)}"`);
    const status = Number(m[1]);
    if (status >= 100 && status < 200) return; // 100 Continue, 103 Early Hints: the real head follows
    const fields = new Map<string, string>();
    let last: string | null = null;
    for (const line of lines.slice(1)) {
      if (line === '') continue;
      if ((line.startsWith(' ') || line.startsWith('\t')) && last) {
        fields.set(last, `${fields.get(last)} ${line.trim()}`); // obsolete line folding
        continue;
      }
      const colon = line.indexOf(':');
      if (colon <= 0) throw new Error(`malformed header line "${line.slice(0, 40)}"`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      fields.set(name, fields.has(name) ? `${fields.get(name)}, ${value}` : value);
      last = name;
    }
    if (/(^|,)\s*chunked\s*$/i.test(fields.get('transfer-encoding') ?? '')) this.state = 'chunk-size';
    else if (fields.has('content-length')) {
      const length = fields.get('content-length')!;
      if (!/^\d+$/.test(length)) throw new Error(`bad Content-Length "${length.slice(0, 30)}"`);
      this.expected = Number(length);
      this.remaining = this.expected;
      this.state = 'length';
    } else this.state = status === 204 || status === 304 ? 'length' : 'close';
    this.waitingForReader = true;
    if (this.state === 'length' && this.remaining === 0) this.complete();
    this.resolveHead({
      status,
      header: (name) => fields.get(name.toLowerCase()) ?? null,
      read: (onData) => this.read(onData),
      discard: () => this.discard(),
    });
  }

  private emit(index: number, start: number, end: number): void {
    if (end <= start) return;
    this.refs[index]! += 1;
    this.received += end - start;
    const bytes = this.pool[index]!.subarray(start, end);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.release(index);
    };
    if (this.onData) this.onData(bytes, release);
    else this.queued.push({ bytes, release });
  }

  // ---- the body's consumer ---------------------------------------------------------------------

  private read(onData: (bytes: Buffer, release: () => void) => void): Promise<void> {
    if (this.onData) return Promise.reject(new Error('the body is already being read'));
    this.onData = onData;
    return new Promise<void>((resolve, reject) => {
      this.settleBody = (error) => (error ? reject(error) : resolve());
      for (const q of this.queued.splice(0)) onData(q.bytes, q.release);
      if (this.finished) this.settle();
      else {
        this.waitingForReader = false;
        this.resumeReading();
      }
    });
  }

  private discard(): void {
    for (const q of this.queued.splice(0)) q.release();
    this.finish(new Error('the body was discarded'));
    this.socket.destroy();
  }

  private complete(): void {
    this.state = 'done';
    this.finish(null);
    this.socket.destroy();
  }

  private onEnd(): void {
    if (this.state === 'close') this.complete();
    else this.fail(new Error(this.expected !== null ? `connection closed after ${this.received} of ${this.expected} body bytes` : 'connection closed before the response ended'));
  }

  private fail(error: unknown): void {
    if (this.state === 'head') {
      this.state = 'done';
      this.finish(error);
      this.rejectHead(this.signal.aborted ? (this.signal.reason ?? error) : error);
      this.socket.destroy();
      return;
    }
    this.finish(this.signal.aborted ? (this.signal.reason ?? error) : error);
  }

  private finish(error: unknown): void {
    if (this.finished) return;
    this.finished = { error };
    this.signal.removeEventListener('abort', this.onAbort);
    this.socket.setTimeout(0);
    this.settle();
  }

  private settle(): void {
    if (!this.settleBody || !this.finished) return;
    const settle = this.settleBody;
    this.settleBody = null;
    settle(this.finished.error);
  }
}

function requestHead(url: URL, headers: Record<string, string>): string {
  const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`];
  const names = new Set(['host', 'connection']);
  for (const [name, value] of Object.entries(headers)) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || /[\r\n\0]/.test(value)) throw new Error(`invalid request header ${JSON.stringify(name)}`);
    if (names.has(name.toLowerCase())) continue;
    lines.push(`${name}: ${value}`);
  }
  lines.push('Connection: close', '', '');
  return lines.join('\r\n');
}
