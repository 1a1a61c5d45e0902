import { errorMessage } from '../../shared/errors';

/** A catalog source could not be read: network, HTTP status or a page we no longer understand. */
export class RemoteError extends Error {
  constructor(
    message: string,
    readonly url: string,
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = 'RemoteError';
  }
}

export interface RemoteOptions {
  fetch: typeof fetch;
  /** time allowed until response headers arrive: a dead or unreachable host fails fast */
  connectTimeoutMs: number;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** a body larger than this is refused unread (RemoteError): what we parse is bounded (default 16 MiB) */
  maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

/** Time for the body once headers arrived; bodies are small (JSON pages, RSS, one HTML page). */
const BODY_TIMEOUT_FACTOR = 4;

/**
 * GET with a short header deadline and a longer body deadline. Every failure becomes a RemoteError
 * whose message names the URL and the cause, so a stale answer can say why it is stale.
 */
export async function getText(url: string, options: RemoteOptions): Promise<{ text: string; headers: Headers }> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let phase: 'connect' | 'body' = 'connect';
  let timer = setTimeout(() => controller.abort(new Error('timeout')), options.connectTimeoutMs);
  try {
    const res = await options.fetch(url, { headers: { accept: '*/*', ...options.headers }, signal: controller.signal, redirect: 'follow' });
    phase = 'body';
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new Error('timeout')), options.connectTimeoutMs * BODY_TIMEOUT_FACTOR);
    const text = await readCapped(res, url, options.maxBytes ?? DEFAULT_MAX_BYTES);
    if (!res.ok) {
      const detail = /"error"\s*:\s*"([^"]{1,200})"/.exec(text)?.[1] ?? res.statusText;
      throw new RemoteError(`${url} answered HTTP ${res.status}${detail ? `: ${detail}` : ''}`, url, res.status);
    }
    return { text, headers: res.headers };
  } catch (error) {
    if (error instanceof RemoteError) throw error;
    if (controller.signal.aborted && !options.signal?.aborted) {
      const ms = phase === 'connect' ? options.connectTimeoutMs : options.connectTimeoutMs * BODY_TIMEOUT_FACTOR;
      throw new RemoteError(`${hostOf(url)} did not answer within ${ms} ms`, url);
    }
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? errorMessage(error);
    throw new RemoteError(`cannot reach ${hostOf(url)} (${cause})`, url);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

export async function getJson(url: string, options: RemoteOptions): Promise<{ json: unknown; headers: Headers }> {
  const { text, headers } = await getText(url, { ...options, headers: { accept: 'application/json', ...options.headers } });
  try {
    return { json: JSON.parse(text), headers };
  } catch {
    throw new RemoteError(`${url} did not return JSON`, url);
  }
}

/** The body as text, read no further than `maxBytes`: a huge page is refused before it is held whole. */
async function readCapped(res: Response, url: string, maxBytes: number): Promise<string> {
  const tooLarge = () => new RemoteError(`${url} sent more than ${Math.round(maxBytes / 1024)} KB, more than any page Switchyard reads: ignored`, url, res.status);
  if (Number(res.headers.get('content-length')) > maxBytes) {
    await res.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (!res.body) {
    const text = await res.text();
    if (Buffer.byteLength(text) > maxBytes) throw tooLarge();
    return text;
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        throw tooLarge();
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
