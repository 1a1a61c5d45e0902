import pino from 'pino';

export type Logger = pino.Logger;

/** Structured logger for the core. Tests pass `level: 'silent'`. */
export function createLogger(options: { level?: string; destination?: string } = {}): Logger {
  const level = options.level ?? process.env.SWITCHYARD_LOG_LEVEL ?? 'info';
  if (options.destination) return pino({ level }, pino.destination({ dest: options.destination, mkdir: true, sync: false }));
  return pino({ level });
}
