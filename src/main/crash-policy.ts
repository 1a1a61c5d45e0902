import type { Logger } from './logger';

/**
 * What the process does with an error nothing caught: log it and keep serving. Switchyard supervises
 * runtimes that hold GPUs; ending the supervisor over one stray rejection (a request's, a poller's)
 * would orphan them and drop every user's request. Installed once by each entry (`serve.ts`, the
 * Electron main process); returns the function that removes it.
 */
export function installCrashPolicy(logger: Pick<Logger, 'error'>, target: NodeJS.Process = process): () => void {
  const onRejection = (reason: unknown) => {
    logger.error({ err: reason instanceof Error ? reason : new Error(String(reason)) }, 'unhandled promise rejection (kept serving)');
  };
  const onException = (error: Error, origin: string) => {
    logger.error({ err: error, origin }, 'uncaught exception (kept serving)');
  };
  target.on('unhandledRejection', onRejection);
  target.on('uncaughtException', onException);
  return () => {
    target.off('unhandledRejection', onRejection);
    target.off('uncaughtException', onException);
  };
}
