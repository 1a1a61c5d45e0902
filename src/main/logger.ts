import pino from 'pino';

export type Logger = pino.Logger;

/** Structured logger for the core. Tests pass `level: 'silent'`. */
export function createLogger(options: { level?: string; destination?: string } = {}): Logger {
  const level = options.level ?? process.env.SWITCHYARD_LOG_LEVEL ?? 'info';
  const config = { level, redact: { paths: REDACTED, censor: '[redacted]' } };
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

/** A URL as it may be logged: `?token=` (EventSource sends the API token that way) and `?key=` (Google's) removed. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:token|key|api_key)=)[^&#]*/gi, '$1[redacted]');
}
