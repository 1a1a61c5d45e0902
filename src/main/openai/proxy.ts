import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import type { RuntimeName } from '../../shared/api/runtimes';
import { errorMessage } from '../../shared/errors';
import type { Logger } from '../logger';
import type { UsageRecorder } from '../usage/usage-recorder';

export type OpenAiEndpoint = 'chat.completions' | 'completions' | 'embeddings';
const UPSTREAM_PATHS: Record<OpenAiEndpoint, string> = {
  'chat.completions': '/v1/chat/completions',
  completions: '/v1/completions',
  embeddings: '/v1/embeddings',
};

export interface ActiveEndpoint {
  runtime: RuntimeName;
  baseUrl: string;
  model: string | null;
  /** what the runtime's API demands (vLLM's API key); never the client's own Authorization */
  headers?: Record<string, string>;
}

/** OpenAI error envelope: `{error: {message, type, param, code}}`. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | number | null };
}

export class OpenAiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly code: string | null,
    readonly param: string | null = null,
  ) {
    super(message);
  }

  body(): OpenAiErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

const RUNTIME_NAMES: Record<RuntimeName, string> = { ollama: 'Ollama', vllm: 'vLLM' };
// hop-by-hop and length headers are the proxy's own business
const DROP_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'date', 'server']);
const MAX_INSPECT_BYTES = 8 * 1024 * 1024;
const MODELS_TIMEOUT_MS = 5_000;
/** an SSE chunk with non-empty generated text (chat `content`, completion `text`, or reasoning) */
const GENERATED_TEXT = /"(?:content|text|reasoning_content|reasoning)":"(?:[^"\\]|\\.)/;

export interface OpenAiProxyOptions {
  activeEndpoint: () => ActiveEndpoint | null;
  usage: UsageRecorder;
  logger: Logger;
  /** keep-alive agent for upstream connections; replaceable in tests */
  agent?: http.Agent;
  /** called for every request routed to a model (the manifest's `last_used`) */
  onUse?: (model: string) => void;
}

/**
 * The OpenAI-compatible endpoint: forwards requests to the active runtime over kept-alive connections
 * and pipes the answer back chunk by chunk (nothing buffered; the body is only peeked at for `usage`).
 * A client that goes away aborts the upstream request, so the runtime stops generating.
 */
export class OpenAiProxy {
  private readonly agent: http.Agent;

  /** parsed upstream URLs per base URL (a `new URL` per request is measurable at thousands of requests/s) */
  private readonly upstreams = new Map<string, { hostname: string; port: string }>();

  constructor(private readonly options: OpenAiProxyOptions) {
    // noDelay: chunks leave as they are written (Nagle would hold small SSE events back on both hops;
    // Node's HTTP server sets it on the client side too). Enough free sockets for bursts of streams.
    this.agent = options.agent ?? new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 256, scheduling: 'lifo', noDelay: true });
  }

  close(): void {
    this.agent.destroy();
  }

  /** Resolves which runtime/model serves `requested`, or throws the OpenAI-style 503/404. */
  route(requested: unknown): { endpoint: ActiveEndpoint; model: string | null } {
    const endpoint = this.options.activeEndpoint();
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
    if (name === null || sameModel(name, endpoint.model)) return { endpoint, model: endpoint.model };
    throw new OpenAiError(
      404,
      `The model \`${name}\` is not being served: Switchyard serves \`${endpoint.model}\` on ${RUNTIME_NAMES[endpoint.runtime]} right now — activate \`${name}\` in Switchyard first, or ask for \`${endpoint.model}\`.`,
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
      const res = await fetch(`${endpoint.baseUrl}/v1/models`, { headers: endpoint.headers, signal: AbortSignal.timeout(MODELS_TIMEOUT_MS) });
      if (res.ok) cards = ((await res.json()) as { data?: Record<string, unknown>[] | null }).data ?? [];
    } catch (error) {
      this.options.logger.debug({ error: errorMessage(error) }, 'upstream /v1/models failed');
    }
    if (!endpoint.model) return { object: 'list', data: cards };
    const card = cards.find((c) => typeof c.id === 'string' && sameModel(c.id, endpoint.model!));
    return {
      object: 'list',
      data: [card ? { ...card, id: endpoint.model } : { id: endpoint.model, object: 'model', created: Math.floor(Date.now() / 1000), owned_by: endpoint.runtime }],
    };
  }

  /**
   * Forwards one request. `body` is the raw request body (forwarded byte for byte unless the model name
   * has to be rewritten) or an already parsed object. Takes over the raw response: status and headers
   * come from the runtime, the body is written as it arrives.
   */
  forward(kind: OpenAiEndpoint, body: unknown, req: IncomingMessage, res: ServerResponse): Promise<void> {
    let routed: { endpoint: ActiveEndpoint; model: string | null };
    let payload: Record<string, unknown>;
    let upstreamUrl: { hostname: string; port: string };
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
      upstreamUrl = this.upstream(routed.endpoint.baseUrl);
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

    return new Promise<void>((resolve) => {
      const inspector = new UsageInspector(stream);
      let finished = false;
      const finish = (status: number) => {
        if (finished) return;
        finished = true;
        const usage = inspector.usage();
        tracker.finish({ status, promptTokens: usage.prompt, completionTokens: usage.completion });
        resolve();
      };

      const onUpstreamError = (error: unknown) => {
        if (finished) return;
        if (!res.headersSent) {
          const e = new OpenAiError(
            502,
            `${RUNTIME_NAMES[routed.endpoint.runtime]} did not answer on ${routed.endpoint.baseUrl} (${errorMessage(error)}) — check Switchyard › Runtimes and its log.`,
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
            path: UPSTREAM_PATHS[kind],
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
        const status = up.statusCode ?? 502;
        const headers: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !DROP_HEADERS.has(k)) headers[k] = v;
        const isStream = String(up.headers['content-type'] ?? '').includes('text/event-stream');
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
          res.destroy();
          finish(res.writableEnded ? status : 502);
        });
        up.on('aborted', () => {
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

  private upstream(baseUrl: string): { hostname: string; port: string } {
    let u = this.upstreams.get(baseUrl);
    if (!u) {
      const url = new URL(baseUrl);
      // `[::1]` → `::1`: http.request wants the bare address
      u = { hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port };
      this.upstreams.set(baseUrl, u);
    }
    return u;
  }
}

/** Watches the body for `usage` without holding anything back. */
class UsageInspector {
  ok = true;
  private prompt: number | null = null;
  private completion: number | null = null;
  private tokenChunks = 0;
  private readonly decoder = new StringDecoder('utf8');
  private rest = '';
  private body: Buffer[] = [];
  private bodyBytes = 0;

  constructor(private readonly stream: boolean) {}

  /** Returns whether this chunk completed an SSE event carrying generated text. */
  push(chunk: Buffer): boolean {
    if (!this.stream) {
      if (this.bodyBytes + chunk.length <= MAX_INSPECT_BYTES) this.body.push(chunk);
      this.bodyBytes += chunk.length;
      return false;
    }
    let sawText = false;
    const text = this.rest + this.decoder.write(chunk);
    const lastNl = text.lastIndexOf('\n');
    if (lastNl === -1) {
      this.rest = text.length > 1 << 20 ? '' : text;
      return false;
    }
    this.rest = text.slice(lastNl + 1);
    let from = 0;
    for (;;) {
      const i = text.indexOf('data:', from);
      if (i === -1 || i > lastNl) break;
      const end = text.indexOf('\n', i);
      const line = text.slice(i + 5, end).trim();
      from = end + 1;
      if (line === '[DONE]' || line === '') continue;
      if (GENERATED_TEXT.test(line)) {
        this.tokenChunks++;
        sawText = true;
      }
      if (line.includes('"usage"')) this.readUsage(line);
    }
    return sawText;
  }

  usage(): { prompt: number | null; completion: number | null } {
    if (!this.stream && this.ok && this.body.length > 0 && this.bodyBytes <= MAX_INSPECT_BYTES) {
      this.readUsage(Buffer.concat(this.body).toString('utf8'));
      this.body = [];
    }
    // A stream without a usage chunk (the client did not ask for it): one text chunk is about one token.
    if (this.stream && this.ok && this.completion === null && this.tokenChunks > 0) return { prompt: this.prompt, completion: this.tokenChunks };
    return { prompt: this.prompt, completion: this.completion };
  }

  private readUsage(json: string): void {
    try {
      const usage = (JSON.parse(json) as { usage?: { prompt_tokens?: number; completion_tokens?: number } | null }).usage;
      if (!usage) return;
      if (typeof usage.prompt_tokens === 'number') this.prompt = usage.prompt_tokens;
      if (typeof usage.completion_tokens === 'number') this.completion = usage.completion_tokens;
    } catch {
      // not JSON: nothing to count
    }
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** `Qwen/Qwen3-0.6B` ~ `qwen3-0.6b`; `llama3.2` ~ `llama3.2:latest`. */
export function sameModel(requested: string, served: string): boolean {
  if (requested === served) return true;
  const norm = (s: string) => s.toLowerCase().replace(/:latest$/, '');
  const a = norm(requested);
  const b = norm(served);
  return a === b || a === b.slice(b.lastIndexOf('/') + 1);
}
