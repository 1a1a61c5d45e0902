import pino from 'pino';
import { SECRET_ENV } from '../shared/secret-env';
import { isSecretEnvName } from './settings-secrets';

export type Logger = pino.Logger;

/** Structured logger for the core. Tests pass `level: 'silent'`. */
export function createLogger(options: { level?: string; destination?: string } = {}): Logger {
  const level = options.level ?? process.env.SWITCHYARD_LOG_LEVEL ?? 'info';
  const config = { level, redact: { paths: REDACTED, censor: '[redacted]' }, formatters: { log: redactSecretEnv } };
  if (options.destination) return pino(config, pino.destination({ dest: options.destination, mkdir: true, sync: false }));
  return pino(config);
}

/** Secrets never reach a log line, whatever object carries them. */
const REDACTED = [
  'token',
  '*.token',
  'hub.token',
  'settings.hub.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'env.VLLM_API_KEY',
  ...SECRET_ENV.map((name) => `env.${name}`),
  // remote providers' keys (issue 18), wherever a headers object is logged
  'api_key',
  '*.api_key',
  'headers["x-api-key"]',
  '*.headers["x-api-key"]',
  'headers["x-goog-api-key"]',
  '*.headers["x-goog-api-key"]',
  '*.headers.authorization',
];

/**
 * Any `env` object in a log line (a runtime's environment, its settings) loses the values whose names
 * look secret (`HF_TOKEN`, `VLLM_API_KEY`, any `…_PASSWORD`): the fixed paths above cannot name them all.
 */
export function redactSecretEnv(object: Record<string, unknown>, depth = 0): Record<string, unknown> {
  if (depth > 4) return object;
  let out: Record<string, unknown> | null = null;
  for (const [key, value] of Object.entries(object)) {
    if (!value || typeof value !== 'object' || Array.isArray(value) || value instanceof Error) continue;
    const inner = value as Record<string, unknown>;
    const next =
      key === 'env'
        ? Object.fromEntries(Object.entries(inner).map(([name, v]) => [name, isSecretEnvName(name) && typeof v === 'string' ? '[redacted]' : v]))
        : redactSecretEnv(inner, depth + 1);
    if (next !== inner) (out ??= { ...object })[key] = next;
  }
  return out ?? object;
}

const SECRET_QUERY_KEYS = new Set(['token', 'key', 'api_key']);

/**
 * A URL as it may be logged: the values of `token` (EventSource sends the API token that way), `key` and
 * `api_key` (Google's) removed. Keys are compared decoded, as the query parser reads them, so `?%74oken=`
 * or `?TOKEN=` cannot slip a secret past the check.
 */
export function redactUrl(url: string): string {
  const start = url.indexOf('?');
  if (start < 0) return url;
  const hash = url.indexOf('#', start);
  const end = hash < 0 ? url.length : hash;
  const params = url
    .slice(start + 1, end)
    .split('&')
    .map((param) => {
      const eq = param.indexOf('=');
      const key = eq < 0 ? param : param.slice(0, eq);
      return eq >= 0 && SECRET_QUERY_KEYS.has(decodedKey(key).trim().toLowerCase()) ? `${key}=[redacted]` : param;
    });
  return `${url.slice(0, start + 1)}${params.join('&')}${url.slice(end)}`;
}

/** Percent-escapes and `+` decoded until nothing changes (a malformed escape stays as it is). */
function decodedKey(key: string): string {
  let current = key.replace(/\+/g, ' ');
  for (let i = 0; i < 4; i++) {
    const next = current.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
    if (next === current) break;
    current = next;
  }
  return current;
}
