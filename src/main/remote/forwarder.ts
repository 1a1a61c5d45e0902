import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ReasonCode } from '../../shared/api/remote';
import type { AppError } from '../../shared/errors';
import type { EventBus } from '../events';
import type { Logger } from '../logger';
import { OpenAiError } from '../openai/errors';
import { UsageInspector } from '../openai/usage-inspector';
import type { RequestTracker } from '../usage/usage-recorder';
import { costOf, estimateTokens, type Refusal } from './governance';
import { PRESETS } from './presets';
import type { ProviderTarget } from './provider-service';
import type { Remote } from './remote';
import { classifyNetError, reasonOfStatus, upstreamMessage } from './upstream-errors';

export type RemoteEndpointKind = 'chat.completions' | 'completions' | 'embeddings';
const PATHS: Record<RemoteEndpointKind, string> = { 'chat.completions': '/chat/completions', completions: '/completions', embeddings: '/embeddings' };
const DROP_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'content-encoding', 'date', 'server', 'set-cookie']);
/** Failures, before the first byte, that a configured fallback takes over (LiteLLM's list, give or take). */
const FALLBACK_REASONS = new Set<ReasonCode>(['timeout', 'unreachable', 'auth_error', 'rate_limited', 'budget_exceeded', 'upstream_error']);
const MAX_ERROR_BODY = 64 * 1024;

export interface RemoteForwarderOptions {
  remote: Remote;
  fetch: typeof fetch;
  events: EventBus;
  logger: Logger;
  offline: () => boolean;
}

/** One try at one provider that failed before anything reached the client. */
interface Failure {
  reason: ReasonCode;
  error: OpenAiError;
  retryAfter: string | null;
  /** false for the client's own mistakes (a bad parameter, an endpoint the provider lacks): a fallback would fail alike */
  fallbackable: boolean;
}

/** The client went away before the answer began: nothing to answer, nothing to fall back to. */
const GONE = 'gone' as const;

/**
 * The proxy's path to a remote provider. Before anything is sent: offline refusal, the provider's
 * endpoints (no embeddings at Anthropic), hard budgets, rpm/tpm. Then the request goes through NetClient
 * with the provider's own auth only (never Switchyard's token or the client's Authorization). A failure
 * before the first byte goes to the configured fallback, if any, validated and online; once bytes flow,
 * nothing is retried. Every try is recorded with its cost and reason code.
 */
export class RemoteForwarder {
  constructor(private readonly options: RemoteForwarderOptions) {}

  /** Whether `provider` is a registered remote provider (other process-less drivers keep the plain path). */
  handles(provider: string): boolean {
    return this.options.remote.repo.get(provider) !== null;
  }

  async forward(kind: RemoteEndpointKind, provider: string, model: string, payload: Record<string, unknown>, req: IncomingMessage, res: ServerResponse, tracker: RequestTracker): Promise<void> {
    const stream = payload.stream === true;
    const abort = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) abort.abort();
    };
    res.on('close', onClose);
    try {
      const first = await this.attempt(kind, provider, model, payload, stream, req, res, tracker, abort.signal, null);
      if (!first || first === GONE) return;
      const fallback = this.fallbackFor(provider, first);
      if (!fallback) return this.fail(res, provider, first, null, tracker);
      const header = `${provider} -> ${fallback.provider}; reason=${first.reason}`;
      this.options.events.emit({ type: 'provider.fallback', from: { provider, model }, to: fallback, reason: first.reason });
      this.options.logger.info({ from: provider, to: fallback.provider, reason: first.reason }, 'remote request fell back');
      const second = await this.attempt(kind, fallback.provider, fallback.model, { ...payload, model: fallback.model }, stream, req, res, tracker, abort.signal, header);
      if (second && second !== GONE) this.fail(res, fallback.provider, second, header, tracker);
    } finally {
      res.off('close', onClose);
    }
  }

  /** Sends to one provider. Resolves null once the answer was piped to the client, or the failure. */
  private async attempt(
    kind: RemoteEndpointKind,
    provider: string,
    model: string,
    payload: Record<string, unknown>,
    stream: boolean,
    req: IncomingMessage,
    res: ServerResponse,
    tracker: RequestTracker,
    signal: AbortSignal,
    fallbackHeader: string | null,
  ): Promise<Failure | typeof GONE | null> {
    const { remote } = this.options;
    let target: ProviderTarget;
    try {
      target = remote.providers.target(provider);
    } catch {
      return failure('upstream_error', new OpenAiError(503, `The remote provider ${provider} is no longer registered — activate another model.`, 'service_unavailable', 'no_active_model'));
    }
    const host = safeHost(target.base);
    const record = (error: ReasonCode | null, prompt = 0, completion = 0) =>
      remote.budgets.record(target.row, { model, error, fallback: fallbackHeader !== null, promptTokens: prompt, completionTokens: completion, costUsd: costOf(target.row.governance.price, prompt, completion) ?? 0 });

    if (this.options.offline()) {
      record('offline');
      return failure('offline', new OpenAiError(503, `Offline mode is on, so ${host} was not contacted — turn offline mode off to use ${provider}.`, 'service_unavailable', 'offline'));
    }
    const preset = PRESETS[target.row.kind];
    if ((kind === 'embeddings' && !preset.embeddings) || (kind === 'completions' && !preset.completions)) {
      return failure('upstream_error', new OpenAiError(404, `${preset.label} has no ${PATHS[kind]} endpoint — use /v1/chat/completions with ${provider}.`, 'invalid_request_error', 'unsupported_endpoint'), null, false);
    }
    const refused = remote.budgets.check(target.row) ?? this.admit(target, payload);
    if (refused && 'reason' in refused) {
      record(refused.reason);
      return failure(refused.reason, new OpenAiError(429, refused.message, 'rate_limit_error', refused.reason), refused.retryAfterS === null ? null : String(refused.retryAfterS));
    }
    const settle = refused?.settle ?? (() => {});

    const timeoutMs = (target.row.governance.first_byte_timeout_s ?? 60) * 1000;
    const headersDue = AbortSignal.timeout(timeoutMs);
    let up: Response;
    try {
      up = await this.options.fetch(`${target.base}${PATHS[kind]}`, {
        method: 'POST',
        // built here from the provider's configuration: nothing of the client's request headers but its id
        headers: {
          'content-type': 'application/json',
          accept: stream ? 'text/event-stream' : 'application/json',
          ...(typeof req.headers['x-request-id'] === 'string' ? { 'x-request-id': req.headers['x-request-id'] } : {}),
          ...target.headers,
        },
        body: JSON.stringify(payload),
        signal: AbortSignal.any([signal, headersDue]),
      });
    } catch (error) {
      settle(0);
      if (signal.aborted) {
        tracker.finish({ status: 499 });
        return GONE;
      }
      const c = headersDue.aborted ? { reason: 'timeout' as const, message: `${host} did not begin to answer within ${timeoutMs / 1000} s.` } : classifyNetError(error, host);
      record(c.reason);
      const status = c.reason === 'offline' ? 503 : c.reason === 'timeout' ? 504 : 502;
      return failure(c.reason, new OpenAiError(status, `${provider}: ${c.message}`, status === 503 ? 'service_unavailable' : 'api_error', c.reason));
    }

    if (up.status >= 400) {
      settle(0);
      const text = (await up.text().catch(() => '')).slice(0, MAX_ERROR_BODY);
      const reason = reasonOfStatus(up.status, text);
      record(reason);
      const said = upstreamMessage(text, target.key);
      if (reason === 'auth_error') {
        // not 401: to a client, 401 means Switchyard's own token was refused
        return failure(reason, new OpenAiError(502, `${provider} refused its API key (${up.status}: ${said}) — fix it in Switchyard › Providers and validate again.`, 'api_error', 'auth_error'));
      }
      if (reason === 'rate_limited') return failure(reason, new OpenAiError(429, `${provider} is rate limiting (429: ${said}).`, 'rate_limit_error', 'rate_limited'), up.headers.get('retry-after'));
      if (up.status >= 500) return failure(reason, new OpenAiError(502, `${provider} failed (${up.status}: ${said}).`, 'api_error', 'upstream_error'));
      // the client's own request was refused (a bad parameter, an unknown model): its status, its words
      return failure('upstream_error', new OpenAiError(up.status, `${provider}: ${said}`, 'invalid_request_error', null), null, false);
    }

    // the first byte: from here on the answer is the client's, whatever happens
    const headers: Record<string, string> = {};
    up.headers.forEach((v, k) => {
      if (!DROP_HEADERS.has(k)) headers[k] = v;
    });
    headers['x-switchyard-provider'] = provider;
    if (fallbackHeader) headers['x-switchyard-fallback'] = fallbackHeader;
    if ((up.headers.get('content-type') ?? '').includes('text/event-stream')) {
      headers['cache-control'] = 'no-cache, no-transform';
      headers['x-accel-buffering'] = 'no';
    }
    res.writeHead(up.status, headers);
    const inspector = new UsageInspector(stream);
    let error: ReasonCode | null = null;
    try {
      for await (const part of up.body as unknown as AsyncIterable<Uint8Array>) {
        const chunk = Buffer.from(part.buffer, part.byteOffset, part.byteLength);
        if (inspector.push(chunk) && stream) tracker.firstToken();
        if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
      }
      res.end();
    } catch {
      error = signal.aborted ? null : 'stream_cut';
      res.destroy();
    }
    const usage = inspector.usage();
    settle((usage.prompt ?? 0) + (usage.completion ?? 0));
    record(error, usage.prompt ?? 0, usage.completion ?? 0);
    tracker.finish({ status: signal.aborted ? 499 : error ? 502 : up.status, promptTokens: usage.prompt, completionTokens: usage.completion });
    return null;
  }

  private admit(target: ProviderTarget, payload: Record<string, unknown>): Refusal | { settle: (tokens: number) => void } | null {
    const g = target.row.governance;
    if (g.rpm === undefined && g.tpm === undefined) return null;
    return this.options.remote.limiter.admit(target.row.id, g, estimateTokens(payload));
  }

  /** The fallback to try, when one is configured, the failure is one it covers, and it can serve now. */
  private fallbackFor(provider: string, failed: Failure): { provider: string; model: string } | null {
    if (!failed.fallbackable || !FALLBACK_REASONS.has(failed.reason) || this.options.offline()) return null;
    const fallback = this.options.remote.providers.row(provider).fallback;
    if (!fallback) return null;
    try {
      this.options.remote.providers.assertServable(fallback.provider, fallback.model);
      return fallback;
    } catch (error) {
      this.options.logger.warn({ provider, fallback: fallback.provider, error: (error as AppError).message }, 'fallback not usable: the error is returned');
      return null;
    }
  }

  private fail(res: ServerResponse, provider: string, f: Failure, fallbackHeader: string | null, tracker: RequestTracker): void {
    if (!res.headersSent && !res.destroyed) {
      const headers: Record<string, string> = { 'x-switchyard-provider': provider };
      if (f.retryAfter) headers['retry-after'] = f.retryAfter;
      if (fallbackHeader) headers['x-switchyard-fallback'] = fallbackHeader;
      const text = JSON.stringify(f.error.body());
      res.writeHead(f.error.status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    }
    tracker.finish({ status: f.error.status });
  }

}

function failure(reason: ReasonCode, error: OpenAiError, retryAfter: string | null = null, fallbackable = true): Failure {
  return { reason, error, retryAfter, fallbackable };
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
