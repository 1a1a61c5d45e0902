import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorMessage, isAppError } from '../../shared/errors';
import type { Logger } from '../logger';
import type { NetClient } from '../net/net-client';
import { requestNamesServedModel } from '../../shared/model-names';
import { endpointLabel, endpointUrl, type ServingEndpoint } from '../serving/endpoint';
import type { RequestTracker, UsageRecorder } from '../usage/usage-recorder';
import { OpenAiError, sendJson } from './errors';
import { LoopbackClient, requestHeadPrefix } from './loopback-client';
import { ANSWER_ENDED, awaitHead, CLIENT_GONE, clientGone, relayAnswer, relayRaw, RequestStop, statusOf, StopRequest, type RelayEnd, type UpstreamAnswer } from './relay';
import { estimatePromptTokens, parseRequestBody } from './request-body';
import { UsageInspector } from './usage-inspector';
import type { RoutingTable } from '../router/routing-table';
import type { RouteEntry } from '../router/table';
import { readCappedResponse } from '../net/capped-body';

export { OpenAiError, type OpenAiErrorBody } from './errors';

export type OpenAiEndpoint = 'chat.completions' | 'completions' | 'embeddings';
/** below the endpoint's apiBase, which carries the version path (`/v1`, `/openai/v1`…) */
const UPSTREAM_PATHS: Record<OpenAiEndpoint, string> = {
  'chat.completions': '/chat/completions',
  completions: '/completions',
  embeddings: '/embeddings',
};

const MODELS_TIMEOUT_MS = 5_000;
const MAX_MODELS_BODY = 4 * 1024 * 1024;

export interface OpenAiProxyOptions {
  /** the routing table: which route a request's `model` names, and where it answers */
  router: Pick<RoutingTable, 'resolve' | 'ensureLoaded' | 'touch' | 'models'>;
  /** how endpoints off this machine are reached (TLS, proxies, CAs, offline refusal) */
  net?: Pick<NetClient, 'fetch' | 'request'>;
  /** how long to wait for response headers, and for the next chunk of an answer (Settings › Runtime) */
  timeouts?: () => { headersMs: number; idleMs: number };
  usage: UsageRecorder;
  logger: Logger;
  /** called for every request routed to a model (the manifest's `last_used`) */
  onUse?: (model: string) => void;
  /** remote providers' path (remote/forwarder.ts): governance, fallback, cost, their own auth only */
  remote?: {
    handles(provider: string): boolean;
    /** `stop`: stopped when the client leaves (the proxy's one listener) */
    forward(kind: OpenAiEndpoint, provider: string, model: string, payload: Record<string, unknown>, req: IncomingMessage, res: ServerResponse, tracker: RequestTracker, stop: RequestStop): Promise<Outcome>;
  };
}

/**
 * The OpenAI-compatible endpoint: forwards requests to the active runtime over kept-alive connections
 * and pipes the answer back chunk by chunk (nothing buffered; the body is only peeked at for `usage`).
 * A client that goes away aborts the upstream request, so the runtime stops generating.
 */
export class OpenAiProxy {
  /** raw keep-alive sockets to local runtimes: the hot path (see loopback-client.ts) */
  private readonly loopback = new LoopbackClient();

  /** parsed loopback upstreams per endpoint, with their request heads (a `new URL` per request is measurable at thousands of requests/s) */
  private readonly upstreams = new WeakMap<ServingEndpoint, LoopbackUpstream>();
  /** per local runtime, the requests waiting on it (see `releaseRuntime`) */
  private readonly inFlight = new Map<string, Set<RequestStop>>();

  constructor(private readonly options: OpenAiProxyOptions) {}

  close(): void {
    this.loopback.close();
  }

  /**
   * Which route serves `requested` (the router's table: a map read), and where it answers now; no
   * endpoint when a load on demand is due (`load`). Throws the OpenAI-style refusal: nothing is sent upstream then.
   */
  private resolve(requested: unknown, kind: OpenAiEndpoint): { route: RouteEntry; endpoint: ServingEndpoint | null; model: string } {
    const { router } = this.options;
    const name = typeof requested === 'string' && requested.trim() !== '' ? requested.trim() : undefined;
    let r = router.resolve(name, kind);
    // a provider that is down, with a fallback configured: the fallback's route, resolved like any name
    if (!r.ok && r.code === 'upstream_down' && r.fallback) {
      const f = router.resolve(r.fallback, kind);
      if (f.ok) r = f;
    }
    if (!r.ok) throw new OpenAiError(r.status, r.message, r.status >= 500 ? 'service_unavailable' : 'invalid_request_error', r.code, 'model', r.retryAfter);
    return { route: r.route, endpoint: r.load ? null : r.endpoint, model: r.upstreamModel };
  }

  private async load(r: { route: RouteEntry; model: string }, signal: AbortSignal): Promise<Routed> {
    try {
      return { route: r.route, endpoint: await this.options.router.ensureLoaded(r.route, signal), model: r.model };
    } catch (error) {
      if (!isAppError(error)) throw error;
      throw new OpenAiError(error.status, error.message, error.status >= 500 ? 'api_error' : 'invalid_request_error', error.code, 'model');
    }
  }

  /** `GET /v1/models`: every model that answers now by name, local ones as their runtime describes them. */
  async models(): Promise<{ object: 'list'; data: Record<string, unknown>[] }> {
    const { data } = this.options.router.models();
    const cards = new Map<string, Promise<Record<string, unknown>[]>>();
    const out = await Promise.all(
      data.map(async (m) => {
        const r = this.options.router.resolve(m.id, 'chat.completions');
        // a remote provider is not asked: its model list is what its validation saw, and no key leaves for a listing
        if (!r.ok || r.route.kind !== 'local' || !r.endpoint) return m;
        const e = r.endpoint;
        if (!cards.has(e.apiBase)) cards.set(e.apiBase, this.runtimeCards(e));
        const card = (await cards.get(e.apiBase)!).find((c) => typeof c.id === 'string' && requestNamesServedModel(c.id, r.upstreamModel));
        return card ? { ...card, id: m.id, owned_by: m.owned_by } : m;
      }),
    );
    return { object: 'list', data: out };
  }

  /** What a local runtime says of its models (an empty list when it does not answer in time). */
  private async runtimeCards(endpoint: ServingEndpoint): Promise<Record<string, unknown>[]> {
    try {
      const res = await this.fetchFor(endpoint)(endpointUrl(endpoint.apiBase, '/models'), { headers: endpoint.headers, signal: AbortSignal.timeout(MODELS_TIMEOUT_MS) });
      if (!res.ok) return [];
      const { text } = await readCappedResponse(res, MAX_MODELS_BODY);
      return (JSON.parse(text) as { data?: Record<string, unknown>[] | null }).data ?? [];
    } catch (error) {
      this.options.logger.debug({ error: errorMessage(error) }, 'upstream /v1/models failed');
      return [];
    }
  }

  /**
   * Forwards one request. `body` is the raw request body (forwarded byte for byte unless the model name
   * has to be rewritten). Takes over the raw response: status and headers come from the upstream, the
   * body is relayed as it arrives. Never rejects, whatever the body: every failure is an OpenAI-shaped
   * answer (or a cut connection once the answer began), and the request is accounted for in `finally`.
   */
  async forward(kind: OpenAiEndpoint, body: unknown, req: IncomingMessage, res: ServerResponse): Promise<void> {
    let tracker: RequestTracker | null = null;
    const outcome: Outcome = { status: 500, prompt: null, completion: null };
    const bodyBytes = Buffer.isBuffer(body) ? body.length : 0;
    let route: RouteEntry | null = null;
    const gone = clientGone(res);
    try {
      const payload = parseRequestBody(body);
      // the common case answers without a wait: only a load on demand is awaited
      const resolved = this.resolve(payload.model, kind);
      const routed = resolved.endpoint ? (resolved as Routed) : await this.load(resolved, gone.stop.signal);
      route = routed.route;
      this.options.router.touch(route);
      // the client's bytes go upstream as they are; only a model named differently (an alias, a
      // `provider/model`, or none) is rewritten, and only after the depth check bounded what JSON.stringify walks
      let data = Buffer.isBuffer(body) ? body : null;
      if (payload.model !== routed.model) {
        payload.model = routed.model;
        data = null;
      }
      data ??= Buffer.from(JSON.stringify(payload));
      const stream = payload.stream === true;
      const { endpoint } = routed;
      tracker = this.options.usage.begin(route.name, endpoint.runtime, kind);
      if (route.kind === 'local') this.options.onUse?.(route.name);
      if (route.kind === 'remote' && this.options.remote?.handles(route.provider)) {
        Object.assign(outcome, await this.options.remote.forward(kind, route.provider, routed.model, payload, req, res, tracker, gone.stop));
      } else {
        Object.assign(outcome, await this.forwardTo(kind, endpoint, data, stream, req, res, tracker, gone.stop));
      }
    } catch (error) {
      const e = error instanceof OpenAiError ? error : new OpenAiError(500, 'Internal error in the Switchyard proxy — see its log.', 'api_error', null);
      if (!(error instanceof OpenAiError)) this.options.logger.error({ error: errorMessage(error) }, 'OpenAI request failed');
      if (!res.headersSent) sendJson(res, e.status, e.body(), e.retryAfter === undefined ? undefined : { 'retry-after': String(e.retryAfter) });
      else res.destroy();
      outcome.status = e.status;
    } finally {
      gone.dispose();
      // a long stream is use until its end (idle unload counts from here)
      if (route) this.options.router.touch(route);
      // a client that left, or an answer without usage, still counts: the prompt from the request's size
      tracker?.finish({ status: outcome.status, promptTokens: outcome.prompt ?? estimatePromptTokens(bodyBytes), completionTokens: outcome.completion ?? 0 });
    }
  }

  /**
   * A runtime or endpoint of ours (a local runtime over loopback, or one off this machine through
   * NetClient). `stop` is the request's: the client leaving, the runtime turning unresponsive
   * (`releaseRuntime`) or the head's timeout end it.
   */
  private async forwardTo(kind: OpenAiEndpoint, endpoint: ServingEndpoint, data: Buffer, stream: boolean, req: IncomingMessage, res: ServerResponse, tracker: RequestTracker, stop: RequestStop): Promise<Outcome> {
    const label = endpointLabel(endpoint);
    const { headersMs, idleMs } = this.timeouts();
    const requestId = req.headers['x-request-id'];
    const release = this.hold(endpoint, stop);
    try {
      const headError = () => timedOut(label, false, headersMs, idleMs);
      const inspector = new UsageInspector(stream);
      const relay = { inspector, idleMs, idleError: () => timedOut(label, true, headersMs, idleMs), stop, onFirstToken: () => tracker.firstToken() };
      let end: RelayEnd;
      let status: number;
      try {
        if (endpoint.transport === 'loopback') {
          const u = this.upstream(endpoint);
          // the runtime may log or route by the client's request id; Switchyard's own bearer token is never forwarded
          const extra = typeof requestId === 'string' && !/[\r\n]/.test(requestId) ? `x-request-id: ${requestId}\r\n` : '';
          const timer = setTimeout(() => stop.stop(new StopRequest(headError())), headersMs);
          let ans;
          try {
            ans = await this.loopback.request(u.hostname, u.port, u.head(kind, stream) + extra, data, stop);
          } finally {
            clearTimeout(timer);
          }
          status = ans.head.status;
          end = await relayRaw(ans, req, res, relay);
        } else {
          const url = endpointUrl(endpoint.apiBase, UPSTREAM_PATHS[kind]);
          const headers = { ...upstreamHeaders(stream), ...(typeof requestId === 'string' ? { 'x-request-id': requestId } : {}), ...endpoint.headers };
          const abort = new AbortController();
          try {
            const up = await awaitHead((signal) => this.openNet(url, data, headers, signal, headersMs, idleMs), headersMs, headError, stop, abort);
            status = up.status;
            end = await relayAnswer(up, res, relay);
          } finally {
            abort.abort(ANSWER_ENDED);
          }
        }
      } catch (error) {
        if (error instanceof StopRequest) {
          if (error.error === CLIENT_GONE) return { status: 499, prompt: null, completion: null };
          throw error.error;
        }
        if (isAppError(error) && error.code === 'offline') throw new OpenAiError(503, error.message, 'service_unavailable', 'offline');
        throw new OpenAiError(502, `${label} did not answer on ${endpoint.apiBase} (${errorMessage(error)}) — check Switchyard › Runtimes and its log.`, 'api_error', 'upstream_unavailable');
      }
      const usage = inspector.usage();
      return { status: statusOf(end, status), prompt: usage.prompt, completion: usage.completion };
    } finally {
      release();
    }
  }

  private async openNet(url: string, data: Buffer, headers: Record<string, string>, signal: AbortSignal, headersMs: number, idleMs: number): Promise<UpstreamAnswer> {
    if (!this.options.net) throw new Error('no network client');
    return this.options.net.request(url, { method: 'POST', headers, body: data, signal, headersTimeoutMs: headersMs + 1_000, bodyTimeoutMs: idleMs + 1_000 });
  }

  /**
   * Requests in flight to a local runtime: when it turns `unresponsive` (hung, SIGSTOP'd), they end at
   * once with 504 `runtime_unresponsive` instead of waiting out the header timeout.
   */
  private hold(endpoint: ServingEndpoint, stop: RequestStop): () => void {
    if (endpoint.kind !== 'local') return () => {};
    let set = this.inFlight.get(endpoint.runtime);
    if (!set) this.inFlight.set(endpoint.runtime, (set = new Set()));
    set.add(stop);
    return () => set.delete(stop);
  }

  /** A local runtime stopped answering its health probes: release every request waiting on it. */
  releaseRuntime(runtime: string, why: string): void {
    const set = this.inFlight.get(runtime);
    if (!set || set.size === 0) return;
    const e = new OpenAiError(504, why, 'api_error', 'runtime_unresponsive');
    for (const stop of set) stop.stop(new StopRequest(e));
    set.clear();
  }

  private timeouts(): { headersMs: number; idleMs: number } {
    return this.options.timeouts?.() ?? { headersMs: 600_000, idleMs: 120_000 };
  }

  private upstream(endpoint: ServingEndpoint): LoopbackUpstream {
    let u = this.upstreams.get(endpoint);
    if (!u) {
      const url = new URL(endpoint.apiBase);
      const prefix = url.pathname.replace(/\/+$/, '');
      // `[::1]` → `::1`: net.connect wants the bare address
      const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
      const port = Number(url.port || 80);
      const heads = new Map<string, string>();
      const head = (kind: OpenAiEndpoint, stream: boolean): string => {
        const key = `${kind}:${stream}`;
        let text = heads.get(key);
        if (text === undefined) heads.set(key, (text = requestHeadPrefix(hostname, port, prefix + UPSTREAM_PATHS[kind], { ...upstreamHeaders(stream), ...endpoint.headers })));
        return text;
      };
      u = { hostname, port, head };
      this.upstreams.set(endpoint, u);
    }
    return u;
  }

  private fetchFor(endpoint: ServingEndpoint): typeof fetch {
    return endpoint.transport === 'net' && this.options.net ? this.options.net.fetch : fetch;
  }
}

/** What a forwarded request ended as, for the usage record. */
export interface Outcome {
  status: number;
  prompt: number | null;
  completion: number | null;
}

/**
 * A runtime that accepted the request but went quiet (hung, swapped out): a 504 before any header, an
 * SSE `error` event inside a stream, a cut connection inside any other body.
 */
function timedOut(label: string, answering: boolean, headersMs: number, idleMs: number): OpenAiError {
  return new OpenAiError(
    504,
    answering
      ? `${label} stopped sending the answer (nothing for ${Math.round(idleMs / 1000)} s): it may be hung — check Switchyard › Runtimes (Restart) and its log.`
      : `${label} sent no answer within ${Math.round(headersMs / 1000)} s: it may be hung or overloaded — check Switchyard › Runtimes (Restart) and its log.`,
    'api_error',
    'upstream_timeout',
  );
}

interface LoopbackUpstream {
  hostname: string;
  port: number;
  /** the request head for an endpoint (apiBase's own path + the endpoint's) but its length */
  head(kind: OpenAiEndpoint, stream: boolean): string;
}

interface Routed {
  route: RouteEntry;
  endpoint: ServingEndpoint;
  model: string;
}

/** What Switchyard sends every upstream besides the endpoint's own auth. */
function upstreamHeaders(stream: boolean): Record<string, string> {
  return {
    'content-type': 'application/json',
    accept: stream ? 'text/event-stream' : 'application/json',
    'accept-encoding': 'identity', // the relay reads `usage` in the bytes it passes on
  };
}
