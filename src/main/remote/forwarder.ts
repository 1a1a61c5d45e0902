import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ReasonCode } from '../../shared/api/remote';
import { isAppError, type AppError } from '../../shared/errors';
import type { EventBus } from '../events';
import type { Logger } from '../logger';
import type { NetClient } from '../net/net-client';
import { OpenAiError } from '../openai/errors';
import type { Outcome } from '../openai/proxy';
import { ANSWER_ENDED, awaitHead, CLIENT_GONE, relayAnswer, statusOf, StopRequest, type RequestStop, type UpstreamAnswer } from '../openai/relay';
import { MAX_ERROR_BODY, readCapped } from '../net/capped-body';
import { UsageInspector } from '../openai/usage-inspector';
import type { RequestTracker } from '../usage/usage-recorder';
import type { Reservation } from './budgets';
import { costOf, DEFAULT_REQUEST_TOKEN_CAP, estimatePromptOf, requestedCap, worstCase } from './governance';
import { PRESETS } from './presets';
import type { ProviderTarget } from './provider-service';
import type { Remote } from './remote';
import { classifyNetError, reasonOfStatus, upstreamMessage } from './upstream-errors';
import { redirectTarget } from './validation';
import { scrub } from './keys';

export type RemoteEndpointKind = 'chat.completions' | 'completions' | 'embeddings';
const PATHS: Record<RemoteEndpointKind, string> = { 'chat.completions': '/chat/completions', completions: '/completions', embeddings: '/embeddings' };
/** Failures, before the first byte, that a configured fallback takes over (LiteLLM's list, give or take). */
const FALLBACK_REASONS = new Set<ReasonCode>(['timeout', 'unreachable', 'auth_error', 'rate_limited', 'budget_exceeded', 'upstream_error']);
const DEFAULT_FIRST_BYTE_S = 60;
const DEFAULT_IDLE_S = 120;

export interface RemoteForwarderOptions {
  remote: Remote;
  net: Pick<NetClient, 'request'>;
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
const GONE = { gone: true } as const;

/**
 * The proxy's path to a remote provider. Before anything is sent: the validated target (a provider
 * changed since its validation gets nothing), offline refusal, the provider's endpoints, the request's
 * worst case reserved against hard budgets and tpm. Then the request goes through NetClient with the
 * provider's own auth only, never following a redirect, and the answer through the one relay. A
 * failure before the first byte goes to the configured fallback, if any; once bytes flow, nothing is
 * retried. Every try is recorded with its cost and reason code, in a `finally`.
 */
export class RemoteForwarder {
  constructor(private readonly options: RemoteForwarderOptions) {}

  /** Whether `provider` is a registered remote provider (other process-less drivers keep the plain path). */
  handles(provider: string): boolean {
    return this.options.remote.repo.get(provider) !== null;
  }

  /** `gone` is stopped when the client leaves (the proxy holds the one listener). */
  async forward(kind: RemoteEndpointKind, provider: string, model: string, payload: Record<string, unknown>, req: IncomingMessage, res: ServerResponse, tracker: RequestTracker, gone: RequestStop): Promise<Outcome> {
    const first = await this.attempt(kind, provider, model, payload, req, res, tracker, gone, null);
    if (!('reason' in first)) return 'gone' in first ? { status: 499, prompt: null, completion: null } : first;
    const fallback = this.fallbackFor(provider, first);
    if (!fallback) return this.fail(res, provider, first, null);
    const header = `${provider} -> ${fallback.provider}; reason=${first.reason}`;
    this.options.events.emit({ type: 'provider.fallback', from: { provider, model }, to: fallback, reason: first.reason });
    this.options.logger.info({ from: provider, to: fallback.provider, reason: first.reason }, 'remote request fell back');
    const second = await this.attempt(kind, fallback.provider, fallback.model, { ...payload, model: fallback.model }, req, res, tracker, gone, header);
    if (!('reason' in second)) return 'gone' in second ? { status: 499, prompt: null, completion: null } : second;
    return this.fail(res, fallback.provider, second, header);
  }

  /** Sends to one provider: the relayed answer's outcome, the failure, or GONE. */
  private async attempt(
    kind: RemoteEndpointKind,
    provider: string,
    model: string,
    payload: Record<string, unknown>,
    req: IncomingMessage,
    res: ServerResponse,
    tracker: RequestTracker,
    gone: RequestStop,
    fallbackHeader: string | null,
  ): Promise<Outcome | Failure | typeof GONE> {
    const { remote } = this.options;
    let target: ProviderTarget;
    try {
      target = remote.providers.servingTarget(provider);
    } catch (error) {
      return refusedTarget(provider, error);
    }
    const g = target.row.governance;
    const host = lazyHost(target.base);
    const prompt = estimatePromptOf(payload);
    let usage: { prompt: number | null; completion: number | null } = { prompt: null, completion: null };
    let error: ReasonCode | null = null;
    // the upstream got the prompt and did not refuse it: it bills it, answered or not (a client that left, a timeout)
    let billable = false;
    const record = () => {
      const promptTokens = billable ? (usage.prompt ?? prompt) : 0;
      const completionTokens = billable ? (usage.completion ?? 0) : 0;
      remote.budgets.record(target.row, { model, error, fallback: fallbackHeader !== null, promptTokens, completionTokens, costUsd: costOf(g.price, promptTokens, completionTokens) ?? 0 });
    };

    if (this.options.offline()) {
      error = 'offline';
      record();
      return failure('offline', new OpenAiError(503, `Offline mode is on, so ${host()} was not contacted — turn offline mode off to use ${provider}.`, 'service_unavailable', 'offline'));
    }
    const preset = PRESETS[target.row.kind];
    if ((kind === 'embeddings' && !preset.embeddings) || (kind === 'completions' && !preset.completions)) {
      return failure('upstream_error', new OpenAiError(404, `${preset.label} has no ${PATHS[kind]} endpoint — use /v1/chat/completions with ${provider}.`, 'invalid_request_error', 'endpoint_not_supported'), null, false);
    }

    // the worst case, reserved before anything is sent: budgets and tokens per minute
    const governed = g.budget?.hard_usd !== undefined || g.tpm !== undefined || remote.budgets.globalHard();
    const own = requestedCap(payload);
    // a request that names no cap is reserved at (and, when governed, capped to) the provider's; within a tpm limit, what is left of it
    const fallbackCap = Math.max(1, Math.min(g.max_tokens_per_request ?? DEFAULT_REQUEST_TOKEN_CAP, g.tpm !== undefined ? g.tpm - prompt : Infinity));
    const cap = kind === 'embeddings' ? 0 : (own ?? fallbackCap);
    let body = payload;
    if (governed && own === null && cap > 0) body = { ...payload, [target.row.kind === 'openai' ? 'max_completion_tokens' : 'max_tokens']: cap };
    const worst = worstCase(prompt, cap, g.price);
    const held = remote.budgets.reserve(target.row, worst.usd);
    if ('reason' in held) {
      error = held.reason;
      record();
      return failure(held.reason, new OpenAiError(429, held.message, 'rate_limit_error', held.reason), held.retryAfterS === null ? null : String(held.retryAfterS));
    }
    const reservation: Reservation = held;
    const admitted = g.rpm !== undefined || g.tpm !== undefined ? remote.limiter.admit(target.row.id, g, worst.tokens) : null;
    if (admitted && 'reason' in admitted) {
      reservation.release();
      error = admitted.reason;
      record();
      return failure(admitted.reason, new OpenAiError(429, admitted.message, 'rate_limit_error', admitted.reason), admitted.retryAfterS === null ? null : String(admitted.retryAfterS));
    }

    const firstByteMs = (g.first_byte_timeout_s ?? DEFAULT_FIRST_BYTE_S) * 1000;
    const idleMs = (g.idle_timeout_s ?? DEFAULT_IDLE_S) * 1000;
    const stream = payload.stream === true;
    const abort = new AbortController();
    try {
      let up: UpstreamAnswer;
      try {
        billable = true;
        up = await awaitHead(
          (signal) =>
            this.options.net.request(`${target.base}${PATHS[kind]}`, {
              method: 'POST',
              // built here from the validated configuration: nothing of the client's request headers but its id
              headers: {
                'content-type': 'application/json',
                accept: stream ? 'text/event-stream' : 'application/json',
                'accept-encoding': 'identity',
                ...(typeof req.headers['x-request-id'] === 'string' ? { 'x-request-id': req.headers['x-request-id'] } : {}),
                ...target.headers,
              },
              body: JSON.stringify(body),
              signal,
              headersTimeoutMs: firstByteMs + 1_000,
              bodyTimeoutMs: idleMs + 1_000,
            }),
          firstByteMs,
          () => new OpenAiError(504, `${provider}: ${host()} did not begin to answer within ${firstByteMs / 1000} s.`, 'api_error', 'timeout'),
          gone,
          abort,
        );
      } catch (e) {
        if (e instanceof StopRequest && e.error === CLIENT_GONE) return GONE;
        if (e instanceof StopRequest) {
          error = 'timeout';
          return failure('timeout', e.error);
        }
        const c = isAppError(e) && e.code === 'destination_not_allowed' ? { reason: 'destination_not_allowed' as const, message: e.message } : classifyNetError(e, host());
        c.message = scrub(c.message, target.key); // a transport error may quote a header value
        error = c.reason;
        billable = c.reason === 'timeout';
        const status = c.reason === 'offline' ? 503 : c.reason === 'timeout' ? 504 : c.reason === 'destination_not_allowed' ? 422 : 502;
        return failure(c.reason, new OpenAiError(status, `${provider}: ${c.message}`, status === 503 ? 'service_unavailable' : 'api_error', c.reason));
      }

      billable = up.status < 300;
      if (up.status >= 300 && up.status < 400) {
        const location = String(up.headers.location ?? '');
        up.body.resume().on('error', () => {});
        up.body.destroy();
        error = 'redirected';
        return failure(
          'redirected',
          new OpenAiError(
            502,
            `${provider} answered ${up.status}, redirecting to ${redirectTarget(location, target.base)}. Switchyard never follows a redirect with a key or a prompt — if that address is right, set it as ${provider}'s base_url and validate again.`,
            'api_error',
            'redirected',
          ),
          null,
          false,
        );
      }
      if (up.status >= 400) {
        const { text } = await readCapped(up.body, MAX_ERROR_BODY, up.headers['content-encoding']);
        const reason = reasonOfStatus(up.status, text);
        error = reason;
        const said = upstreamMessage(text, target.key);
        const retryAfter = typeof up.headers['retry-after'] === 'string' ? up.headers['retry-after'] : null;
        if (reason === 'auth_error') {
          // not 401: to a client, 401 means Switchyard's own token was refused
          return failure(reason, new OpenAiError(502, `${provider} refused its API key (${up.status}: ${said}) — fix it in Switchyard › Providers and validate again.`, 'api_error', 'auth_error'));
        }
        if (reason === 'rate_limited') return failure(reason, new OpenAiError(429, `${provider} is rate limiting (429: ${said}).`, 'rate_limit_error', 'rate_limited'), retryAfter);
        if (up.status >= 500) return failure(reason, new OpenAiError(502, `${provider} failed (${up.status}: ${said}).`, 'api_error', 'upstream_error'));
        // the client's own request was refused (a bad parameter, an unknown model): its status, its words
        return failure('upstream_error', new OpenAiError(up.status, `${provider}: ${said}`, 'invalid_request_error', null), null, false);
      }

      // the first byte: from here on the answer is the client's, whatever happens
      const headers: Record<string, string> = { 'x-switchyard-provider': provider };
      if (fallbackHeader) headers['x-switchyard-fallback'] = fallbackHeader;
      const inspector = new UsageInspector(stream);
      const end = await relayAnswer(up, res, {
        inspector,
        idleMs,
        idleError: () => new OpenAiError(504, `${provider} stopped sending the answer (nothing for ${idleMs / 1000} s).`, 'api_error', 'timeout'),
        stop: gone,
        onFirstToken: () => tracker.firstToken(),
        headers,
      });
      usage = inspector.usage();
      if (end.kind === 'cut' || end.kind === 'stopped') error = 'stream_cut';
      return { status: statusOf(end, up.status), prompt: usage.prompt ?? prompt, completion: usage.completion ?? 0 };
    } finally {
      abort.abort(ANSWER_ENDED);
      const tokens = billable ? (usage.prompt ?? prompt) + (usage.completion ?? 0) : 0;
      if (admitted && !('reason' in admitted)) admitted.settle(tokens);
      record();
      reservation.release();
    }
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

  private fail(res: ServerResponse, provider: string, f: Failure, fallbackHeader: string | null): Outcome {
    if (!res.headersSent && !res.destroyed) {
      const headers: Record<string, string> = { 'x-switchyard-provider': provider };
      if (f.retryAfter) headers['retry-after'] = f.retryAfter;
      if (fallbackHeader) headers['x-switchyard-fallback'] = fallbackHeader;
      const text = JSON.stringify(f.error.body());
      res.writeHead(f.error.status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    }
    return { status: f.error.status, prompt: 0, completion: 0 };
  }
}

function failure(reason: ReasonCode, error: OpenAiError, retryAfter: string | null = null, fallbackable = true): Failure {
  return { reason, error, retryAfter, fallbackable };
}

/** A provider that cannot be served now: unregistered, never validated, or changed since (nothing is sent). */
function refusedTarget(provider: string, error: unknown): Failure {
  if (isAppError(error) && error.code === 'validation_stale') return failure('validation_stale', new OpenAiError(409, error.message, 'invalid_request_error', 'validation_stale'), null, false);
  if (isAppError(error) && error.code === 'model_not_validated') return failure('upstream_error', new OpenAiError(409, error.message, 'invalid_request_error', 'model_not_validated'), null, false);
  return failure('upstream_error', new OpenAiError(503, `The remote provider ${provider} is no longer registered — activate another model.`, 'service_unavailable', 'no_active_model'), null, false);
}

/** The host of a base URL for messages, parsed only when one is written. */
function lazyHost(url: string): () => string {
  let host: string | undefined;
  return () => (host ??= safeHost(url));
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
