import pino from 'pino';
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
  'env.HF_TOKEN',
  'env.SWITCHYARD_TOKEN',
  'env.HUGGING_FACE_HUB_TOKEN',
  'env.VLLM_API_KEY',
  // remote providers' keys (issue 18), wherever a headers object is logged
  'api_key',
  '*.api_key',
  'headers["x-api-key"]',
  '*.headers["x-api-key"]',
  'headers["x-goog-api-key"]',
  '*.headers["x-goog-api-key"]',
  '*.headers.authorization',
  'env.OPENAI_API_KEY',
  'env.GEMINI_API_KEY',
  'env.GOOGLE_API_KEY',
  'env.ANTHROPIC_API_KEY',
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

/** A URL as it may be logged: `?token=` (EventSource sends the API token that way) and `?key=` (Google's) removed. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:token|key|api_key)=)[^&#]*/gi, '$1[redacted]');
}
