import net from 'node:net';
import type { RequestStop, StopRequest } from './relay';

/**
 * HTTP/1.1 to a runtime on this machine, on raw sockets: the proxy's hot path. A local runtime (vLLM,
 * Ollama) streams its answer chunk-encoded; the relay passes those bytes on to the client as they are,
 * framing included, so there is no parse into a stream and no re-encode on the way out — one read and
 * one write per event, like a bare TCP relay. This client writes the request, reads the response head,
 * and hands over the socket with a `BodyFraming` that finds where the body ends (and where its chunks
 * are), so the socket can go back to the keep-alive pool.
 */

export interface RawHead {
  status: number;
  /** lower-cased names; repeated headers joined with ", " */
  headers: Record<string, string>;
}

export interface RawAnswer {
  head: RawHead;
  /** body bytes that arrived with the head */
  rest: Buffer;
  socket: net.Socket;
  framing: BodyFraming;
  /** hands the socket back: to the pool when the body ended cleanly and the upstream keeps it alive */
  release(reusable: boolean): void;
}

const MAX_HEAD = 64 * 1024;
const MAX_IDLE_PER_ORIGIN = 256;
const CRLF2 = Buffer.from('\r\n\r\n');

/**
 * The head of a POST on a kept-alive connection, all but its length: built once per upstream, path and
 * header set (the headers are Switchyard's own values and the runtime's key, checked here for line
 * breaks once), so a request only appends its `content-length`.
 */
export function requestHeadPrefix(host: string, port: number, path: string, headers: Record<string, string>): string {
  let text = `POST ${path} HTTP/1.1\r\nhost: ${host.includes(':') ? `[${host}]` : host}:${port}\r\nconnection: keep-alive\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) throw new Error(`header ${name} has a line break`);
    text += `${name}: ${value}\r\n`;
  }
  return text;
}

export class LoopbackClient {
  private readonly idle = new Map<string, net.Socket[]>();

  /**
   * Sends one request (`head` from `requestHeadPrefix`, plus any per-request header lines); resolves once
   * the response head arrived. `stop` ends the wait (the socket is destroyed) and rejects with its reason.
   */
  async request(host: string, port: number, head: string, body: Buffer, stop: RequestStop): Promise<RawAnswer> {
    const key = `${host}:${port}`;
    // one buffer, one write: the head and the body leave in one segment
    const bytes = Buffer.allocUnsafe(head.length + 32 + body.length); // + `content-length: <n>\r\n\r\n`
    let at = bytes.write(`${head}content-length: ${body.length}\r\n\r\n`, 0, 'latin1');
    at += body.copy(bytes, at);
    const request = bytes.subarray(0, at);
    const pooled = this.take(key);
    if (pooled) {
      try {
        return await this.exchange(key, pooled, request, stop);
      } catch (error) {
        // a kept-alive socket the runtime closed just now: once more on a fresh one (nothing was answered)
        if (stop.reason || !(error instanceof StaleSocket)) throw error;
      }
    }
    const socket = net.connect({ host, port, noDelay: true });
    return this.exchange(key, socket, request, stop);
  }

  close(): void {
    for (const list of this.idle.values()) for (const s of list) s.destroy();
    this.idle.clear();
  }

  private take(key: string): net.Socket | null {
    const list = this.idle.get(key);
    while (list && list.length > 0) {
      const s = list.pop()!;
      s.removeAllListeners('close').removeAllListeners('data').removeAllListeners('error');
      if (!s.destroyed && s.readable && s.writable) return s;
      s.destroy();
    }
    return null;
  }

  private park(key: string, socket: net.Socket): void {
    let list = this.idle.get(key);
    if (!list) this.idle.set(key, (list = []));
    if (list.length >= MAX_IDLE_PER_ORIGIN) return void socket.destroy();
    socket.removeAllListeners('data').removeAllListeners('end').removeAllListeners('close').removeAllListeners('error');
    // an idle socket the runtime closes (its keep-alive timeout) leaves the pool
    const drop = () => {
      const i = list.indexOf(socket);
      if (i >= 0) list.splice(i, 1);
      socket.destroy();
    };
    socket.on('close', drop).on('error', drop).on('data', drop);
    socket.resume();
    list.push(socket);
  }

  private exchange(key: string, socket: net.Socket, request: Buffer, stop: RequestStop): Promise<RawAnswer> {
    return new Promise<RawAnswer>((resolve, reject) => {
      const reused = socket.readyState === 'open';
      let head: Buffer = Buffer.alloc(0);
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        cleanup();
        socket.destroy();
        reject(error);
      };
      const onData = (data: Buffer) => {
        head = head.length === 0 ? data : Buffer.concat([head, data]);
        for (;;) {
          const end = head.indexOf(CRLF2);
          if (end === -1) {
            if (head.length > MAX_HEAD) fail(new Error('the runtime sent a response head over 64 KiB'));
            return;
          }
          const parsed = parseHead(head.toString('latin1', 0, end));
          if (!parsed) return fail(new Error('the runtime sent something that is not an HTTP response'));
          head = head.subarray(end + 4);
          if (parsed.status >= 100 && parsed.status < 200) continue; // 100 Continue and friends: the real head follows
          settled = true;
          cleanup();
          socket.pause();
          const keepAlive = !/\bclose\b/i.test(parsed.headers.connection ?? '');
          resolve({
            head: parsed,
            rest: head,
            socket,
            framing: BodyFraming.of(parsed.headers),
            release: (reusable) => (reusable && keepAlive ? this.park(key, socket) : socket.destroy()),
          });
          return;
        }
      };
      const onClose = () => fail(reused && head.length === 0 ? new StaleSocket() : new Error('the runtime closed the connection before answering'));
      const onError = (error: Error) => fail(reused && head.length === 0 ? new StaleSocket() : error);
      const onStop = (reason: StopRequest) => fail(reason);
      const cleanup = () => {
        socket.off('data', onData).off('close', onClose).off('error', onError).off('end', onClose);
        stop.off(onStop);
      };
      if (stop.reason) return onStop(stop.reason);
      stop.on(onStop);
      socket.on('data', onData).on('close', onClose).on('error', onError).on('end', onClose);
      socket.resume();
      socket.write(request);
    });
  }
}

class StaleSocket extends Error {
  constructor() {
    super('kept-alive socket closed by the runtime');
  }
}

function parseHead(text: string): RawHead | null {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (!m) return null;
  const headers: Record<string, string> = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { status: Number(m[1]), headers };
}

/** Which bytes of a read are body payload, and where the body ends. */
export interface Scan {
  /** the body ended in this read: bytes up to here belong to it (the rest is not ours); -1 while it goes on */
  end: number;
  /** payload byte ranges (chunk framing left out) */
  payload: [number, number][];
}

const enum C {
  Size,
  SizeExt,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  Trailer,
  TrailerLf,
  TrailerLine,
  TrailerLineLf,
}

/**
 * Finds the end of a response body as it streams past: chunked (a small state machine over the chunk
 * sizes; the bytes themselves are not copied), a content length, or the connection's close.
 */
export class BodyFraming {
  readonly kind: 'chunked' | 'length' | 'close';
  private left: number;
  private state = C.Size;
  private size = 0;
  private sawDigit = false;
  done = false;

  private constructor(kind: 'chunked' | 'length' | 'close', length: number) {
    this.kind = kind;
    this.left = length;
  }

  static of(headers: Record<string, string>): BodyFraming {
    if (/\bchunked\b/i.test(headers['transfer-encoding'] ?? '')) return new BodyFraming('chunked', 0);
    const length = headers['content-length'];
    if (length !== undefined && /^\d+$/.test(length)) {
      const f = new BodyFraming('length', Number(length));
      if (f.left === 0) f.done = true;
      return f;
    }
    return new BodyFraming('close', 0);
  }

  /** Whether the relay may add a chunk of its own now (the last one it passed on is complete). */
  get atBoundary(): boolean {
    return this.kind !== 'chunked' || (this.state === C.Size && !this.sawDigit);
  }

  /** Scans one read. Throws on a malformed chunk size. */
  scan(buf: Buffer): Scan {
    const payload: [number, number][] = [];
    if (this.kind === 'close') return { end: -1, payload: buf.length > 0 ? [[0, buf.length]] : [] };
    if (this.kind === 'length') {
      const n = Math.min(this.left, buf.length);
      this.left -= n;
      if (n > 0) payload.push([0, n]);
      if (this.left === 0) this.done = true;
      return { end: this.done ? n : -1, payload };
    }
    let i = 0;
    while (i < buf.length) {
      const c = buf[i]!;
      switch (this.state) {
        case C.Size:
          if (c === 0x0d) {
            this.state = C.SizeLf;
          } else if (c === 0x3b || c === 0x20 || c === 0x09) {
            this.state = C.SizeExt;
          } else {
            const d = hexValue(c);
            if (d < 0 || this.size > 0x7ffffff) throw new Error('malformed chunk size');
            this.size = this.size * 16 + d;
            this.sawDigit = true;
          }
          i++;
          break;
        case C.SizeExt:
          if (c === 0x0d) this.state = C.SizeLf;
          i++;
          break;
        case C.SizeLf:
          if (c !== 0x0a || !this.sawDigit) throw new Error('malformed chunk size');
          i++;
          if (this.size === 0) {
            this.state = C.Trailer;
          } else {
            this.state = C.Data;
          }
          this.sawDigit = false;
          break;
        case C.Data: {
          const n = Math.min(this.size, buf.length - i);
          payload.push([i, i + n]);
          this.size -= n;
          i += n;
          if (this.size === 0) this.state = C.DataCr;
          break;
        }
        case C.DataCr:
          if (c !== 0x0d) throw new Error('malformed chunk end');
          this.state = C.DataLf;
          i++;
          break;
        case C.DataLf:
          if (c !== 0x0a) throw new Error('malformed chunk end');
          this.state = C.Size;
          i++;
          break;
        case C.Trailer:
          // after the zero-size chunk: an empty line ends the message, anything else is a trailer field
          this.state = c === 0x0d ? C.TrailerLf : C.TrailerLine;
          i++;
          break;
        case C.TrailerLf:
          if (c !== 0x0a) throw new Error('malformed chunked trailer');
          this.done = true;
          return { end: i + 1, payload };
        case C.TrailerLine:
          if (c === 0x0d) this.state = C.TrailerLineLf;
          i++;
          break;
        case C.TrailerLineLf:
          this.state = C.Trailer;
          i++;
          break;
      }
    }
    return { end: -1, payload };
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}
