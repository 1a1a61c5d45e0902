import { AppError, errorMessage, isAppError } from '../../shared/errors';
import { RetryableError, type BlobTarget, type HashSpec, type HttpGet, type HttpResponse, type PartialWriteError } from './download-types';

const MAX_REDIRECTS = 5;

export function hashSpec(target: BlobTarget): HashSpec {
  if (target.sha256) return { algorithm: 'sha256', prefix: null };
  return { algorithm: 'sha1', prefix: target.gitOid ? `blob ${target.size}\0` : null };
}

export function diskError(error: PartialWriteError, target: BlobTarget): AppError {
  if (error.errno === 'ENOSPC' || error.errno === 'EDQUOT') {
    return new AppError('insufficient_disk', `The disk is full while writing ${target.label}. Free some space, then retry the install; the bytes already fetched are kept.`, undefined, { cause: error });
  }
  return new AppError('internal_error', `Writing ${target.label} failed: ${error.message}. Check the HF cache directory, then retry the install.`, undefined, { cause: error });
}

export interface FetchOptions {
  get: HttpGet;
  signal: AbortSignal;
  headers?: Record<string, string>;
  /** told where the redirects ended and with which headers (Authorization gone if the host changed) */
  landed?: (url: string, headers: Record<string, string>) => void;
}

/** GET with Range, following redirects by hand so Authorization never leaves the Hub's origin. */
export async function fetchFollowing(url: string, range: { from: number; to: number | null }, options: FetchOptions): Promise<HttpResponse> {
  let current = url;
  let headers: Record<string, string> = { ...(options.headers ?? {}) };
  const { get } = options;
  const wantsRange = range.from > 0 || range.to !== null;
  const rangeHeader = `bytes=${range.from}-${range.to ?? ''}`;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    let res: HttpResponse;
    try {
      res = await get(current, { ...headers, 'accept-encoding': 'identity', ...(wantsRange ? { range: rangeHeader } : {}) }, options.signal);
    } catch (error) {
      if (options.signal.aborted) throw options.signal.reason ?? error;
      if (isAppError(error)) throw error; // offline mode, a bad proxy URL: no retry helps
      throw new RetryableError(`cannot reach ${new URL(current).host}: ${errorMessage((error as { cause?: unknown }).cause ?? error)}`, { cause: error });
    }
    const location = res.header('location');
    if (res.status >= 200 && res.status < 300) options.landed?.(current, headers);
    if (res.status >= 300 && res.status < 400 && location) {
      const next = new URL(location, current);
      if (next.origin !== new URL(current).origin) {
        const { authorization: _drop, ...rest } = headers;
        headers = rest;
      }
      res.discard();
      current = next.href;
      continue;
    }
    return res;
  }
  throw new AppError('upstream_error', `Too many redirects while downloading ${url}.`);
}

export function statusError(status: number, code: string | null, target: BlobTarget): Error {
  const res = { status };
  if (res.status >= 500 || res.status === 429 || res.status === 408) return new RetryableError(`HTTP ${res.status} from ${new URL(target.url).host}`);
  if (code === 'GatedRepo' || res.status === 401 || res.status === 403) {
    return new AppError('gated_repo', `Access to ${target.label} was refused (HTTP ${res.status}): the repo is gated or private. Accept its terms on the Hub, then set a token in Settings → Hub (or HF_TOKEN).`);
  }
  if (res.status === 404) return new AppError('model_not_found', `${target.label} is not on the Hub (HTTP 404${code ? `, ${code}` : ''}). The repo may have changed: retry the install.`);
  if (res.status === 416) return new RetryableError('HTTP 416 (range not satisfiable)');
  return new AppError('upstream_error', `Unexpected HTTP ${res.status} while downloading ${target.label}.`);
}

export interface RetryPolicy {
  maxRetries: number;
  retryBaseMs: number;
  onRetry?(attempt: number, error: unknown, delayMs: number): void;
}

/**
 * After a failed attempt: rethrows what a retry cannot fix, gives up past `maxRetries`, else waits
 * the backoff. Failures that made progress do not count, so a flaky link that keeps moving finishes.
 * Returns the failure count to carry into the next attempt.
 */
export async function backOff(error: unknown, failures: number, progressed: boolean, target: BlobTarget, policy: RetryPolicy, signal: AbortSignal): Promise<number> {
  if (signal.aborted) throw signal.reason ?? error;
  const retryable = error instanceof RetryableError || (!isAppError(error) && error instanceof TypeError);
  if (!retryable) throw error;
  const counted = progressed ? failures : failures + 1;
  if (counted > policy.maxRetries) {
    throw new AppError('upstream_error', `Downloading ${target.label} failed after ${policy.maxRetries} retries: ${errorMessage(error)}. Check the connection and retry the install; the bytes already fetched are kept.`, undefined, { cause: error });
  }
  const delay = Math.min(30_000, policy.retryBaseMs * 2 ** Math.max(0, counted - 1));
  policy.onRetry?.(counted, error, delay);
  await sleep(delay, signal);
  return counted;
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
