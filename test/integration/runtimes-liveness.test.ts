import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { RuntimeInfo, RuntimeState } from '../../src/shared/api/runtimes';
import type { Operation } from '../../src/shared/api/models';
import { isAlive } from '../../src/main/runtimes/process-group';
import { startTestCore, type TestCore } from '../support/core';
import { install, waitForOperation } from '../support/models';
import { waitFor } from '../support/wait';

const fast = { EMU_START_DELAY_MS: '100' };
const TINY = 'org/tiny-model';
let t: TestCore | null = null;
const stopped: number[] = [];
afterEach(async () => {
  for (const pid of stopped.splice(0)) if (isAlive(pid)) process.kill(pid, 'SIGCONT');
  await t?.close();
  t = null;
});

/** Resolves on the next `runtime.state` event of `name` in `state` (or at once if it is in it). */
function reaches(tc: TestCore, name: 'vllm' | 'ollama', state: RuntimeState, timeoutMs = 10_000): Promise<RuntimeInfo> {
  const now = tc.core.runtimes.info(name);
  if (now.state === state) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`${name} did not become ${state} within ${timeoutMs} ms (is ${tc.core.runtimes.info(name).state})`));
    }, timeoutMs);
    const off = tc.core.events.on((e) => {
      if (e.type !== 'runtime.state' || e.runtime.name !== name || e.runtime.state !== state) return;
      clearTimeout(timer);
      off();
      resolve(e.runtime);
    }, ['runtime.state']);
  });
}

function suspend(pid: number): void {
  stopped.push(pid);
  process.kill(pid, 'SIGSTOP');
}

async function client(tc: TestCore): Promise<OpenAI> {
  await tc.app.listen({ port: 0, host: '127.0.0.1' });
  return new OpenAI({ baseURL: `http://127.0.0.1:${(tc.app.server.address() as AddressInfo).port}/v1`, apiKey: tc.token, maxRetries: 0 });
}

describe('liveness of ready runtimes', () => {
  it('a hung runtime (SIGSTOP) becomes unresponsive after missed probes, recovers when it answers, and restart always restarts it', async () => {
    t = await startTestCore({ hfModels: [TINY], env: fast });
    expect((await t.call('POST', '/api/v1/models/activate', { name: TINY })).status).toBe(200);
    t.core.settings.update({ runtime: { healthIntervalMs: 50, healthMisses: 2 } });
    const pid = t.core.runtimes.info('vllm').pid!;

    suspend(pid);
    const hung = await reaches(t, 'vllm', 'unresponsive');
    expect(hung).toMatchObject({ pid, model: TINY, active: true });
    // the OpenAI endpoint says so at once instead of hanging
    const refused = await t.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${t.token}` }, payload: { model: TINY, messages: [{ role: 'user', content: 'hi' }] } });
    expect(refused.statusCode).toBe(503);
    expect(refused.json().error).toMatchObject({ code: 'runtime_unresponsive', type: 'service_unavailable', message: expect.stringMatching(/Restart/) });

    process.kill(pid, 'SIGCONT');
    await reaches(t, 'vllm', 'ready');
    suspend(pid);
    await reaches(t, 'vllm', 'unresponsive');

    // restart: continued, stopped, started again — a new process serving the same model
    const res = await t.call<{ server: RuntimeInfo }>('POST', '/api/v1/system/llm-servers/vllm/restart');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.server).toMatchObject({ state: 'ready', model: TINY });
    expect(res.body.server.pid).not.toBe(pid);
    expect(isAlive(pid)).toBe(false);
  });

  it('the OpenAI endpoint times out a runtime that goes quiet: 504 before the headers, an error event inside a stream', async () => {
    t = await startTestCore({ hfModels: [TINY], env: { ...fast, EMU_TOKEN_DELAY_MS: '40' } });
    t.core.settings.update({ runtime: { healthIntervalMs: 600_000, proxyHeadersTimeoutMs: 400, proxyIdleTimeoutMs: 300 } });
    expect((await t.call('POST', '/api/v1/models/activate', { name: TINY })).status).toBe(200);
    const pid = t.core.runtimes.info('vllm').pid!;
    const openai = await client(t);

    const stream = await openai.chat.completions.create({ model: TINY, messages: [{ role: 'user', content: 'a long story please' }], stream: true });
    const t0 = performance.now();
    const failure = await (async () => {
      for await (const chunk of stream) if (chunk.choices[0]?.delta?.content) suspend(pid);
    })().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect((failure as Error).message).toMatch(/stopped sending the answer/);
    expect(performance.now() - t0).toBeLessThan(5_000);

    const late = (await openai.chat.completions.create({ model: TINY, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(late.status).toBe(504);
    expect(late.code).toBe('upstream_timeout');
    expect(late.message).toMatch(/sent no answer within/);
  });
});

describe('runtimes started by someone else', () => {
  let foreign: Server | null = null;
  afterEach(async () => {
    await new Promise<void>((resolve) => (foreign ? foreign.close(() => resolve()) : resolve()));
    foreign = null;
  });

  it('a program on Ollama’s port that is not Ollama is port_in_use, never adopted and never sent a prompt', async () => {
    t = await startTestCore({ env: fast });
    const port = t.core.runtimes.info('ollama').port;
    const seen: string[] = [];
    // answers /api/version like Ollama would, and everything else as some other web app
    foreign = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      if (req.url === '/api/version') res.writeHead(200, { 'content-type': 'application/json' }).end('{"version":"1.2.3"}');
      else res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>My dev server</h1>');
    });
    await new Promise<void>((resolve) => foreign!.listen(port, '127.0.0.1', resolve));

    const res = await t.call<{ error: { code: string; message: string } }>('POST', '/api/v1/system/llm-servers/ollama/start');
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('port_in_use');
    expect(res.body.error.message).toMatch(/Another program answers/);
    expect(t.core.runtimes.info('ollama')).toMatchObject({ state: 'crashed', active: false });
    const chat = await t.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${t.token}` }, payload: { model: 'llama3.2', messages: [{ role: 'user', content: 'secret prompt' }] } });
    // nothing serves llama3.2: refused by the router, and no prompt reaches the program on the port
    expect(chat.statusCode).toBe(404);
    expect(chat.json().error.code).toBe('model_not_found');
    expect(seen.some((r) => r.startsWith('POST'))).toBe(false);
  });

  it('an external Ollama that vanishes becomes stopped', async () => {
    t = await startTestCore({ env: fast });
    const { execa } = await import('execa');
    const port = t.core.runtimes.info('ollama').port;
    const external = execa('test/fixtures/bin/ollama', ['serve'], { env: { OLLAMA_HOST: `127.0.0.1:${port}`, OLLAMA_MODELS: `${t.dataDir}/ext-models` }, reject: false });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/api/version`).catch(() => null))?.ok, 'external Ollama');
    expect((await t.call<{ server: RuntimeInfo }>('POST', '/api/v1/system/llm-servers/ollama/start')).body.server).toMatchObject({ state: 'external' });
    t.core.settings.update({ runtime: { healthIntervalMs: 50, healthMisses: 2 } });
    const gone = reaches(t, 'ollama', 'stopped');
    external.kill('SIGKILL');
    await external;
    expect(await gone).toMatchObject({ state: 'stopped', owned: false });
  });
});

describe('Ollama pulls while vLLM serves', () => {
  it('starts Ollama beside vLLM for the pull, without making it active or loading a model, and says so', async () => {
    t = await startTestCore({ hfModels: [TINY], env: { ...fast, EMU_PULL_BYTES_PER_SEC: String(1024 ** 3) } });
    expect((await t.call('POST', '/api/v1/models/activate', { name: TINY })).status).toBe(200);
    const vllmPid = t.core.runtimes.info('vllm').pid;
    const messages: string[] = [];
    t.core.events.on((e) => e.type === 'operation.updated' && messages.push(e.operation.message ?? ''), ['operation.updated']);
    const id = await install(t, { name: 'qwen2.5:0.5b', provider: 'ollama' });
    const op: Operation = await waitForOperation(t, id);
    expect(op.status, JSON.stringify(op)).toBe('completed');
    expect(messages.some((m) => /for the pull only: vLLM keeps serving org\/tiny-model/.test(m))).toBe(true);
    expect(t.core.runtimes.info('vllm')).toMatchObject({ state: 'ready', active: true, model: TINY, pid: vllmPid });
    const ollama = t.core.runtimes.info('ollama');
    expect(ollama).toMatchObject({ state: 'ready', active: false, model: null });
    const ps = (await (await fetch(`${ollama.base_url}/api/ps`)).json()) as { models: unknown[] };
    expect(ps.models).toEqual([]);
    expect(t.core.activation.endpoint()).toMatchObject({ runtime: 'vllm', model: TINY });
  });
});
