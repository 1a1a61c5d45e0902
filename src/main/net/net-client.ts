import { rootCertificates } from 'node:tls';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { Agent, Dispatcher, ProxyAgent, buildConnector, fetch as undiciFetch, request as undiciRequest } from 'undici';
import { AppError } from '../../shared/errors';
import { extraCaFromEnv, tlsTrusting } from './extra-ca';
import { createHttpGet, type HttpGet, type HttpGetClient, type HttpResponse } from './http-get';
import { bypassesProxy, proxyFromEnv, redactProxy, type ProxyConfig } from './proxy-env';

type Env = Record<string, string | undefined>;

export type { HttpGet, HttpResponse } from './http-get';

export interface NetClientOptions {
  /** the core's environment: proxy and CA variables are read from it */
  env?: Env;
  /** Settings → Network: used where the environment names no proxy */
  settings?: () => { proxy: string | null; noProxy: string | null };
  /** offline mode: every request is refused before a connection is made */
  offline?: () => boolean;
  /** a connection that delivers nothing for this long fails (default 30 s) */
  idleTimeoutMs?: number;
  /** PEMs trusted besides Node's roots and the env's bundles (tests) */
  ca?: string[];
  /** told once per file named by a CA variable that could not be read */
  onWarning?: (message: string) => void;
  /**
   * Transport for direct (unproxied) downloads: `sockets`, the pooled-buffer HTTP/1.1 client, by
   * default, since the side-by-side bench measured it cheaper per byte than undici; `undici` for
   * everything. Proxied downloads and every `fetch` use undici either way.
   */
  downloads?: 'sockets' | 'undici';
  /**
   * Checks each direct connection's peer once it is made, before a byte is sent: why it is refused
   * (a metadata address, Switchyard itself), or null. Host names are checked after DNS this way.
   */
  guard?: (address: string, port: number) => string | null;
}

/** An answer whose body is a Node stream (the relay's input); nothing decompressed, no redirect followed. */
export interface NetAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
}

export interface NetRequest {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: Buffer | string;
  signal?: AbortSignal;
  /** undici's own timers, as a backstop behind the caller's (0: none) */
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
}

/** Unreleased body bytes per response before reading pauses: a few MiB per connection at most. */
const MAX_UNRELEASED = 4 * 1024 * 1024;
/** A refused or redirect body at most this long is read to the end so the connection stays open. */
const DRAIN_LIMIT = 64 * 1024;

/**
 * The one way out to the network (the Hub API, resolve and CDN downloads, the Ollama library,
 * blog and papers, vLLM's registry). undici keeps a pool of keep-alive connections per origin;
 * each request is routed to a direct pool or to a proxy (`ProxyAgent`: CONNECT for https, plain
 * forwarding for http, as curl does) by the proxy variables or Settings → Network, and
 * loopback never goes through a proxy. Direct file downloads take the pooled-buffer socket client
 * (`http-get.ts`) by default. Offline mode refuses every request here, whatever calls it.
 * Local runtimes (Ollama, vLLM on this machine) are not reached through this client.
 */
export class NetClient {
  readonly dispatcher: Dispatcher;
  private readonly direct: Agent;
  private readonly proxies = new Map<string, ProxyAgent>();
  private readonly env: Env;
  private readonly tls: ReturnType<typeof tlsTrusting>;
  private readonly idleMs: number;
  private readonly sockets: HttpGetClient | null;
  private cached: { key: string; config: ProxyConfig } | null = null;

  constructor(private readonly options: NetClientOptions = {}) {
    this.env = options.env ?? {};
    const extra = extraCaFromEnv(this.env);
    for (const p of extra.problems) options.onWarning?.(`extra CA bundle not used: ${p}`);
    this.tls = tlsTrusting(options.ca ? [...(extra.ca ?? rootCertificates), ...options.ca] : extra.ca);
    this.idleMs = options.idleTimeoutMs ?? 30_000;
    this.direct = new Agent(this.agentOptions({ connect: guardedConnector(this.tls, options.guard) }));
    this.dispatcher = new RoutingDispatcher((origin) => this.route(origin));
    this.sockets = options.downloads === 'undici' ? null : createHttpGet({ idleTimeoutMs: this.idleMs, tls: this.tls });
  }

  /** The proxy that a request to `url` goes through, or null for a direct connection. */
  proxyFor(url: string | URL): string | null {
    const u = typeof url === 'string' ? new URL(url) : url;
    const config = this.config();
    if (bypassesProxy(u, config.noProxy)) return null;
    return u.protocol === 'https:' ? config.httpsProxy : config.httpProxy;
  }

  /** Throws `offline` when offline mode is on: nothing leaves the machine then. */
  assertOnline(url: string | URL): void {
    if (!this.options.offline?.()) return;
    const host = typeof url === 'string' ? safeHost(url) : url.host;
    throw new AppError('offline', `Offline mode is on, so ${host} was not contacted — turn it off in the sidebar or Settings to reach the Hub.`);
  }

  /** `fetch` over this client's connections (redirects too: each hop is routed on its own). */
  readonly fetch: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    this.assertOnline(url);
    try {
      const res = await undiciFetch(url, { ...(init as object), dispatcher: this.dispatcher } as Parameters<typeof undiciFetch>[1]);
      return res as unknown as Response;
    } catch (error) {
      const cause = (error as { cause?: unknown }).cause;
      if (cause instanceof AppError) throw cause;
      throw error;
    }
  };

  /**
   * One request that never follows a redirect (a 3xx is returned as it is, so a key cannot follow it
   * to another host) and leaves the body compressed or not as it came: what the OpenAI relay and
   * provider calls use. Offline mode refuses it before a connection is made.
   */
  async request(url: string, init: NetRequest): Promise<NetAnswer> {
    this.assertOnline(url);
    const res = await undiciRequest(url, {
      method: init.method,
      headers: init.headers,
      body: init.body,
      signal: init.signal,
      dispatcher: this.dispatcher,
      headersTimeout: init.headersTimeoutMs,
      bodyTimeout: init.bodyTimeoutMs,
    });
    return { status: res.statusCode, headers: res.headers, body: res.body };
  }

  /**
   * A GET for big bodies: no redirects followed (the caller decides where Authorization goes).
   * Direct connections use the pooled-buffer socket client unless `downloads: 'undici'`; through a
   * proxy, a raw undici handler with no stream in between: each chunk goes to the reader as the
   * parser hands it over, and the parser (so the socket) pauses while too many bytes are unreleased.
   */
  readonly get: HttpGet = (url, headers, signal) => {
    return new Promise<HttpResponse>((resolve, reject) => {
      const exchange = new Exchange(signal, resolve, reject);
      try {
        const u = new URL(url);
        this.assertOnline(u);
        if (this.sockets && !this.proxyFor(u)) {
          this.sockets(url, headers, signal).then(resolve, reject);
          return;
        }
        this.dispatcher.dispatch(
          { origin: u.origin, path: `${u.pathname}${u.search}`, method: 'GET', headers, headersTimeout: this.idleMs, bodyTimeout: this.idleMs },
          exchange,
        );
      } catch (error) {
        exchange.onResponseError(null, error as Error);
      }
    });
  };

  async close(): Promise<void> {
    this.sockets?.close();
    const all = [this.direct, ...this.proxies.values()];
    this.proxies.clear();
    await Promise.all(all.map((d) => d.close().catch(() => d.destroy())));
  }

  private config(): ProxyConfig {
    const fallback = this.options.settings?.() ?? { proxy: null, noProxy: null };
    const key = `${fallback.proxy}\n${fallback.noProxy}`;
    if (this.cached?.key !== key) this.cached = { key, config: proxyFromEnv(this.env, fallback) };
    return this.cached.config;
  }

  private route(origin: URL): Dispatcher {
    this.assertOnline(origin);
    const proxy = this.proxyFor(origin);
    if (!proxy) return this.direct;
    let agent = this.proxies.get(proxy);
    if (!agent) {
      const tls = this.tls;
      try {
        // plain http through an http proxy is forwarded (absolute-form), as curl does; https is tunnelled with CONNECT
        agent = new ProxyAgent({ ...this.agentOptions({}), uri: proxy, proxyTunnel: false, requestTls: tls, proxyTls: tls });
      } catch (error) {
        throw new AppError('bad_request', `The proxy "${redactProxy(proxy)}" is not a usable URL (${(error as Error).message}). Fix HTTPS_PROXY / HTTP_PROXY or Settings → Network.`);
      }
      this.proxies.set(proxy, agent);
    }
    return agent;
  }

  private agentOptions<T extends object>(extra: T): T & Agent.Options {
    return { keepAliveTimeout: 30_000, keepAliveMaxTimeout: 10 * 60_000, headersTimeout: this.idleMs, bodyTimeout: this.idleMs, ...extra };
  }
}

/** Sends each request to the dispatcher its origin is routed to (direct or one of the proxies). */
class RoutingDispatcher extends Dispatcher {
  constructor(private readonly pick: (origin: URL) => Dispatcher) {
    super();
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const origin = options.origin instanceof URL ? options.origin : new URL(String(options.origin));
    return this.pick(origin).dispatch(options, handler);
  }

  // the agents behind it are closed by NetClient.close()
  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    if (callback) return void queueMicrotask(callback);
    return Promise.resolve();
  }

  override destroy(): Promise<void>;
  override destroy(error: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(error: Error | null, callback: () => void): void;
  override destroy(a?: unknown, b?: unknown): Promise<void> | void {
    const callback = typeof a === 'function' ? a : typeof b === 'function' ? b : null;
    if (callback) return void queueMicrotask(callback as () => void);
    return Promise.resolve();
  }
}

type Controller = Dispatcher.DispatchController;

/** One GET: resolves its promise at the response head, then feeds the body to `read`'s callback. */
class Exchange implements Dispatcher.DispatchHandler {
  private controller: Controller | null = null;
  private headers: Record<string, string | string[] | undefined> = {};
  private status = 0;
  private headed = false;
  private consumer: ((bytes: Buffer, release: () => void) => void) | null = null;
  private queued: Buffer[] = [];
  private unreleased = 0;
  private finished: { error: unknown } | null = null;
  private settleBody: ((error: unknown) => void) | null = null;

  constructor(
    private readonly signal: AbortSignal,
    private readonly resolveHead: (res: HttpResponse) => void,
    private readonly rejectHead: (error: unknown) => void,
  ) {}

  private readonly onAbort = () => this.controller?.abort(this.signal.reason instanceof Error ? this.signal.reason : new Error('aborted'));

  onRequestStart(controller: Controller): void {
    this.controller = controller;
    if (this.signal.aborted) this.onAbort();
    else this.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  onResponseStart(controller: Controller, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    this.status = statusCode;
    this.headers = headers;
    this.headed = true;
    controller.pause(); // until read() or discard()
    this.resolveHead({
      status: statusCode,
      header: (name) => {
        const v = this.headers[name.toLowerCase()];
        if (v === undefined) return null;
        return Array.isArray(v) ? v.join(', ') : v;
      },
      read: (onData) => this.read(onData),
      discard: () => this.discard(),
    });
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    this.unreleased += chunk.length;
    if (this.consumer) this.deliver(chunk);
    else this.queued.push(chunk);
    if (this.unreleased >= MAX_UNRELEASED) controller.pause();
  }

  onResponseEnd(): void {
    this.finish(null);
  }

  onResponseError(_controller: Controller | null, error: Error): void {
    const reason = this.signal.aborted ? (this.signal.reason ?? error) : error;
    if (!this.headed) {
      this.headed = true;
      this.signal.removeEventListener('abort', this.onAbort);
      this.rejectHead(reason);
      return;
    }
    this.finish(reason);
  }

  private deliver(chunk: Buffer): void {
    let released = false;
    this.consumer!(chunk, () => {
      if (released) return;
      released = true;
      this.unreleased -= chunk.length;
      if (this.controller?.paused && this.consumer && !this.finished && this.unreleased <= MAX_UNRELEASED / 2) this.controller.resume();
    });
  }

  private read(onData: (bytes: Buffer, release: () => void) => void): Promise<void> {
    if (this.consumer) return Promise.reject(new Error('the body is already being read'));
    this.consumer = onData;
    return new Promise<void>((resolve, reject) => {
      this.settleBody = (error) => (error ? reject(error) : resolve());
      for (const chunk of this.queued.splice(0)) this.deliver(chunk);
      if (this.finished) this.settle();
      else if (this.unreleased < MAX_UNRELEASED) this.controller?.resume();
    });
  }

  private discard(): void {
    this.queued = [];
    if (this.finished) return;
    // a short body (a redirect's) is read to its end so the connection goes back to the pool
    const length = Number(this.header('content-length') ?? NaN);
    if (length <= DRAIN_LIMIT) {
      this.consumer = (_bytes, release) => release();
      this.controller?.resume();
    } else this.controller?.abort(new Error('the body was discarded'));
    this.finish(new Error('the body was discarded'));
  }

  private header(name: string): string | null {
    const v = this.headers[name];
    return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
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

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/**
 * undici's connector with a look at the peer before the connection is handed over: a name that
 * resolves to a refused address is refused however it was spelled or whatever DNS said earlier.
 */
function guardedConnector(tls: ReturnType<typeof tlsTrusting>, guard: NetClientOptions['guard']): buildConnector.connector | ReturnType<typeof tlsTrusting> {
  if (!guard) return tls;
  const connect = buildConnector({ ...(tls ?? {}) });
  return (options, callback) =>
    connect(options, (error, socket) => {
      if (error || !socket) return callback(error ?? new Error('no socket'), null);
      const s = socket as Socket;
      const why = s.remoteAddress ? guard(s.remoteAddress, s.remotePort ?? Number(options.port)) : null;
      if (!why) return callback(null, socket);
      s.destroy();
      callback(new AppError('destination_not_allowed', `${options.hostname}: ${why} — Switchyard does not connect there.`), null);
    });
}
