import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCore } from './app';
import { installCrashPolicy } from './crash-policy';
import { startupFromArgv } from './config';
import { buildServer } from './http/server';

/**
 * Headless entry (`npm run serve -- [--port N] [--host H] [--data-dir DIR] [--offline]`): the whole
 * core and the web UI on 127.0.0.1. SIGINT/SIGTERM stop every runtime before exiting.
 */
async function main(): Promise<void> {
  const started = performance.now();
  const options = startupFromArgv(process.argv.slice(2));
  const here = dirname(fileURLToPath(import.meta.url));
  const rendererDir = process.env.SWITCHYARD_RENDERER_DIR ?? join(here, '..', 'renderer');
  const core = await createCore(options);
  installCrashPolicy(core.logger);
  const app = await buildServer(core, { rendererDir });
  await app.listen({ host: core.options.host, port: core.options.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : core.options.port;
  const base = `http://${core.options.host.includes(':') ? `[${core.options.host}]` : core.options.host}:${port}`;
  core.instance.describe({ url: base }); // the CLI finds this instance through its data dir
  core.logger.info({ url: base, dataDir: core.paths.dataDir, ms: Math.round(performance.now() - started) }, 'Switchyard API ready');
  // The one line a person (or a script) needs: where to go, with the token in the fragment.
  process.stdout.write(`Switchyard is running: ${base}/#token=${core.token}\n`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    core.logger.info({ signal }, 'stopping: runtimes first');
    try {
      await app.close();
      await core.stop();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error) => {
  process.stderr.write(`Switchyard failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
