import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCore, type Core, type CoreSeams } from '../../src/main/app';
import type { StartupOptions } from '../../src/main/config';
import { buildServer, type App } from '../../src/main/http/server';
import { createLogger } from '../../src/main/logger';
import { seedHfModel } from './hf-cache';
import { freePort } from './net';
import { removeTempDir, tempDir } from './temp';

export { freePort };

export const FIXTURES = fileURLToPath(new URL('../fixtures', import.meta.url));
export const OLLAMA_EMULATOR = join(FIXTURES, 'bin', 'ollama');
export const VLLM_EMULATOR = join(FIXTURES, 'bin', 'vllm');

/** Environment wiring a core in `dataDir` to the emulators on free ports, offline, with its own caches. */
export async function emulatorEnv(dataDir: string): Promise<Record<string, string>> {
  return {
    ...(process.env as Record<string, string>),
    HOME: dataDir,
    HF_HUB_CACHE: join(dataDir, 'hf-cache'),
    OLLAMA_MODELS: join(dataDir, 'ollama-models'),
    SWITCHYARD_OLLAMA_BIN: OLLAMA_EMULATOR,
    SWITCHYARD_VLLM_BIN: VLLM_EMULATOR,
    SWITCHYARD_OLLAMA_PORT: String(await freePort()),
    SWITCHYARD_VLLM_PORT: String(await freePort()),
    SWITCHYARD_OFFLINE: '1',
  };
}

export interface TestCore {
  core: Core;
  app: App;
  dataDir: string;
  token: string;
  /** authorized inject helper */
  call<T = Record<string, unknown>>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

export interface TestCoreOptions {
  /** extra env for the core and, through it, the runtimes it spawns (emulator knobs) */
  env?: Record<string, string>;
  dataDir?: string;
  seams?: CoreSeams;
  startup?: Partial<StartupOptions>;
  /** keep the data dir after close (restart tests); a dir made here still goes when the test file ends */
  keepDataDir?: boolean;
  /** HF repos put into the core's HF cache before it starts (discovered as installed, ready to activate) */
  hfModels?: string[];
  /** like hfModels, with a config.json override and extra files (remote code, GGUF…) */
  hfSeeds?: { repo: string; config?: Record<string, unknown>; files?: Record<string, string> }[];
}

/**
 * A whole core in a temp dir wired to the emulators on free ports, plus its Fastify app (not
 * listening). Closing stops every runtime it started.
 */
export async function startTestCore(options: TestCoreOptions = {}): Promise<TestCore> {
  const dataDir = options.dataDir ?? tempDir('switchyard-test-');
  const env = { ...(await emulatorEnv(dataDir)), ...options.env };
  for (const repo of options.hfModels ?? []) seedHfModel(env.HF_HUB_CACHE!, repo);
  for (const seed of options.hfSeeds ?? []) seedHfModel(env.HF_HUB_CACHE!, seed.repo, seed.config, seed.files);
  const core = await createCore(
    { dataDir, port: 0, token: 'test-token-0123456789abcdef', env, ...options.startup },
    { logger: createLogger({ level: 'silent' }), ...options.seams },
  );
  const app = await buildServer(core);
  const token = core.token;
  return {
    core,
    app,
    dataDir,
    token,
    async call(method, url, body) {
      const res = await app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${token}` },
        ...(body !== undefined ? { payload: body as object } : {}),
      });
      return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : {} };
    },
    async close() {
      await app.close();
      await core.stop();
      if (!options.keepDataDir && !options.dataDir) removeTempDir(dataDir);
    },
  };
}
