import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { errorMessage, isAppError } from '../../shared/errors';
import type { Logger } from '../logger';
import type { NetClient } from '../net/net-client';
import { requestNamesServedModel } from '../../shared/model-names';
import { endpointLabel, endpointUrl, type ServingEndpoint } from '../serving/endpoint';
import type { RequestTracker, UsageRecorder } from '../usage/usage-recorder';
import { OpenAiError, sendJson } from './errors';
import { UsageInspector } from './usage-inspector';

export { OpenAiError, type OpenAiErrorBody } from './errors';

export type OpenAiEndpoint = 'chat.completions' | 'completions' | 'embeddings';
/** below the endpoint's apiBase, which carries the version path (`/v1`, `/openai/v1`…) */
const UPSTREAM_PATHS: Record<OpenAiEndpoint, string> = {
  'chat.completions': '/chat/completions',
  completions: '/completions',
  embeddings: '/embeddings',
};

// hop-by-hop and length headers are the proxy's own business
const DROP_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'date', 'server']);
const MODELS_TIMEOUT_MS = 5_000;

export interface OpenAiProxyOptions {
  /** where requests go now (the activation service's endpoint), or null when nothing answers */
  activeEndpoint: () => ServingEndpoint | null;
  /** how endpoints off this machine are reached (TLS, proxies, CAs, offline refusal) */
  net?: Pick<NetClient, 'fetch'>;
  /** how long to wait for response headers, and for the next chunk of an answer (Settings › Runtime) */
  timeouts?: () => { headersMs: number; idleMs: number };
  /** why nothing answers although a model is active (a runtime that stopped answering), for the 503 */
  unavailable?: () => { message: string; code: string } | null;
  usage: UsageRecorder;
  logger: Logger;
  /** keep-alive agent for upstream connections; replaceable in tests */
  agent?: http.Agent;
  /** called for every request routed to a model (the manifest's `last_used`) */
  onUse?: (model: string) => void;
  /** remote providers' path (remote/forwarder.ts): governance, fallback, cost, their own auth only */
  remote?: { handles(provider: string): boolean; forward(kind: OpenAiEndpoint, provider: string, model: string, payload: Record<string, unknown>, req: IncomingMessage, res: ServerResponse, tracker: RequestTracker): Promise<void> };
}

/**
 * The OpenAI-compatible endpoint: forwards requests to the active runtime over kept-alive connections
 * and pipes the answer back chunk by chunk (nothing buffered; the body is only peeked at for `usage`).
 * A client that goes away aborts the upstream request, so the runtime stops generating.
 */
export class OpenAiProxy {
  private readonly agent: http.Agent;

  /** parsed loopback upstreams per apiBase (a `new URL` per request is measurable at thousands of requests/s) */
  private readonly upstreams = new Map<string, LoopbackUpstream>();

  constructor(private readonly options: OpenAiProxyOptions) {
    // noDelay: chunks leave as they are written (Nagle would hold small SSE events back on both hops;
    // Node's HTTP server sets it on the client side too). Enough free sockets for bursts of streams.
    this.agent = options.agent ?? new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 256, scheduling: 'lifo', noDelay: true });
  }

  close(): void {
    this.agent.destroy();
  }

  /** Resolves which runtime/model serves `requested`, or throws the OpenAI-style 503/404. */
  route(requested: unknown): { endpoint: ServingEndpoint; model: string | null } {
    const endpoint = this.options.activeEndpoint();
    const down = endpoint ? null : this.options.unavailable?.();
    if (down) throw new OpenAiError(503, down.message, 'service_unavailable', down.code);
    if (!endpoint) {
      throw new OpenAiError(
        503,
        'No model is active in Switchyard — activate one (Switchyard › Installed › Activate, or POST /api/v1/system/llm-servers/active) and retry.',
        'service_unavailable',
        'no_active_model',
      );
    }
    const name = typeof requested === 'string' && requested.trim() !== '' ? requested.trim() : null;
    if (!endpoint.model) return { endpoint, model: name };
    if (name === null || requestNamesServedModel(name, endpoint.model)) return { endpoint, model: endpoint.model };
    throw new OpenAiError(
      404,
      `The model \`${name}\` is not being served: Switchyard serves \`${endpoint.model}\` on ${endpointLabel(endpoint)} right now — activate \`${name}\` in Switchyard first, or ask for \`${endpoint.model}\`.`,
      'invalid_request_error',
      'model_not_found',
      'model',
    );
  }

  /** `GET /v1/models`: the active model as the runtime describes it (empty list when nothing is active). */
  async models(): Promise<{ object: 'list'; data: Record<string, unknown>[] }> {
    const endpoint = this.options.activeEndpoint();
    if (!endpoint) return { object: 'list', data: [] };
    let cards: Record<string, unknown>[] = [];
    try {
      const res = await this.fetchFor(endpoint)(endpointUrl(endpoint.apiBase, '/models'), { headers: endpoint.headers, signal: AbortSignal.timeout(MODELS_TIMEOUT_MS) });
      if (res.ok) cards = ((await res.json()) as { data?: Record<string, unknown>[] | null }).data ?? [];
    } catch (error) {
      this.options.logger.debug({ error: errorMessage(error) }, 'upstream /v1/models failed');
    }
    if (!endpoint.model) return { object: 'list', data: cards };
    const card = cards.find((c) => typeof c.id === 'string' && requestNamesServedModel(c.id, endpoint.model!));
    return {
      object: 'list',
      data: [card ? { ...card, id: endpoint.model } : { id: endpoint.model, object: 'model', created: Math.floor(Date.now() / 1000), owned_by: endpoint.kind === 'remote' ? endpoint.provider : endpoint.runtime }],
    };
  }

  /**
   * Forwards one request. `body` is the raw request body (forwarded byte for byte unless the model name
   * has to be rewritten) or an already parsed object. Takes over the raw response: status and headers
   * come from the runtime, the body is written as it arrives.
   */
  forward(kind: OpenAiEndpoint, body: unknown, req: IncomingMessage, res: ServerResponse): Promise<void> {
    let routed: { endpoint: ServingEndpoint; model: string | null };
    let payload: Record<string, unknown>;
    let upstreamUrl: LoopbackUpstream | null;
    try {
      let parsed = body;
      if (Buffer.isBuffer(body)) {
        try {
          parsed = JSON.parse(body.toString('utf8'));
        } catch {
          throw new OpenAiError(400, 'The request body is not valid JSON (see the OpenAI API reference).', 'invalid_request_error', null);
        }
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new OpenAiError(400, 'The request body must be a JSON object (see the OpenAI API reference).', 'invalid_request_error', null);
      }
      payload = parsed as Record<string, unknown>;
      routed = this.route(payload.model);
      upstreamUrl = routed.endpoint.transport === 'loopback' ? this.upstream(routed.endpoint.apiBase) : null;
    } catch (error) {
      const e = error instanceof OpenAiError ? error : new OpenAiError(500, 'Internal error in the Switchyard proxy.', 'api_error', null);
      sendJson(res, e.status, e.body());
      return Promise.resolve();
    }
    // the client's bytes go upstream as they are; only a model named differently (an alias, or none) is rewritten
    let data = Buffer.isBuffer(body) ? body : null;
    if (routed.model !== null && payload.model !== routed.model) {
      payload.model = routed.model;
      data = null;
    }
    data ??= Buffer.from(JSON.stringify(payload));
    const stream = payload.stream === true;
    const tracker = this.options.usage.begin(routed.model ?? 'unknown', routed.endpoint.runtime, kind);
    if (routed.model) this.options.onUse?.(routed.model);
    if (routed.endpoint.kind === 'remote' && routed.model && this.options.remote?.handles(routed.endpoint.provider)) {
      return this.options.remote.forward(kind, routed.endpoint.provider, routed.model, payload, req, res, tracker);
    }
    if (!upstreamUrl) return this.forwardNet(kind, routed.endpoint, data, stream, req, res, tracker);

    return new Promise<void>((resolve) => {
      const inspector = new UsageInspector(stream);
      let finished = false;
      // one timer per request: first the wait for response headers, then the silence between chunks
      const { headersMs, idleMs } = this.timeouts();
      let timer = setTimeout(() => onTimeout(false), headersMs);
      const finish = (status: number) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        const usage = inspector.usage();
        tracker.finish({ status, promptTokens: usage.prompt, completionTokens: usage.completion });
        resolve();
      };

      // A runtime that accepted the request but went quiet (hung, SIGSTOP'd, swapped out): the client gets
      // an OpenAI-shaped error instead of waiting forever — a 504 before any header, an SSE `error` event
      // inside a stream (OpenAI's clients raise it), a cut connection inside any other body.
      let streaming = false;
      const onTimeout = (answering: boolean) => {
        if (finished) return;
        const label = endpointLabel(routed.endpoint);
        const e = new OpenAiError(
          504,
          answering
            ? `${label} stopped sending the answer (nothing for ${Math.round(idleMs / 1000)} s): it may be hung — check Switchyard › Runtimes (Restart) and its log.`
            : `${label} sent no answer within ${Math.round(headersMs / 1000)} s: it may be hung or overloaded — check Switchyard › Runtimes (Restart) and its log.`,
          'api_error',
          'upstream_timeout',
        );
        upstream.removeAllListeners('response');
        upstream.on('error', () => {});
        upstream.destroy();
        if (!res.headersSent) sendJson(res, 504, e.body());
        else if (streaming && !res.writableEnded) res.end(`data: ${JSON.stringify(e.body())}\n\n`);
        else res.destroy();
        finish(504);
      };

      const onUpstreamError = (error: unknown) => {
        if (finished) return;
        if (!res.headersSent) {
          const e = new OpenAiError(
            502,
            `${endpointLabel(routed.endpoint)} did not answer on ${routed.endpoint.apiBase} (${errorMessage(error)}) — check Switchyard › Runtimes and its log.`,
            'api_error',
            'upstream_unavailable',
          );
          sendJson(res, 502, e.body());
        } else {
          res.destroy();
        }
        finish(502);
      };

      let upstream: http.ClientRequest;
      try {
        upstream = http.request(
          {
            hostname: upstreamUrl.hostname,
            port: upstreamUrl.port,
            path: upstreamUrl.paths[kind],
            method: 'POST',
            agent: this.agent,
            headers: {
              'content-type': 'application/json',
              'content-length': data.length,
              accept: stream ? 'text/event-stream' : 'application/json',
              // the runtime may log or route by it; never forward Switchyard's own bearer token
              ...(req.headers['x-request-id'] ? { 'x-request-id': req.headers['x-request-id'] } : {}),
              ...routed.endpoint.headers,
            },
          },
          (up) => onResponse(up),
        );
      } catch (error) {
        onUpstreamError(error); // e.g. a header value Node refuses
        return;
      }

      const onResponse = (up: IncomingMessage) => {
        if (finished) return;
        clearTimeout(timer);
        timer = setTimeout(() => onTimeout(true), idleMs);
        up.on('error', () => {}); // after a timeout the destroyed response may still report its abort
        const status = up.statusCode ?? 502;
        const headers: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !DROP_HEADERS.has(k)) headers[k] = v;
        const isStream = String(up.headers['content-type'] ?? '').includes('text/event-stream');
        streaming = isStream;
        if (isStream) {
          headers['cache-control'] = 'no-cache, no-transform';
          headers['x-accel-buffering'] = 'no';
        } else if (up.headers['content-length']) {
          headers['content-length'] = up.headers['content-length'];
        }
        // headers leave with the first chunk (one write instead of two); nothing waits for more data
        res.writeHead(status, headers);
        inspector.ok = status < 400;
        // When the runtime's last chunk and its end of body arrive in one read (the usual case: `[DONE]`
        // and the chunked terminator), end the answer before Node flushes the corked socket, so both
        // leave in one write like they came in, instead of a second syscall (and a second wake-up of the
        // client) for the terminator alone. Queued before `write`, so it runs ahead of Node's uncork.
        const endIfComplete = () => {
          if (up.complete && up.readableLength === 0 && !res.writableEnded) res.end();
        };
        up.on('data', (chunk: Buffer) => {
          if (finished) return;
          timer.refresh();
          // time to first token: the first chunk that carries generated text (not the role-only opener)
          if (inspector.push(chunk) && isStream) tracker.firstToken();
          process.nextTick(endIfComplete);
          if (!res.write(chunk)) {
            up.pause();
            res.once('drain', () => up.resume());
          }
        });
        up.on('end', () => {
          if (!res.writableEnded) res.end();
          finish(status);
        });
        up.on('error', () => {
          if (finished) return;
          res.destroy();
          finish(res.writableEnded ? status : 502);
        });
        up.on('aborted', () => {
          if (finished) return;
          res.destroy();
          finish(502);
        });
      };

      upstream.on('error', onUpstreamError);

      // The client went away before the answer was complete: cancel the runtime's work.
      res.on('close', () => {
        if (res.writableFinished) return;
        upstream.destroy();
        finish(499);
      });

      upstream.end(data);
    });
  }

  private timeouts(): { headersMs: number; idleMs: number } {
    return this.options.timeouts?.() ?? { headersMs: 600_000, idleMs: 120_000 };
  }

  private upstream(apiBase: string): LoopbackUpstream {
    let u = this.upstreams.get(apiBase);
    if (!u) {
      const url = new URL(apiBase);
      const prefix = url.pathname.replace(/\/+$/, '');
      const paths = Object.fromEntries(Object.entries(UPSTREAM_PATHS).map(([k, p]) => [k, prefix + p])) as Record<OpenAiEndpoint, string>;
      // `[::1]` → `::1`: http.request wants the bare address
      u = { hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port, paths };
      this.upstreams.set(apiBase, u);
    }
    return u;
  }

  private fetchFor(endpoint: ServingEndpoint): typeof fetch {
    return endpoint.transport === 'net' && this.options.net ? this.options.net.fetch : fetch;
  }

  /**
   * An endpoint off this machine, through NetClient (undici: TLS, proxies, extra CAs; offline mode
   * refuses before connecting). The answer is piped as it arrives, with the same usage accounting.
   */
  private async forwardNet(kind: OpenAiEndpoint, endpoint: ServingEndpoint, data: Buffer, stream: boolean, req: IncomingMessage, res: ServerResponse, tracker: ReturnType<UsageRecorder['begin']>): Promise<void> {
    const inspector = new UsageInspector(stream);
    const abort = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) abort.abort();
    };
    res.on('close', onClose);
    let status = 502;
    try {
      const up = await this.fetchFor(endpoint)(endpointUrl(endpoint.apiBase, UPSTREAM_PATHS[kind]), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: stream ? 'text/event-stream' : 'application/json',
          ...(typeof req.headers['x-request-id'] === 'string' ? { 'x-request-id': req.headers['x-request-id'] } : {}),
          ...endpoint.headers,
        },
        body: new Uint8Array(data), // a copy typed as fetch wants it (remote requests are not the hot path)
        signal: abort.signal,
      });
      status = up.status;
      const headers: Record<string, string> = {};
      up.headers.forEach((v, k) => {
        if (!DROP_HEADERS.has(k) && k !== 'content-encoding') headers[k] = v;
      });
      if ((up.headers.get('content-type') ?? '').includes('text/event-stream')) {
        headers['cache-control'] = 'no-cache, no-transform';
        headers['x-accel-buffering'] = 'no';
      }
      res.writeHead(status, headers);
      inspector.ok = status < 400;
      const reader = up.body?.getReader();
      for (;;) {
        if (!reader) break;
        const { done, value: part } = await reader.read();
        if (done) break;
        {
          const chunk = Buffer.from(part.buffer, part.byteOffset, part.byteLength);
          if (inspector.push(chunk) && stream) tracker.firstToken();
          if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
        }
      }
      res.end();
    } catch (error) {
      if (abort.signal.aborted) status = 499;
      else if (!res.headersSent) {
        const offline = isAppError(error) && error.code === 'offline';
        const e = offline
          ? new OpenAiError(503, error.message, 'service_unavailable', 'offline')
          : new OpenAiError(502, `${endpointLabel(endpoint)} did not answer on ${endpoint.apiBase} (${errorMessage(error)}) — check the endpoint and Settings › Network.`, 'api_error', 'upstream_unavailable');
        sendJson(res, e.status, e.body());
        status = e.status;
      } else {
        res.destroy();
        status = 502;
      }
    } finally {
      res.off('close', onClose);
      const usage = inspector.usage();
      tracker.finish({ status, promptTokens: usage.prompt, completionTokens: usage.completion });
    }
  }
}

interface LoopbackUpstream {
  hostname: string;
  port: string;
  /** the full path per endpoint (apiBase's own path + the endpoint's) */
  paths: Record<OpenAiEndpoint, string>;
}
