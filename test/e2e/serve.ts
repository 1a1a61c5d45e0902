import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { freePort } from '../support/net';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface ExtraServe {
  url: string;
  api: string;
  token: string;
  dataDir: string;
  stop(): Promise<void>;
}

/** Resolves once `serve` printed its ready line; rejects if it exits first. */
export function serving(serve: ResultPromise): Promise<void> {
  return new Promise<void>((ready, fail) => {
    let out = '';
    serve.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Switchyard is running')) ready();
    });
    serve.once('exit', (code) => fail(new Error(`serve exited before it was ready (code ${code}): ${out}`)));
  });
}

/**
 * A second headless Switchyard for a spec that needs a machine unlike global-setup's (first run:
 * no runtime installed). `env` replaces the environment entirely, so nothing leaks in from the runner.
 */
export async function startExtraServe(env: (dataDir: string) => Record<string, string>): Promise<ExtraServe> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-e2e-extra-'));
  const port = await freePort();
  const token = 'e2e-extra-token-0123456789';
  const serve = execa(process.execPath, [join(root, 'out', 'main', 'serve.js'), '--port', String(port), '--data-dir', dataDir], {
    env: { ...env(dataDir), SWITCHYARD_TOKEN: token, SWITCHYARD_LOG_LEVEL: 'warn' },
    extendEnv: false,
    reject: false,
    buffer: false,
    stderr: 'inherit',
  });
  await serving(serve);
  const api = `http://127.0.0.1:${port}`;
  return {
    url: `${api}/#token=${token}`,
    api,
    token,
    dataDir,
    async stop() {
      serve.kill('SIGTERM');
      await serve;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
