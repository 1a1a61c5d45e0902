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
  /** Drops the body (and the connection, unless the body was already complete). */
  discard(): void;
}


/** What an exchange needs of the connection it runs on (http-get.ts). */
export interface ExchangeConnection {
  begin(exchange: Exchange, request: string): void;
  /** the exchange is over; `reusable`: the connection may carry another request */
  end(reusable: boolean): void;
  destroy(error?: Error): void;
  buffer(index: number): Buffer;
  hold(index: number): void;
  release(index: number): void;
  resumeReading(): void;
}

type Pick = (url: URL, fresh: boolean) => { conn: ExchangeConnection; reused: boolean };
type BodyState = 'head' | 'length' | 'close' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'done';

const MAX_HEAD_BYTES = 64 * 1024;
const MAX_LINE_BYTES = 4096;

/**
 * One GET on a connection: writes the request, parses the response as the connection's reads land in
 * its pooled buffers, and hands the body over in spans. Adjacent reads (TLS gives one per 16 KiB
 * record) are joined into one span per event-loop turn or per full buffer, so the reader's per-piece
 * work (hash update, write batch, release) runs a few times per MiB, not 64 times.
 */
export class Exchange {
  readonly response: Promise<HttpResponse>;
  /** the head is in: the connection stops reading until read() is called */
  waitingForReader = false;
  private resolveHead!: (res: HttpResponse) => void;
  private rejectHead!: (error: unknown) => void;
  private conn: ExchangeConnection | null = null;
  private reused = false;
  private keepAlive = false;
  private readonly request: string;

  private state: BodyState = 'head';
  private head: Buffer = Buffer.alloc(0);
  private remaining = 0;
  private received = 0;
  private expected: number | null = null;
  private line = '';
  /** body bytes parsed but not yet handed over: [buffer index, start, end) */
  private span: [number, number, number] | null = null;
  private flushQueued = false;

  private onData: ((bytes: Buffer, release: () => void) => void) | null = null;
  private queued: { bytes: Buffer; release: () => void }[] = [];
  private finished: { error: unknown } | null = null;
  private settleBody: ((error: unknown) => void) | null = null;

  constructor(
    private readonly url: URL,
    headers: Record<string, string>,
    private readonly signal: AbortSignal,
    private readonly pick: Pick,
  ) {
    this.response = new Promise((resolve, reject) => {
      this.resolveHead = resolve;
      this.rejectHead = reject;
    });
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`unsupported protocol ${url.protocol}`);
    this.request = requestHead(url, headers);
    signal.throwIfAborted();
    signal.addEventListener('abort', this.onAbort, { once: true });
    this.start(false);
  }

  private start(fresh: boolean): void {
    const { conn, reused } = this.pick(this.url, fresh);
    this.conn = conn;
    this.reused = reused;
    conn.begin(this, this.request);
  }

  private readonly onAbort = () => this.conn?.destroy(this.signal.reason instanceof Error ? this.signal.reason : new Error('aborted'));

  parse(index: number, start: number, end: number, bufferFull: boolean): void {
    const buf = this.conn!.buffer(index);
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
          this.keepAlive = false; // bytes after the body: the connection is not in step
          start = end;
          break;
      }
    }
    if (this.state === 'done') this.detach(this.keepAlive);
    else if (bufferFull) this.flush();
    else if (this.span && !this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => {
        this.flushQueued = false;
        this.flush();
      });
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
    const m = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] ?? '');
    if (!m) throw new Error(`not an HTTP/1.1 response: "${(lines[0] ?? '').slice(0, 40)}"`);
    const status = Number(m[2]);
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
    const connection = (fields.get('connection') ?? '').toLowerCase();
    this.keepAlive = m[1] === '1' ? !/(^|,)\s*close\s*(,|$)/.test(connection) : /(^|,)\s*keep-alive\s*(,|$)/.test(connection);
    if (/(^|,)\s*chunked\s*$/i.test(fields.get('transfer-encoding') ?? '')) this.state = 'chunk-size';
    else if (fields.has('content-length')) {
      const length = fields.get('content-length')!;
      if (!/^\d+$/.test(length)) throw new Error(`bad Content-Length "${length.slice(0, 30)}"`);
      this.expected = Number(length);
      this.remaining = this.expected;
      this.state = 'length';
    } else if (status === 204 || status === 304) this.state = 'length';
    else {
      this.state = 'close';
      this.keepAlive = false;
    }
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
    this.received += end - start;
    const span = this.span;
    if (span && span[0] === index && span[2] === start) span[2] = end;
    else {
      this.flush();
      this.span = [index, start, end];
    }
  }

  /** Hands the parsed bytes not yet handed over to the reader (or its queue). */
  flush(): void {
    const span = this.span;
    const conn = this.conn;
    if (!span || !conn) return;
    this.span = null;
    const [index, start, end] = span;
    conn.hold(index);
    const bytes = conn.buffer(index).subarray(start, end);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      conn.release(index);
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
        this.conn?.resumeReading();
      }
    });
  }

  private discard(): void {
    for (const q of this.queued.splice(0)) q.release();
    if (this.finished) return; // a complete body (a redirect's): the connection carries on
    this.finish(new Error('the body was discarded'));
    this.detach(false);
  }

  private complete(): void {
    this.state = 'done';
    this.flush();
    this.finish(null);
  }

  onEnd(): void {
    if (this.state === 'close') {
      this.complete();
      this.detach(false);
    } else this.fail(new Error(this.expected !== null ? `connection closed after ${this.received} of ${this.expected} body bytes` : 'connection closed before the response ended'));
  }

  fail(error: unknown): void {
    if (!this.conn) return;
    if (this.state === 'head') {
      // A kept-alive connection the server closed just as it was reused: once more on a new one.
      const stale = this.reused && this.head.length === 0 && !this.signal.aborted;
      this.detach(false);
      if (stale) return this.start(true);
      this.state = 'done';
      this.finish(error);
      this.rejectHead(this.signal.aborted ? (this.signal.reason ?? error) : error);
      return;
    }
    this.flush(); // what arrived before the failure is the reader's
    this.finish(this.signal.aborted ? (this.signal.reason ?? error) : error);
    this.detach(false);
  }

  private detach(reusable: boolean): void {
    const conn = this.conn;
    if (!conn) return;
    this.flush();
    this.conn = null;
    conn.end(reusable && this.finished?.error === null);
  }

  private finish(error: unknown): void {
    if (this.finished) return;
    this.finished = { error };
    this.signal.removeEventListener('abort', this.onAbort);
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
  lines.push('', '');
  return lines.join('\r\n');
}
