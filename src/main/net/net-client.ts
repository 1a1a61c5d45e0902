import { rootCertificates } from 'node:tls';
import { Agent, Dispatcher, ProxyAgent, fetch as undiciFetch } from 'undici';
import { AppError } from '../../shared/errors';
import { extraCaFromEnv } from './extra-ca';
import { bypassesProxy, proxyFromEnv, redactProxy, type ProxyConfig } from './proxy-env';

type Env = Record<string, string | undefined>;

/**
 * A GET response whose body is handed over piece by piece: each piece stays valid until its
 * `release()` is called (after it reached the disk) and reading pauses while too many bytes are
 * unreleased, so a slow disk bounds memory per connection.
 */
export interface HttpResponse {
  status: number;
  header(name: string): string | null;
  /** Delivers the body; resolves at its end, rejects when the connection fails before it. Once. */
  read(onData: (bytes: Buffer, release: () => void) => void): Promise<void>;
  /** Drops the body (a small one is drained so its connection can be reused). */
  discard(): void;
}

export type HttpGet = (url: string, headers: Record<string, string>, signal: AbortSignal) => Promise<HttpResponse>;

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
 * loopback never goes through a proxy. Offline mode refuses every request here, whatever calls it.
 * Local runtimes (Ollama, vLLM on this machine) are not reached through this client.
 */
export class NetClient {
  readonly dispatcher: Dispatcher;
  private readonly direct: Agent;
  private readonly proxies = new Map<string, ProxyAgent>();
  private readonly env: Env;
  private readonly tlsCa: string[] | undefined;
  private readonly idleMs: number;
  private cached: { key: string; config: ProxyConfig } | null = null;

  constructor(private readonly options: NetClientOptions = {}) {
    this.env = options.env ?? {};
    const extra = extraCaFromEnv(this.env);
    for (const p of extra.problems) options.onWarning?.(`extra CA bundle not used: ${p}`);
    this.tlsCa = options.ca ? [...(extra.ca ?? rootCertificates), ...options.ca] : extra.ca;
    this.idleMs = options.idleTimeoutMs ?? 30_000;
    this.direct = new Agent(this.agentOptions({ connect: this.tlsCa ? { ca: this.tlsCa } : undefined }));
    this.dispatcher = new RoutingDispatcher((origin) => this.route(origin));
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

  /** A GET for big bodies: no redirects followed (the caller decides where Authorization goes). */
  readonly get: HttpGet = async (url, headers, signal) => {
    const u = new URL(url);
    this.assertOnline(u);
    const res = await this.dispatcher.request({
      origin: u.origin,
      path: `${u.pathname}${u.search}`,
      method: 'GET',
      headers,
      signal,
      headersTimeout: this.idleMs,
      bodyTimeout: this.idleMs,
      highWaterMark: 1024 * 1024,
    });
    return wrapResponse(res);
  };

  async close(): Promise<void> {
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
      const tls = this.tlsCa ? { ca: this.tlsCa } : undefined;
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

function wrapResponse(res: Dispatcher.ResponseData): HttpResponse {
  const { body } = res;
  let reading = false;
  return {
    status: res.statusCode,
    header(name) {
      const v = res.headers[name.toLowerCase()];
      if (v === undefined) return null;
      return Array.isArray(v) ? v.join(', ') : v;
    },
    discard() {
      const length = Number(res.headers['content-length'] ?? NaN);
      if (length <= DRAIN_LIMIT) body.dump({ limit: DRAIN_LIMIT }).catch(() => {});
      else body.destroy();
    },
    read(onData) {
      if (reading) return Promise.reject(new Error('the body is already being read'));
      reading = true;
      return new Promise<void>((resolve, reject) => {
        let unreleased = 0;
        let paused = false;
        body.on('data', (chunk: Buffer) => {
          unreleased += chunk.length;
          let released = false;
          onData(chunk, () => {
            if (released) return;
            released = true;
            unreleased -= chunk.length;
            if (paused && unreleased <= MAX_UNRELEASED / 2) {
              paused = false;
              body.resume();
            }
          });
          if (!paused && unreleased >= MAX_UNRELEASED) {
            paused = true;
            body.pause();
          }
        });
        body.once('end', () => resolve());
        body.once('error', (error) => reject(error));
        body.once('close', () => {
          if (!body.readableEnded) reject(new Error('the connection closed before the body ended'));
        });
      });
    },
  };
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
