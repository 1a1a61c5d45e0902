// A whole core and its API listening on 127.0.0.1 in its own process, for tests that need a process of
// its own (descriptor limits, signals):  node --import tsx test/support/serve-process.ts <dataDir>
// Environment comes from the parent; SERVE_MAX_CONNECTIONS overrides the connection cap. Prints one JSON
// line {"port":N} once listening.
import { createCore } from '../../src/main/app';
import { buildServer } from '../../src/main/http/server';
import pino from 'pino';

const [dataDir] = process.argv.slice(2);
const core = await createCore(
  { dataDir: dataDir!, port: 0, token: 'test-token-0123456789abcdef', env: { ...process.env } },
  { logger: pino({ level: process.env.SERVE_LOG_LEVEL ?? 'silent' }, pino.destination(2)), gpu: { intervalMs: 250, appsIntervalMs: 250, unavailableRetryMs: 250 } },
);
const app = await buildServer(core, { maxConnections: process.env.SERVE_MAX_CONNECTIONS ? Number(process.env.SERVE_MAX_CONNECTIONS) : undefined });
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
process.on('SIGTERM', () => {
  void app.close().then(() => core.stop()).finally(() => process.exit(0));
});
