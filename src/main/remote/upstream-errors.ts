import type { ReasonCode } from '../../shared/api/remote';
import { errorMessage, isAppError } from '../../shared/errors';
import { CA_VARIABLES } from '../net/extra-ca';
import { scrub } from './keys';

export interface Classified {
  reason: ReasonCode;
  message: string;
}

const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT', 'TimeoutError']);

/** The innermost `code` of an error chain (undici wraps the socket's error in `cause`). */
function codeOf(error: unknown): string | null {
  let e: unknown = error;
  let code: string | null = null;
  for (let i = 0; i < 5 && e && typeof e === 'object'; i++) {
    const c = (e as { code?: unknown; name?: unknown }).code ?? ((e as { name?: unknown }).name === 'TimeoutError' ? 'TimeoutError' : undefined);
    if (typeof c === 'string') code = c;
    e = (e as { cause?: unknown }).cause;
  }
  return code;
}

function isTlsCode(code: string): boolean {
  return code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || code.includes('CERT') || code.includes('SELF_SIGNED') || code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE';
}

/** A request that got no answer: offline refusal, TLS, timeout or unreachable, with what to do. */
export function classifyNetError(error: unknown, host: string): Classified {
  if (isAppError(error) && error.code === 'offline') return { reason: 'offline', message: `Offline mode is on, so ${host} was not contacted — turn it off to use remote providers.` };
  const code = codeOf(error) ?? '';
  if (isTlsCode(code)) {
    return {
      reason: 'tls_error',
      message: `${host} did not present a certificate this machine trusts (${code}). For a private CA, point ${CA_VARIABLES.join(' or ')} at its PEM bundle and restart Switchyard.`,
    };
  }
  if (TIMEOUT_CODES.has(code) || (error as { name?: string })?.name === 'TimeoutError') {
    return { reason: 'timeout', message: `${host} did not begin to answer in time — it may be overloaded or a firewall drops the connection.` };
  }
  if (CONNECT_CODES.has(code)) return { reason: 'unreachable', message: `${host} could not be reached (${code}) — check the address, the port and that the server is up.` };
  return { reason: 'unreachable', message: `${host} could not be reached: ${errorMessage(error)}.` };
}

/** The message an upstream put in its error body (OpenAI, Anthropic, Google — also wrapped in a list — or plain text). */
export function upstreamMessage(text: string, key: string | null): string {
  let message = text;
  try {
    let body = JSON.parse(text) as unknown;
    if (Array.isArray(body)) body = body[0];
    const e = (body as { error?: unknown } | null)?.error;
    if (typeof e === 'string') message = e;
    else if (e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string') message = (e as { message: string }).message;
  } catch {
    // not JSON: the text itself
  }
  message = message.replace(/\s+/g, ' ').trim();
  return scrub(message.length > 300 ? `${message.slice(0, 300)}…` : message, key);
}

/** The reason code of an upstream's error status. Gemini answers a bad key with 400 API_KEY_INVALID. */
export function reasonOfStatus(status: number, text: string): ReasonCode {
  if (status === 401 || status === 403) return 'auth_error';
  if (status === 400 && /API_KEY_INVALID|API key not valid/.test(text)) return 'auth_error';
  if (status === 429) return 'rate_limited';
  return 'upstream_error';
}
