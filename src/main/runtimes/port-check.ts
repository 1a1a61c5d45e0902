import { createServer } from 'node:net';

/**
 * Whether host:port can be bound. A bind test (not a connect) also catches a runtime that has bound
 * its socket but does not listen yet — vLLM binds early and listens only once the model is loaded.
 */
export function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code !== 'EADDRINUSE' && error.code !== 'EACCES' ? true : false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
