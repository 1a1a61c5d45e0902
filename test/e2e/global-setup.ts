import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { seedHfModel } from '../support/hf-cache';
import { freePort } from '../support/net';
import { serving } from './serve';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'test', 'fixtures', 'bin');

interface FakeHub {
  url: string;
  close(): Promise<void> | void;
}

/**
 * Starts the stack the specs drive: the fake Hub (if present) and `node out/main/serve.js` with the
 * emulators as its runtimes, in a temp data dir. Exposes SWITCHYARD_E2E_URL (with #token=) and
 * SWITCHYARD_E2E_API / SWITCHYARD_E2E_TOKEN for direct API calls.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  if (!existsSync(join(root, 'out', 'main', 'serve.js'))) throw new Error('out/main/serve.js is missing: run `npm run build` first (npm run test:e2e does).');
  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-e2e-'));
  let hub: FakeHub | null = null;
  const hubModule = join(root, 'test', 'fixtures', 'hub', 'server.mjs');
  if (existsSync(hubModule)) {
    const mod = (await import(pathToFileURL(hubModule).href)) as { startFakeHub(o?: object): Promise<FakeHub> };
    hub = await mod.startFakeHub({});
  }
  // a model already in the HF cache: discovered as installed, ready to activate on vLLM
  seedHfModel(join(dataDir, 'hf-cache'), 'acme/local-chat');
  // the emulated runtimes write the VRAM their models take here; the fake nvidia-smi reads it
  const gpuProcs = join(dataDir, 'gpu-procs');
  writeFileSync(gpuProcs, '');
  const port = await freePort();
  const token = 'e2e-token-0123456789abcdef';
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    HOME: dataDir,
    SWITCHYARD_TOKEN: token,
    SWITCHYARD_OLLAMA_BIN: join(bin, 'ollama'),
    SWITCHYARD_VLLM_BIN: join(bin, 'vllm'),
    SWITCHYARD_OLLAMA_PORT: String(await freePort()),
    SWITCHYARD_VLLM_PORT: String(await freePort()),
    SWITCHYARD_LOG_LEVEL: 'warn',
    HF_HUB_CACHE: join(dataDir, 'hf-cache'),
    OLLAMA_MODELS: join(dataDir, 'ollama-models'),
    EMU_START_DELAY_MS: '300',
    EMU_GPU_PROCS: gpuProcs,
    ...(hub ? { HF_ENDPOINT: hub.url, SWITCHYARD_OLLAMA_LIBRARY_URL: hub.url } : { SWITCHYARD_OFFLINE: '1' }),
  };
  const serve = execa('node', [join(root, 'out', 'main', 'serve.js'), '--port', String(port), '--data-dir', dataDir], { env, reject: false, buffer: false, stderr: 'inherit' });
  await serving(serve);
  const api = `http://127.0.0.1:${port}`;
  process.env.SWITCHYARD_E2E_API = api;
  process.env.SWITCHYARD_E2E_TOKEN = token;
  process.env.SWITCHYARD_E2E_URL = `${api}/#token=${token}`;
  process.env.SWITCHYARD_E2E_DATA_DIR = dataDir;
  if (hub) process.env.SWITCHYARD_E2E_HUB = hub.url;

  return async () => {
    serve.kill('SIGTERM');
    await serve;
    await hub?.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
