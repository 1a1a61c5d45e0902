import type { ReasonCode } from '../../../shared/api/remote';
import { serverMessageSentence } from '../../../shared/validation-words';

/** An issue as the API's error handler lists it (`details` of `validation_error`). */
interface Issue {
  field: string;
  message: string;
}

const WORDS: Record<string, string> = { usd: 'USD', url: 'URL', id: 'ID', api: 'API', rpm: 'requests per minute', tpm: 'tokens per minute', gib: 'GiB', ms: 'ms', hf: 'HF', vram: 'VRAM', gb: 'GB' };

/** `body.governance.budget.hard_usd` → `Governance › budget › hard USD` (the request's own part left out). */
export function fieldWords(field: string): string {
  const parts = field.split('.').filter((p) => p && !/^(body|querystring|params|headers)$/.test(p) && !/^\d+$/.test(p));
  const text = parts.map((p) => p.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/_/g, ' ').toLowerCase().replace(/\b\w+\b/g, (w) => WORDS[w] ?? w)).join(' › ');
  return text ? text[0]!.toUpperCase() + text.slice(1) : 'The request';
}

/**
 * What a person reads when the API refused a request's fields: one sentence per field, naming it, never
 * the schema's wording ("Invalid body.x: Invalid input: expected number, received null").
 */
export function validationSentence(details: unknown): string | null {
  if (!Array.isArray(details) || details.length === 0) return null;
  const issues = details.filter((d): d is Issue => typeof d === 'object' && d !== null && typeof (d as Issue).field === 'string' && typeof (d as Issue).message === 'string');
  if (issues.length === 0) return null;
  return issues
    .slice(0, 3)
    .map((i) => {
      const empty = /received (null|undefined)/.test(i.message);
      const said = serverMessageSentence(i.message.replace(/^Invalid input: /, ''));
      return `${fieldWords(i.field)}: ${empty ? `${said.replace(/\.$/, '')} (it was empty).` : said.charAt(0).toLowerCase() + said.slice(1)}`;
    })
    .join(' ');
}

/** Errors of the network itself, as words; the code stays for the details. */
export function networkWords(message: string): string {
  if (/ECONNREFUSED/.test(message)) return 'The server refused the connection (it may not be running).';
  if (/ENOTFOUND|EAI_AGAIN/.test(message)) return 'The host name could not be found (no network, or a wrong address).';
  if (/ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT|timed? ?out/i.test(message)) return 'It did not answer in time.';
  if (/ECONNRESET|socket hang up|UND_ERR_SOCKET/.test(message)) return 'The connection was cut off.';
  if (/CERT|certificate|self.signed/i.test(message)) return 'Its TLS certificate was not trusted.';
  return message;
}

/** The API's reason codes (src/shared/api/remote.ts ReasonCode) as a few words; the code goes in details. */
const REASONS: Record<ReasonCode, string> = {
  ok: 'ok',
  invalid_url: 'the address is not a valid URL',
  insecure_http: 'plain http to a remote host',
  offline: 'offline mode',
  unreachable: 'did not answer',
  tls_error: 'its TLS certificate was not trusted',
  timeout: 'timed out',
  auth_error: 'the key was refused',
  models_endpoint_not_found: 'no model list at that address',
  rate_limited: 'rate limited',
  upstream_error: 'the provider failed',
  invalid_response: 'an answer that could not be read',
  model_not_listed: 'the model is not offered there',
  budget_exceeded: 'over budget',
  stream_cut: 'the answer was cut off',
  no_key: 'no API key',
  redirected: 'redirected elsewhere',
  destination_not_allowed: 'an address that is not allowed',
  validation_stale: 'changed since it was validated',
};

export const reasonWords = (code: string): string => REASONS[code as ReasonCode] ?? code.replace(/_/g, ' ');
