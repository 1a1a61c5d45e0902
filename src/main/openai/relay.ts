import type { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { RawAnswer, Scan } from './loopback-client';
import { OpenAiError } from './errors';
import type { UsageInspector } from './usage-inspector';

/** An upstream's answer once its head arrived: the body is read by `relayAnswer` only. */
export interface UpstreamAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
}

/** How a relay ended; it never rejects. */
export type RelayEnd =
  | { kind: 'done' }
  /** the client went away: the upstream was aborted */
  | { kind: 'client_gone' }
  /** the upstream's body broke off */
  | { kind: 'cut' }
  /** Switchyard ended it (silence past the idle limit, a runtime gone unresponsive): `error` was sent */
  | { kind: 'stopped'; error: OpenAiError };

// hop-by-hop and length headers are the relay's own business
const DROP_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'date', 'server', 'set-cookie']);

/** An abort reason that says what to answer. */
export class StopRequest extends Error {
  constructor(readonly error: OpenAiError) {
    super(error.message);
  }
}

/**
 * The abort reason of an upstream request whose answer is over (or failed): made once, since an abort
 * without a reason builds a DOMException, stack trace and all, for every request.
 */
export const ANSWER_ENDED = new Error('the answer ended');

/** The stop of a client that went away: nothing is answered to it, and nothing is wrong upstream. */
export const CLIENT_GONE = new OpenAiError(499, 'the client went away', 'api_error', null);

/**
 * Why one request must end now — its client left, its runtime stopped answering, a timeout — set once.
 * The loopback path listens with plain callbacks: no AbortController or EventTarget per request (they
 * were a measurable part of the proxy's per-request CPU). `signal` makes an AbortSignal for the paths
 * that need one (a load on demand, a request through NetClient), only when one is asked for.
 */
export class RequestStop {
  reason: StopRequest | null = null;
  private listeners: ((reason: StopRequest) => void)[] = [];
  private controller: AbortController | null = null;

  stop(reason: StopRequest): void {
    if (this.reason) return;
    this.reason = reason;
    this.controller?.abort(reason);
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) listener(reason);
  }

  /** Called once with the reason when the request is stopped (not when it already was: check `reason` first). */
  on(listener: (reason: StopRequest) => void): void {
    this.listeners.push(listener);
  }

  off(listener: (reason: StopRequest) => void): void {
    const i = this.listeners.indexOf(listener);
    if (i >= 0) this.listeners.splice(i, 1);
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.reason) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }
}

/**
 * The stop of one request, set with `StopRequest(CLIENT_GONE)` when the client closes before its answer
 * is complete: one listener per request, passed down to the head wait, the relay, the loads and the
 * providers' path.
 */
export function clientGone(res: ServerResponse): { stop: RequestStop; dispose: () => void } {
  const stop = new RequestStop();
  const onClose = () => {
    if (!res.writableFinished) stop.stop(new StopRequest(CLIENT_GONE));
  };
  res.on('close', onClose);
  return { stop, dispose: () => res.off('close', onClose) };
}

/** What a stop's reason ends a relay with. */
function stopped(reason: StopRequest): RelayEnd {
  return reason.error === CLIENT_GONE ? { kind: 'client_gone' } : { kind: 'stopped', error: reason.error };
}

/** The status a relayed request is recorded with. */
export function statusOf(end: RelayEnd, status: number): number {
  switch (end.kind) {
    case 'done':
      return status;
    case 'client_gone':
      return 499;
    case 'cut':
      return 502;
    case 'stopped':
      return end.error.status;
    default: {
      const never: never = end;
      return never;
    }
  }
}

/**
 * Waits for the upstream's response head: at most `firstByteMs`, and no longer than `stop` (the client
 * leaving, a runtime gone unresponsive) allows. The signal `open` gets aborts the request whichever way
 * it ends, body included, so a caller passes it on to the upstream request. Rejects with a
 * `StopRequest` (timeout, stop) or the upstream's own error.
 */
export async function awaitHead<T>(open: (signal: AbortSignal) => Promise<T>, firstByteMs: number, timeoutError: () => OpenAiError, stop: RequestStop, abort: AbortController): Promise<T> {
  const timer = setTimeout(() => abort.abort(new StopRequest(timeoutError())), firstByteMs);
  const onStop = (reason: StopRequest) => abort.abort(reason);
  if (stop.reason) abort.abort(stop.reason);
  else stop.on(onStop);
  try {
    return await open(abort.signal);
  } catch (error) {
    throw abort.signal.aborted ? abort.signal.reason : error;
  } finally {
    clearTimeout(timer);
    stop.off(onStop);
  }
}

export interface RelayOptions {
  inspector: UsageInspector;
  /** the longest silence allowed between chunks (and the longest a client may leave a full buffer unread) */
  idleMs: number;
  idleError: () => OpenAiError;
  /**
   * ends the answer now: the client left (nothing more is written), a runtime stopped answering (its
   * error is). The relays do not watch the client's `close` themselves: this is stopped then (`clientGone`).
   */
  stop: RequestStop;
  onFirstToken?: () => void;
  /** added to the upstream's headers */
  headers?: Record<string, string>;
}

/**
 * The one streaming loop of the OpenAI endpoint, for local runtimes and remote providers alike: writes
 * the head, then each chunk as it arrives (nothing held back, the body only peeked at for `usage`). It
 * ends when either side does: the client's `close` destroys the upstream; waiting for `drain` always
 * races `close`, the idle timer and `stop`, so no client can hold it. Inside a stream an error arrives
 * as an SSE `error` event (OpenAI's clients raise it); inside any other body, as a cut connection.
 */
export function relayAnswer(up: UpstreamAnswer, res: ServerResponse, options: RelayOptions): Promise<RelayEnd> {
  const { body } = up;
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !DROP_HEADERS.has(k)) headers[k] = v;
  const isStream = String(up.headers['content-type'] ?? '').includes('text/event-stream');
  if (isStream) {
    headers['cache-control'] = 'no-cache, no-transform';
    headers['x-accel-buffering'] = 'no';
  } else if (up.headers['content-length'] !== undefined) {
    headers['content-length'] = up.headers['content-length'];
  }
  if (options.headers) Object.assign(headers, options.headers);
  const { inspector, stop } = options;
  inspector.ok = up.status < 400;

  return new Promise<RelayEnd>((resolve) => {
    let ended = false;
    let waiting = false;
    const timer = setTimeout(() => end({ kind: 'stopped', error: options.idleError() }), options.idleMs);

    const end = (how: RelayEnd) => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      body.off('data', onData).off('end', onEnd).off('error', onBroken).off('close', onBroken);
      res.off('drain', onDrain);
      stop.off(onStop);
      body.on('error', () => {}); // a destroyed body may still report its abort
      if (how.kind === 'done') {
        if (!res.writableEnded) res.end();
      } else {
        body.destroy();
        if (how.kind === 'stopped' && isStream && !res.writableEnded && !res.destroyed) res.end(`data: ${JSON.stringify(how.error.body())}\n\n`);
        else if (!res.writableEnded) res.destroy();
      }
      resolve(how);
    };

    // When the upstream's last chunk and its end arrive in one read (the usual case: `[DONE]` and the
    // chunked terminator), end the answer before Node flushes the corked socket, so both leave in one
    // write like they came in. Queued before `write`, so it runs ahead of Node's uncork.
    const endIfComplete = () => {
      if (!ended && body.readableEnded !== true && (body as { complete?: boolean }).complete === true && body.readableLength === 0) end({ kind: 'done' });
    };
    const onData = (chunk: Buffer) => {
      timer.refresh();
      // time to first token: the first chunk that carries generated text (not the role-only opener)
      if (inspector.push(chunk) && isStream) options.onFirstToken?.();
      process.nextTick(endIfComplete);
      if (!res.write(chunk)) {
        waiting = true;
        body.pause();
      }
    };
    const onDrain = () => {
      if (!waiting) return;
      waiting = false;
      timer.refresh();
      body.resume();
    };
    const onEnd = () => end({ kind: 'done' });
    const onBroken = () => end({ kind: 'cut' });
    const onStop = (reason: StopRequest) => end(stopped(reason));

    res.writeHead(up.status, headers);
    res.on('drain', onDrain);
    body.on('data', onData).on('end', onEnd).on('error', onBroken).on('close', onBroken);
    if (stop.reason) onStop(stop.reason);
    else stop.on(onStop);
  });
}

/**
 * The same loop for a local runtime's answer on a raw socket (`LoopbackClient`). Where it can, it passes
 * the runtime's bytes on as they are, chunk framing included (one read, one write, as a bare TCP relay
 * does); `BodyFraming` finds the body's end and its payload for the usage peek. Where it cannot (a test's
 * injected request without a socket, an HTTP/1.0 client, a body delimited by the connection's close) it
 * writes the payload through the response, which frames it itself.
 */
export function relayRaw(ans: RawAnswer, req: IncomingMessage, res: ServerResponse, options: RelayOptions): Promise<RelayEnd> {
  const { head, socket: up, framing } = ans;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(head.headers)) if (!DROP_HEADERS.has(k)) headers[k] = v;
  const isStream = (head.headers['content-type'] ?? '').includes('text/event-stream');
  if (isStream) {
    headers['cache-control'] = 'no-cache, no-transform';
    headers['x-accel-buffering'] = 'no';
  } else if (framing.kind === 'length') {
    headers['content-length'] = head.headers['content-length']!;
  }
  if (options.headers) Object.assign(headers, options.headers);
  const client = res.socket;
  const raw = framing.kind !== 'close' && client instanceof Socket && req.httpVersion === '1.1' && !res.headersSent;
  const { inspector, stop } = options;
  inspector.ok = head.status < 400;

  return new Promise<RelayEnd>((resolve) => {
    let ended = false;
    let started = false;
    let waiting = false;
    const timer = setTimeout(() => end({ kind: 'stopped', error: options.idleError() }, false), options.idleMs);

    const end = (how: RelayEnd, reusable: boolean) => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      up.off('data', onData).off('end', onBroken).off('close', onBroken).off('error', onBroken);
      (raw ? client! : res).off('drain', onDrain);
      stop.off(onStop);
      ans.release(how.kind === 'done' && reusable);
      if (!started && !res.headersSent && how.kind !== 'client_gone') res.writeHead(head.status, headers);
      if (how.kind === 'done') {
        if (!res.writableEnded) res.end();
      } else if (how.kind === 'stopped' && isStream && framing.atBoundary && framing.kind !== 'length' && !res.writableEnded && !res.destroyed) {
        const event = Buffer.from(`data: ${JSON.stringify(how.error.body())}\n\n`);
        if (raw && started) client!.write(`${event.length.toString(16)}\r\n${event.toString('latin1')}\r\n`, 'latin1');
        else res.write(event);
        res.end();
      } else if (!res.writableEnded) {
        res.destroy();
      }
      resolve(how);
    };

    const onData = (buf: Buffer) => {
      timer.refresh();
      let scan: Scan;
      try {
        scan = framing.scan(buf);
      } catch {
        return end({ kind: 'cut' }, false);
      }
      let text = false;
      for (const [a, b] of scan.payload) if (inspector.push(a === 0 && b === buf.length ? buf : buf.subarray(a, b))) text = true;
      // time to first token: the first chunk that carries generated text (not the role-only opener)
      if (text && isStream) options.onFirstToken?.();
      const done = scan.end >= 0;
      let more: boolean;
      if (raw) {
        const out = done && scan.end < buf.length ? buf.subarray(0, scan.end) : buf;
        client!.cork();
        if (!started) {
          started = true;
          res.writeHead(head.status, headers);
          res.flushHeaders(); // the head leaves with the first bytes, in one write
        }
        more = client!.write(out);
        if (done) {
          // the runtime's own terminating chunk went with `out`: the response must not add another
          if (framing.kind === 'chunked') (res as { chunkedEncoding?: boolean }).chunkedEncoding = false;
          end({ kind: 'done' }, scan.end === buf.length);
        }
        client!.uncork();
      } else {
        if (!started) {
          started = true;
          res.writeHead(head.status, headers);
        }
        const parts = scan.payload.map(([a, b]) => buf.subarray(a, b));
        more = parts.length === 0 || res.write(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
        if (done) end({ kind: 'done' }, scan.end === buf.length);
      }
      if (!more && !done && !ended) {
        waiting = true;
        up.pause();
      }
    };
    const onDrain = () => {
      if (!waiting) return;
      waiting = false;
      timer.refresh();
      up.resume();
    };
    // a body delimited by the connection's close ends with it; any other is cut short by it
    const onBroken = () => end(framing.kind === 'close' ? { kind: 'done' } : { kind: 'cut' }, false);
    const onStop = (reason: StopRequest) => end(stopped(reason), false);

    (raw ? client! : res).on('drain', onDrain);
    up.on('data', onData).on('end', onBroken).on('close', onBroken).on('error', onBroken);
    if (stop.reason) return onStop(stop.reason);
    stop.on(onStop);
    if (framing.done) {
      end({ kind: 'done' }, ans.rest.length === 0);
      return;
    }
    if (ans.rest.length > 0) onData(ans.rest);
    if (!ended) up.resume();
  });
}
