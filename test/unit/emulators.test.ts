// Tests for the Ollama and vLLM emulators in test/fixtures (protocols.md §1, §2, §6).
// They spawn the emulators as real processes (own process group) through the sh wrappers in test/fixtures/bin.
import { describe, it, expect, afterEach, afterAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emulatorEvents } from '../support/emulator-state';
import { freePort } from '../support/net';

const BIN = fileURLToPath(new URL('../fixtures/bin', import.meta.url));
const tmpRoots: string[] = [];
const procs: Emu[] = [];

interface Emu {
  proc: ChildProcess;
  pid: number;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  state: string;
  events: () => Array<Record<string, unknown>>;
}

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'emu-test-'));
  tmpRoots.push(d);
  return d;
}

function start(bin: 'ollama' | 'vllm', args: string[], env: Record<string, string> = {}): Emu {
  const dir = tmp();
  const state = join(dir, 'state.jsonl');
  const proc = spawn(join(BIN, bin), args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HOME: dir, EMU_STATE_FILE: state, ...env },
  });
  let out = '';
  proc.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.on('exit', (code, signal) => r({ code, signal })));
  const emu: Emu = {
    proc,
    pid: proc.pid ?? -1,
    output: () => out,
    exited,
    state,
    events: () => emulatorEvents(state) as Record<string, unknown>[],
  };
  procs.push(emu);
  return emu;
}

afterEach(() => {
  for (const p of procs.splice(0)) {
    try {
      process.kill(-p.pid, 'SIGKILL');
    } catch {
      /* group already gone */
    }
  }
});

afterAll(() => {
  for (const d of tmpRoots) rmSync(d, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(fn: () => T | Promise<T>, timeoutMs = 15_000, stepMs = 20): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting${last ? `: ${String(last)}` : ''}`);
    await sleep(stepMs);
  }
}

async function canConnect(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}

async function waitReady(port: number, path: string): Promise<void> {
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}${path}`)).status === 200, 8000);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function pgidOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[2]);
  } catch {
    return null;
  }
}

function childPid(emu: Emu, role: 'runner' | 'engine-core'): number | undefined {
  const ev = emu.events().find((e) => e.event === 'child_started' && e.role === role);
  return typeof ev?.pid === 'number' ? ev.pid : undefined;
}

function ndjson(text: string): Array<Record<string, unknown>> {
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

function sseData(text: string): string[] {
  return text.split('\n\n').filter(Boolean).map((b) => {
    expect(b.startsWith('data: ')).toBe(true);
    return b.slice(6);
  });
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

// ---------------------------------------------------------------------------------------------------
// Ollama

async function startOllama(env: Record<string, string> = {}): Promise<{ emu: Emu; base: string; port: number; models: string }> {
  const port = await freePort();
  const models = env.OLLAMA_MODELS ?? join(tmp(), 'models');
  const emu = start('ollama', ['serve'], { OLLAMA_HOST: `127.0.0.1:${port}`, OLLAMA_MODELS: models, ...env });
  await waitReady(port, '/');
  return { emu, base: `http://127.0.0.1:${port}`, port, models };
}

async function pull(base: string, name: string, extra: Record<string, unknown> = {}): Promise<Array<Record<string, unknown>>> {
  const res = await post(`${base}/api/pull`, { name, ...extra });
  expect(res.status).toBe(200);
  return ndjson(await res.text());
}

describe('ollama emulator', () => {
  it('answers the basic routes with the documented shapes', async () => {
    const { emu, base } = await startOllama({ EMU_VERSION: '0.99.1' });
    const root = await fetch(`${base}/`);
    expect(root.status).toBe(200);
    expect(await root.text()).toBe('Ollama is running');
    expect((await fetch(`${base}/`, { method: 'HEAD' })).status).toBe(200);
    expect(await (await fetch(`${base}/api/version`)).json()).toEqual({ version: '0.99.1' });
    expect(await (await fetch(`${base}/api/tags`)).json()).toEqual({ models: [] });
    expect(await (await fetch(`${base}/api/ps`)).json()).toEqual({ models: [] });
    expect(await (await fetch(`${base}/v1/models`)).text()).toBe('{"object":"list","data":null}');
    expect((await fetch(`${base}/api/pull`)).status).toBe(405);
    expect((await fetch(`${base}/api/tags`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    const show = await post(`${base}/api/show`, { model: 'ghost' });
    expect(show.status).toBe(404);
    expect(await show.json()).toEqual({ error: "model 'ghost' not found" });
    const empty = await fetch(`${base}/api/show`, { method: 'POST' });
    expect(empty.status).toBe(400);
    expect(await empty.json()).toEqual({ error: 'missing request body' });
    const gen = await post(`${base}/api/generate`, { model: 'ghost' });
    expect(gen.status).toBe(404);
    expect(await gen.json()).toEqual({ error: "model 'ghost' not found" });
    expect(emu.output()).toMatch(/^time=\S+ level=INFO source=routes\.go:\d+ msg="Listening on 127\.0\.0\.1:\d+ \(version 0\.99\.1\)"$/m);
    const started = emu.events().find((e) => e.event === 'started');
    expect((started?.env as Record<string, string>).OLLAMA_MODELS).toContain('models');
  });

  it('pulls with the exact NDJSON sequence, stores the real layout, and lists/shows the model', async () => {
    const { base, models } = await startOllama({ EMU_PULL_BYTES_PER_SEC: String(20 * 1024 * 1024) });
    const res = await post(`${base}/api/pull`, { model: 'tinyllama' });
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    const lines = ndjson(await res.text());
    expect(lines[0]).toEqual({ status: 'pulling manifest' });
    expect(lines.slice(-3)).toEqual([{ status: 'verifying sha256 digest' }, { status: 'writing manifest' }, { status: 'success' }]);
    const progress = lines.slice(1, -3);
    const digests = [...new Set(progress.map((l) => l.digest as string))];
    expect(digests.length).toBeGreaterThanOrEqual(3); // layers + config
    for (const l of progress) {
      const d = l.digest as string;
      expect(d).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(l.status).toBe(`pulling ${d.slice(7, 19)}`);
      expect(typeof l.total).toBe('number');
      if ('completed' in l) expect(l.completed).toBeGreaterThan(0);
    }
    expect(progress.some((l) => !('completed' in l))).toBe(true); // completed omitted while 0
    const big = progress.filter((l) => l.digest === digests[0]);
    expect(big.length).toBeGreaterThan(2); // repeated ticker lines for the big model layer
    for (const d of digests) {
      const last = progress.filter((l) => l.digest === d).at(-1);
      expect(last?.completed).toBe(last?.total);
      const file = join(models, 'blobs', d.replace(':', '-'));
      expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(d.slice(7));
    }
    const manifestFile = join(models, 'manifests', 'registry.ollama.ai', 'library', 'tinyllama', 'latest');
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { layers: Array<{ mediaType: string; size: number }>; config: { digest: string } };
    expect(manifest.layers[0]?.mediaType).toBe('application/vnd.ollama.image.model');
    expect(manifest.layers.length).toBeGreaterThanOrEqual(2);
    expect(manifest.layers[0]!.size).toBe(Math.max(...manifest.layers.map((l) => l.size)));

    const tags = (await (await fetch(`${base}/api/tags`)).json()) as { models: Array<Record<string, unknown>> };
    expect(tags.models).toHaveLength(1);
    const m = tags.models[0]!;
    expect(m.name).toBe('tinyllama:latest');
    expect(m.model).toBe('tinyllama:latest');
    expect(m.digest).toBe(createHash('sha256').update(readFileSync(manifestFile)).digest('hex'));
    expect(m.details).toMatchObject({ parent_model: '', format: 'gguf', family: 'llama', families: ['llama'] });
    expect(typeof m.size).toBe('number');
    expect(m.modified_at).toMatch(/^\d{4}-\d\d-\d\dT/);

    const v1 = (await (await fetch(`${base}/v1/models`)).json()) as { object: string; data: Array<Record<string, unknown>> };
    expect(v1.object).toBe('list');
    expect(v1.data[0]).toMatchObject({ id: 'tinyllama:latest', object: 'model', owned_by: 'library' });
    expect(await (await fetch(`${base}/v1/models/tinyllama:latest`)).json()).toMatchObject({ id: 'tinyllama:latest' });

    const show = (await (await post(`${base}/api/show`, { name: 'tinyllama' })).json()) as Record<string, unknown>;
    expect(show.template).toContain('.System');
    expect(show.capabilities).toEqual(['completion']);
    expect(show.model_info).toMatchObject({ 'general.architecture': 'llama', 'llama.context_length': 2048 });
    expect(show.details).toMatchObject({ family: 'llama' });
    expect(typeof show.modelfile).toBe('string');

    // already present: exactly one line per blob with total == completed
    const again = await pull(base, 'tinyllama:latest');
    const againProgress = again.slice(1, -3);
    expect(againProgress).toHaveLength(digests.length);
    for (const l of againProgress) expect(l.completed).toBe(l.total);

    // stream:false → single object
    const single = await post(`${base}/api/pull`, { model: 'tinyllama', stream: false });
    expect(await single.json()).toEqual({ status: 'success' });
  });

  it('reports an unknown model as an error line with HTTP 200, and as 500 when stream:false', async () => {
    const { base } = await startOllama();
    expect(await pull(base, 'no-such-model')).toEqual([
      { status: 'pulling manifest' },
      { error: 'pull model manifest: file does not exist' },
    ]);
    const single = await post(`${base}/api/pull`, { model: 'no-such-model', stream: false });
    expect(single.status).toBe(500);
    expect(await single.json()).toEqual({ error: 'pull model manifest: file does not exist' });
    const bad = await post(`${base}/api/pull`, { model: 'bad name!' });
    expect(bad.status).toBe(400);
  });

  it('deletes with an empty 200 body, 404 JSON when missing, and survives restarts via the disk', async () => {
    const first = await startOllama();
    await pull(first.base, 'qwen2.5:0.5b');
    process.kill(-first.emu.pid, 'SIGTERM');
    expect((await first.emu.exited).code).toBe(0);
    const { base, models } = await startOllama({ OLLAMA_MODELS: first.models });
    const tags = (await (await fetch(`${base}/api/tags`)).json()) as { models: Array<{ name: string }> };
    expect(tags.models.map((m) => m.name)).toEqual(['qwen2.5:0.5b']);
    const del = await fetch(`${base}/api/delete`, { method: 'DELETE', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'qwen2.5:0.5b' }) });
    expect(del.status).toBe(200);
    expect(await del.text()).toBe('');
    expect(readdirSync(join(models, 'blobs')).filter((f) => f.startsWith('sha256-'))).toEqual([]);
    const again = await fetch(`${base}/api/delete`, { method: 'DELETE', body: JSON.stringify({ model: 'qwen2.5:0.5b' }) });
    expect(again.status).toBe(404);
    expect(await again.json()).toEqual({ error: "model 'qwen2.5:0.5b' not found" });
    expect(await (await fetch(`${base}/v1/models`)).json()).toEqual({ object: 'list', data: null });
  });

  it('loads and unloads via /api/generate and /api/chat, with a runner child in the same group', async () => {
    const { emu, base } = await startOllama();
    await pull(base, 'qwen2.5:0.5b');
    const load = (await (await post(`${base}/api/generate`, { model: 'qwen2.5:0.5b' })).json()) as Record<string, unknown>;
    expect(load).toMatchObject({ model: 'qwen2.5:0.5b', response: '', done: true, done_reason: 'load' });
    expect(load.created_at).toMatch(/Z$/);
    const ps = (await (await fetch(`${base}/api/ps`)).json()) as { models: Array<Record<string, unknown>> };
    expect(ps.models).toHaveLength(1);
    const p0 = ps.models[0]!;
    expect(p0).toMatchObject({ name: 'qwen2.5:0.5b', model: 'qwen2.5:0.5b' });
    expect(p0.size_vram).toBe(p0.size);
    expect(typeof p0.context_length).toBe('number');
    const ttl = Date.parse(p0.expires_at as string) - Date.now();
    expect(ttl).toBeGreaterThan(4 * 60_000); // default keep-alive 5m
    expect(ttl).toBeLessThan(5 * 60_000 + 1000);
    const runner = await waitFor(() => childPid(emu, 'runner'));
    expect(isAlive(runner)).toBe(true);
    const pg = pgidOf(runner);
    if (pg !== null) expect(pg).toBe(emu.pid);

    const unload = (await (await post(`${base}/api/chat`, { model: 'qwen2.5:0.5b', messages: [], keep_alive: 0 })).json()) as Record<string, unknown>;
    expect(unload).toMatchObject({ model: 'qwen2.5:0.5b', message: { role: 'assistant', content: '' }, done_reason: 'unload', done: true });
    await waitFor(() => !isAlive(runner));
    expect(await (await fetch(`${base}/api/ps`)).json()).toEqual({ models: [] });

    const chatLoad = (await (await post(`${base}/api/chat`, { model: 'qwen2.5:0.5b', messages: [] })).json()) as Record<string, unknown>;
    expect(chatLoad).toMatchObject({ done_reason: 'load', done: true, message: { role: 'assistant', content: '' } });
    const unloadGen = (await (await post(`${base}/api/generate`, { model: 'qwen2.5:0.5b', keep_alive: 0 })).json()) as Record<string, unknown>;
    expect(unloadGen).toMatchObject({ response: '', done: true, done_reason: 'unload' });
  });

  it('expires a model after keep_alive seconds and kills its runner', async () => {
    const { emu, base } = await startOllama({ OLLAMA_KEEP_ALIVE: '10m' });
    await pull(base, 'qwen2.5:0.5b');
    await post(`${base}/api/generate`, { model: 'qwen2.5:0.5b' });
    const ps = (await (await fetch(`${base}/api/ps`)).json()) as { models: Array<{ expires_at: string }> };
    expect(Date.parse(ps.models[0]!.expires_at) - Date.now()).toBeGreaterThan(9 * 60_000); // OLLAMA_KEEP_ALIVE
    const runner = await waitFor(() => childPid(emu, 'runner'));
    await post(`${base}/api/generate`, { model: 'qwen2.5:0.5b', keep_alive: 0.3 });
    await waitFor(async () => ((await (await fetch(`${base}/api/ps`)).json()) as { models: unknown[] }).models.length === 0, 3000);
    await waitFor(() => !isAlive(runner));
    await post(`${base}/api/generate`, { model: 'qwen2.5:0.5b', keep_alive: -1 });
    const forever = (await (await fetch(`${base}/api/ps`)).json()) as { models: Array<{ expires_at: string }> };
    expect(Number(forever.models[0]!.expires_at.slice(0, 4))).toBeGreaterThan(2200);
  });

  it('streams generate/chat NDJSON and serves the OpenAI-compatible endpoints', async () => {
    const { base } = await startOllama();
    await pull(base, 'qwen2.5:0.5b');
    const gen = ndjson(await (await post(`${base}/api/generate`, { model: 'qwen2.5:0.5b', prompt: 'Why is the sky blue?' })).text());
    expect(gen.length).toBeGreaterThan(2);
    for (const c of gen.slice(0, -1)) expect(c).toMatchObject({ model: 'qwen2.5:0.5b', done: false });
    const last = gen.at(-1)!;
    expect(last).toMatchObject({ done: true, done_reason: 'stop', response: '' });
    for (const k of ['total_duration', 'load_duration', 'prompt_eval_count', 'eval_count', 'eval_duration']) expect(typeof last[k]).toBe('number');
    expect(Array.isArray(last.context)).toBe(true);
    const text = gen.slice(0, -1).map((c) => c.response).join('');
    const again = (await (await post(`${base}/api/generate`, { model: 'qwen2.5:0.5b', prompt: 'Why is the sky blue?', stream: false })).json()) as Record<string, unknown>;
    expect(again.response).toBe(text); // deterministic
    const chat = ndjson(await (await post(`${base}/api/chat`, { model: 'qwen2.5:0.5b', messages: [{ role: 'user', content: 'hi' }] })).text());
    expect(chat[0]).toMatchObject({ message: { role: 'assistant' }, done: false });
    expect(chat.at(-1)).toMatchObject({ done: true, done_reason: 'stop' });

    const oai = (await (await post(`${base}/v1/chat/completions`, { model: 'qwen2.5:0.5b', messages: [{ role: 'user', content: 'hi' }] })).json()) as Record<string, unknown>;
    expect(oai).toMatchObject({ object: 'chat.completion', model: 'qwen2.5:0.5b', system_fingerprint: 'fp_ollama' });
    expect(oai.id).toMatch(/^chatcmpl-\d{1,3}$/);
    expect((oai.choices as Array<Record<string, unknown>>)[0]).toMatchObject({ index: 0, message: { role: 'assistant' }, finish_reason: 'stop' });
    expect(oai.usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number), total_tokens: expect.any(Number) });

    const sres = await post(`${base}/v1/chat/completions`, { model: 'qwen2.5:0.5b', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
    expect(sres.headers.get('content-type')).toContain('text/event-stream');
    const events = sseData(await sres.text());
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as { created: number; object: string; choices: Array<{ delta?: Record<string, unknown>; finish_reason: string | null }>; usage?: unknown });
    expect(chunks[0]!.choices[0]!.delta).toMatchObject({ role: 'assistant' });
    expect(new Set(chunks.map((c) => c.created)).size).toBe(1);
    const finish = chunks.at(-2)!;
    expect(finish.choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    expect(chunks.at(-1)!.choices).toEqual([]);
    expect(chunks.at(-1)!.usage).toBeTruthy();
    for (const c of chunks) expect(c.object).toBe('chat.completion.chunk');

    const missing = await post(`${base}/v1/chat/completions`, { model: 'ghost', messages: [{ role: 'user', content: 'x' }] });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { message: "model 'ghost' not found", type: 'not_found_error', param: null, code: null } });

    const comp = (await (await post(`${base}/v1/completions`, { model: 'qwen2.5:0.5b', prompt: 'Say hi' })).json()) as Record<string, unknown>;
    expect(comp).toMatchObject({ object: 'text_completion', choices: [{ index: 0, finish_reason: 'stop' }] });
    const emb = (await (await post(`${base}/v1/embeddings`, { model: 'qwen2.5:0.5b', input: ['a', 'b'] })).json()) as { data: Array<{ embedding: number[]; index: number }> };
    expect(emb.data).toHaveLength(2);
    const emb2 = (await (await post(`${base}/v1/embeddings`, { model: 'qwen2.5:0.5b', input: 'a' })).json()) as { data: Array<{ embedding: number[] }> };
    expect(emb2.data[0]!.embedding).toEqual(emb.data[0]!.embedding);
    const native = (await (await post(`${base}/api/embed`, { model: 'qwen2.5:0.5b', input: 'a' })).json()) as { embeddings: number[][] };
    expect(native.embeddings).toHaveLength(1);
  });

  it('aborts a pull on client disconnect, leaves a -partial blob and resumes from it', async () => {
    const { emu, base, models } = await startOllama({ EMU_PULL_BYTES_PER_SEC: String(4 * 1024 * 1024) });
    const ac = new AbortController();
    const res = await fetch(`${base}/api/pull`, { method: 'POST', body: JSON.stringify({ name: 'tinyllama' }), signal: ac.signal });
    const reader = res.body!.getReader();
    let buf = '';
    while (!/"completed":\d+/.test(buf)) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += Buffer.from(value).toString();
    }
    ac.abort();
    await waitFor(() => emu.events().some((e) => e.event === 'download_cancelled'));
    const partials = readdirSync(join(models, 'blobs')).filter((f) => f.endsWith('-partial'));
    expect(partials).toHaveLength(1);
    const partialSize = statSync(join(models, 'blobs', partials[0]!)).size;
    expect(partialSize).toBeGreaterThan(0);
    const lines = await pull(base, 'tinyllama');
    expect(lines.at(-1)).toEqual({ status: 'success' });
    const firstModelLine = lines[1]!;
    expect(firstModelLine.completed).toBeGreaterThanOrEqual(partialSize);
    const started = emu.events().filter((e) => e.event === 'download_started');
    expect(started[1]?.resumeFrom).toBe(partialSize);
    expect(readdirSync(join(models, 'blobs')).some((f) => f.endsWith('-partial'))).toBe(false);
  });

  it('EMU_PULL_FAIL_AFTER_BYTES emits an error line mid-stream (HTTP 200)', async () => {
    const { base, models } = await startOllama({ EMU_PULL_FAIL_AFTER_BYTES: '100000', EMU_PULL_BYTES_PER_SEC: String(4 * 1024 * 1024) });
    const lines = await pull(base, 'tinyllama');
    expect(lines[0]).toEqual({ status: 'pulling manifest' });
    expect(lines.at(-1)).toEqual({ error: expect.stringContaining('max retries exceeded') });
    expect(lines.some((l) => l.status === 'success')).toBe(false);
    expect(readdirSync(join(models, 'blobs')).some((f) => f.endsWith('-partial'))).toBe(true);
  });

  it('SIGTERM closes connections at once, kills runners and exits 0; EMU_EXIT_DELAY_MS delays the exit', async () => {
    const { emu, base } = await startOllama({ EMU_PULL_BYTES_PER_SEC: '200000', EMU_EXIT_DELAY_MS: '300', EMU_REGISTRY_FILE: registryFile() });
    await pull(base, 'tiny-emu');
    await post(`${base}/api/generate`, { model: 'tiny-emu' });
    const runner = await waitFor(() => childPid(emu, 'runner'));
    const inflight = fetch(`${base}/api/pull`, { method: 'POST', body: '{"name":"llama3.2:1b"}' }).then((r) => r.text());
    await sleep(150);
    const t0 = Date.now();
    process.kill(emu.pid, 'SIGTERM');
    await expect(inflight).rejects.toThrow();
    const { code } = await emu.exited;
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
    expect(isAlive(runner)).toBe(false);
    expect(emu.events().map((e) => e.event)).toContain('sigterm');
  });

  it('EMU_IGNORE_SIGTERM keeps it running; EMU_CHILD_IGNORE_SIGTERM leaves the runner behind; SIGKILL leaves runners alive', async () => {
    const a = await startOllama({ EMU_IGNORE_SIGTERM: '1' });
    process.kill(a.emu.pid, 'SIGTERM');
    await sleep(200);
    expect((await fetch(`${a.base}/api/version`)).status).toBe(200);
    process.kill(a.emu.pid, 'SIGKILL');
    expect((await a.emu.exited).signal).toBe('SIGKILL');

    const b = await startOllama({ EMU_CHILD_IGNORE_SIGTERM: '1', EMU_REGISTRY_FILE: registryFile() });
    await pull(b.base, 'tiny-emu');
    await post(`${b.base}/api/generate`, { model: 'tiny-emu' });
    const runner = await waitFor(() => childPid(b.emu, 'runner'));
    process.kill(b.emu.pid, 'SIGTERM');
    expect((await b.emu.exited).code).toBe(0);
    expect(isAlive(runner)).toBe(true); // only killing the group ends it
    process.kill(-b.emu.pid, 'SIGKILL');
    await waitFor(() => !isAlive(runner));

    const c = await startOllama({ EMU_REGISTRY_FILE: registryFile() });
    await pull(c.base, 'tiny-emu');
    await post(`${c.base}/api/chat`, { model: 'tiny-emu', messages: [] });
    const runner2 = await waitFor(() => childPid(c.emu, 'runner'));
    process.kill(c.emu.pid, 'SIGKILL');
    await c.emu.exited;
    await sleep(100);
    expect(isAlive(runner2)).toBe(true);
  });

  it('EMU_CRASH_AFTER_MS exits 1 with an error; EMU_START_DELAY_MS delays listening; busy port exits 1', async () => {
    const crash = await startOllama({ EMU_CRASH_AFTER_MS: '300' });
    expect((await crash.emu.exited).code).toBe(1);
    expect(crash.emu.output()).toMatch(/panic: runtime error/);

    const port = await freePort();
    const slow = start('ollama', ['serve'], { OLLAMA_HOST: `http://127.0.0.1:${port}`, OLLAMA_MODELS: join(tmp(), 'm'), EMU_START_DELAY_MS: '500' });
    await waitReady(port, '/api/version');
    // on the emulator's own clock, so a loaded machine cannot blur it
    const at = (event: string) => slow.events().find((e) => e.event === event)!.ts as number;
    expect(at('listening') - at('started')).toBeGreaterThanOrEqual(500);

    const busy = start('ollama', ['serve'], { OLLAMA_HOST: `127.0.0.1:${port}`, OLLAMA_MODELS: join(tmp(), 'm') });
    expect((await busy.exited).code).toBe(1);
    expect(busy.output()).toContain(`Error: listen tcp 127.0.0.1:${port}: bind: address already in use`);
    expect(slow.proc.exitCode).toBe(null);
  });

  it('has the CLI behaviour: --version, unknown subcommands', async () => {
    const v = start('ollama', ['--version']);
    expect((await v.exited).code).toBe(0);
    expect(v.output()).toBe('ollama version is 0.33.0\n');
    const u = start('ollama', ['frobnicate']);
    expect((await u.exited).code).toBe(2);
    expect(u.output()).toMatch(/unknown command "frobnicate"/);
  });
});

function registryFile(): string {
  const f = join(tmp(), 'registry.json');
  writeFileSync(f, JSON.stringify({ 'tiny-emu:latest': { size: 20_000, family: 'llama', parameter_size: '10M', quantization_level: 'Q4_0', template: '{{ .Prompt }}' } }));
  return f;
}

// ---------------------------------------------------------------------------------------------------
// vLLM

function hfCacheWithModel(repo: string, config: Record<string, unknown> | null, files: Record<string, string> = { 'model.safetensors': 'w' }): string {
  const cache = join(tmp(), 'hub');
  const repoDir = join(cache, `models--${repo.replace('/', '--')}`);
  const commit = 'a'.repeat(40);
  mkdirSync(join(repoDir, 'refs'), { recursive: true });
  writeFileSync(join(repoDir, 'refs', 'main'), commit);
  mkdirSync(join(repoDir, 'snapshots', commit), { recursive: true });
  if (config) writeFileSync(join(repoDir, 'snapshots', commit, 'config.json'), JSON.stringify(config));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(repoDir, 'snapshots', commit, name)), { recursive: true });
    writeFileSync(join(repoDir, 'snapshots', commit, name), content);
  }
  return cache;
}

async function startVllm(extraArgs: string[] = [], env: Record<string, string> = {}, model = 'Qwen/Qwen2.5-0.5B-Instruct') {
  const port = await freePort();
  const emu = start('vllm', ['serve', model, '--host', '127.0.0.1', '--port', String(port), ...extraArgs], { EMU_START_DELAY_MS: '0', ...env });
  return { emu, port, base: `http://127.0.0.1:${port}` };
}

describe('vllm emulator', () => {
  it('does not listen while loading, then serves /health, /v1/models, /version, /ping with real-looking logs', async () => {
    const cache = hfCacheWithModel('Qwen/Qwen2.5-0.5B-Instruct', { architectures: ['Qwen2ForCausalLM'], max_position_embeddings: 32768 });
    const { emu, port, base } = await startVllm(['--served-model-name', 'qwen', 'qwen-alias', '--gpu-memory-utilization', '0.5', '--enforce-eager', '--some-future-flag', 'x'], {
      EMU_START_DELAY_MS: '600', HF_HUB_CACHE: cache, HF_HUB_OFFLINE: '1',
    });
    await waitReady(port, '/health');
    // the socket opened only after the whole load (EMU_START_DELAY_MS), on the emulator's own clock
    const at = (event: string) => emu.events().find((e) => e.event === event)!.ts as number;
    expect(at('listening') - at('child_spawned')).toBeGreaterThanOrEqual(600);
    expect(emu.output()).toMatch(/Starting to load model[\s\S]*Starting vLLM API server/);
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('');
    expect((await fetch(`${base}/ping`, { method: 'POST' })).status).toBe(200);
    expect(await (await fetch(`${base}/version`)).json()).toEqual({ version: '0.21.0' });
    const models = (await (await fetch(`${base}/v1/models`)).json()) as { object: string; data: Array<Record<string, unknown>> };
    expect(models.object).toBe('list');
    expect(models.data.map((d) => d.id)).toEqual(['qwen', 'qwen-alias']);
    const card = models.data[0]!;
    expect(card).toMatchObject({ object: 'model', owned_by: 'vllm', root: 'Qwen/Qwen2.5-0.5B-Instruct', parent: null, max_model_len: 32768 });
    expect(Object.keys(card)).toEqual(['id', 'object', 'created', 'owned_by', 'root', 'parent', 'max_model_len', 'permission']);
    const perm = (card.permission as Array<Record<string, unknown>>)[0]!;
    expect(perm).toMatchObject({ object: 'model_permission', allow_sampling: true, organization: '*', group: null, is_blocking: false });
    expect(perm.id).toMatch(/^modelperm-[0-9a-f]{16}$/);

    const out = emu.output();
    const P = `(APIServer pid=${emu.pid})`;
    expect(out).toContain(`${P} INFO`);
    expect(out).toMatch(/Using max model len 32768/);
    expect(out).toMatch(/Available KV cache memory: [\d.]+ GiB/);
    expect(out).toMatch(/init engine \(profile, create kv cache, warmup model\) took [\d.]+ seconds/);
    expect(out).toContain(`Starting vLLM API server 0 on http://127.0.0.1:${port}`);
    expect(out).toContain(`INFO:     Started server process [${emu.pid}]`);
    expect(out).toContain('INFO:     Waiting for application startup.');
    expect(out).toContain('INFO:     Application startup complete.');
    expect(out).not.toContain('Uvicorn running on');
    expect(out).toMatch(/^\(APIServer pid=\d+\) INFO \d\d-\d\d \d\d:\d\d:\d\d \[api_server\.py:\d+\] /m);
    const engine = await waitFor(() => childPid(emu, 'engine-core'));
    expect(out).toContain(`(EngineCore_DP0 pid=${engine}) INFO`);
    expect(isAlive(engine)).toBe(true);
    const pg = pgidOf(engine);
    if (pg !== null) expect(pg).toBe(emu.pid);
    const started = emu.events().find((e) => e.event === 'started');
    expect(started?.env).toMatchObject({ HF_HUB_OFFLINE: '1', HF_HUB_CACHE: cache });
    expect(started?.argv).toContain('--some-future-flag');

    // SIGTERM: shutdown logs, engine core gone, exit 0
    process.kill(emu.pid, 'SIGTERM');
    expect((await emu.exited).code).toBe(0);
    expect(emu.output()).toContain('Shutting down FastAPI HTTP server.');
    expect(emu.output()).toContain('INFO:     Shutting down');
    await waitFor(() => !isAlive(engine));
  });

  it('serves chat (stream + non-stream), completions, embeddings, 404s and counts in /metrics', async () => {
    const { port, base } = await startVllm(['--served-model-name', 'm1', 'm2', '--max-model-len', '2k']);
    await waitReady(port, '/health');
    const card = ((await (await fetch(`${base}/v1/models`)).json()) as { data: Array<{ max_model_len: number }> }).data[0]!;
    expect(card.max_model_len).toBe(2000);
    const chat = (await (await post(`${base}/v1/chat/completions`, { model: 'm2', messages: [{ role: 'user', content: 'hello there' }] })).json()) as Record<string, unknown>;
    expect(chat).toMatchObject({ object: 'chat.completion', model: 'm1' });
    expect(chat.id).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
    expect((chat.choices as Array<Record<string, unknown>>)[0]).toMatchObject({ index: 0, message: { role: 'assistant' }, finish_reason: 'stop' });

    const sres = await post(`${base}/v1/chat/completions`, { model: 'm1', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true }, max_tokens: 3 });
    expect(sres.headers.get('content-type')).toContain('text/event-stream');
    const events = sseData(await sres.text());
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as { object: string; choices: Array<{ delta: Record<string, unknown>; finish_reason: string | null }>; usage?: Record<string, number> });
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks.slice(1, 4).every((c) => typeof c.choices[0]!.delta.content === 'string' && c.choices[0]!.finish_reason === null)).toBe(true);
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('length');
    expect(chunks.at(-1)!.choices).toEqual([]);
    expect(chunks.at(-1)!.usage).toMatchObject({ completion_tokens: 3 });
    for (const c of chunks) expect(c.object).toBe('chat.completion.chunk');

    const missing = await post(`${base}/v1/chat/completions`, { model: 'x', messages: [{ role: 'user', content: 'hi' }] });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { message: 'The model `x` does not exist.', type: 'NotFoundError', param: 'model', code: 404 } });
    const comp = (await (await post(`${base}/v1/completions`, { model: 'm1', prompt: 'Once upon' })).json()) as Record<string, unknown>;
    expect(comp).toMatchObject({ object: 'text_completion', choices: [{ index: 0, finish_reason: 'stop' }] });
    const emb = (await (await post(`${base}/v1/embeddings`, { model: 'm1', input: 'abc' })).json()) as { object: string; data: Array<{ embedding: number[] }> };
    expect(emb.object).toBe('list');
    expect(emb.data[0]!.embedding.length).toBeGreaterThan(0);
    expect((await fetch(`${base}/nope`)).status).toBe(404);

    const metrics = await (await fetch(`${base}/metrics`)).text();
    const val = (re: RegExp) => Number(re.exec(metrics)?.[1]);
    expect(metrics).toContain('# TYPE vllm:num_requests_running gauge');
    expect(metrics).toMatch(/^vllm:num_requests_running\{engine="0",model_name="m1"\} 0\.0$/m);
    expect(metrics).toMatch(/^vllm:num_requests_waiting\{engine="0",model_name="m1"\} /m);
    expect(metrics).toMatch(/^vllm:kv_cache_usage_perc\{engine="0",model_name="m1"\} /m);
    expect(val(/^vllm:request_success_total\{engine="0",model_name="m1",finished_reason="stop"\} ([\d.]+)$/m)).toBe(3); // chat, completion, embeddings
    expect(val(/^vllm:request_success_total\{engine="0",model_name="m1",finished_reason="length"\} ([\d.]+)$/m)).toBe(1);
    expect(val(/^vllm:generation_tokens_total\{engine="0",model_name="m1"\} ([\d.]+)$/m)).toBeGreaterThan(3);
    expect(val(/^vllm:prompt_tokens_total\{engine="0",model_name="m1"\} ([\d.]+)$/m)).toBeGreaterThan(0);
    expect(val(/^vllm:e2e_request_latency_seconds_count\{engine="0",model_name="m1"\} ([\d.]+)$/m)).toBe(4);
    expect(metrics).toContain('# TYPE vllm:e2e_request_latency_seconds histogram');
    expect(metrics).toMatch(/vllm:e2e_request_latency_seconds_bucket\{engine="0",model_name="m1",le="\+Inf"\} 4\.0/);
  });

  it('stops streaming when the client disconnects and counts an abort', async () => {
    const { port, base } = await startVllm([], { EMU_TOKEN_DELAY_MS: '100' });
    await waitReady(port, '/health');
    const ac = new AbortController();
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST', signal: ac.signal, headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: 'Qwen/Qwen2.5-0.5B-Instruct', messages: [{ role: 'user', content: 'tell me a long story' }], stream: true }),
    });
    const reader = res.body!.getReader();
    await reader.read();
    const running = await (await fetch(`${base}/metrics`)).text();
    expect(running).toMatch(/^vllm:num_requests_running\{[^}]*\} 1\.0$/m);
    ac.abort();
    await waitFor(async () => /finished_reason="abort"\} 1\.0/.test(await (await fetch(`${base}/metrics`)).text()), 3000);
  });

  it('guards /v1 with --api-key or VLLM_API_KEY, leaving /health and /metrics open', async () => {
    const { port, base } = await startVllm(['--api-key', 'sekrit']);
    await waitReady(port, '/health');
    const denied = await fetch(`${base}/v1/models`);
    expect(denied.status).toBe(401);
    expect(await denied.json()).toEqual({ error: 'Unauthorized' });
    expect((await fetch(`${base}/v1/models`, { headers: { Authorization: 'Bearer sekrit' } })).status).toBe(200);
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
    const env = await startVllm([], { VLLM_API_KEY: 'k2' });
    await waitReady(env.port, '/health');
    expect((await fetch(`${env.base}/v1/models`)).status).toBe(401);
    expect((await fetch(`${env.base}/v1/models`, { headers: { Authorization: 'Bearer k2' } })).status).toBe(200);
  });

  it('HF_HUB_OFFLINE=1 without the model in the cache exits 1 with LocalEntryNotFoundError, never listening', async () => {
    const { emu, port } = await startVllm([], { HF_HUB_OFFLINE: '1', HF_HOME: tmp() }, 'org/not-cached');
    expect((await emu.exited).code).toBe(1);
    expect(emu.output()).toContain('huggingface_hub.errors.LocalEntryNotFoundError');
    expect(emu.events().some((e) => e.event === 'listening')).toBe(false);
    expect(await canConnect(port)).toBe(false);
    // a local directory works offline and its config.json sets max_model_len
    const dir = join(tmp(), 'local-model');
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ max_position_embeddings: 1234 }));
    writeFileSync(join(dir, 'model.safetensors'), 'w');
    const local = await startVllm([], { HF_HUB_OFFLINE: '1' }, dir);
    await waitReady(local.port, '/health');
    const card = ((await (await fetch(`${local.base}/v1/models`)).json()) as { data: Array<Record<string, unknown>> }).data[0]!;
    expect(card).toMatchObject({ id: dir, root: dir, max_model_len: 1234 });
  });

  it('refuses what vLLM refuses: no config.json, no weights, a missing indexed shard, remote code without its flag or files', async () => {
    const refused = async (config: Record<string, unknown> | null, files: Record<string, string>, args: string[] = []) => {
      const cache = hfCacheWithModel('org/m', config, files);
      const { emu, port } = await startVllm(args, { HF_HUB_OFFLINE: '1', HF_HUB_CACHE: cache }, 'org/m');
      const exit = await emu.exited;
      expect(await canConnect(port)).toBe(false);
      return { code: exit.code, out: emu.output() };
    };
    const noConfig = await refused(null, { 'model.safetensors': 'w' });
    expect(noConfig.code).toBe(1);
    expect(noConfig.out).toContain("ensure the presence of a 'config.json'");
    const noWeights = await refused({ architectures: ['LlamaForCausalLM'] }, { 'tokenizer.json': '{}' });
    expect(noWeights.out).toContain('Cannot find any model weights');
    const index = JSON.stringify({ weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' } });
    const shard = await refused({ architectures: ['LlamaForCausalLM'] }, { 'model.safetensors.index.json': index, 'model-00001-of-00002.safetensors': 'w', 'consolidated.safetensors': 'w' });
    expect(shard.out).toContain("Following weights were not initialized from checkpoint: {'model-00002-of-00002.safetensors'}");
    const remote = { architectures: ['InternLM2ForCausalLM'], auto_map: { AutoConfig: 'configuration_internlm2.InternLM2Config', AutoModelForCausalLM: 'modeling_internlm2.InternLM2ForCausalLM' } };
    const untrusted = await refused(remote, { 'model.safetensors': 'w', 'configuration_internlm2.py': '', 'modeling_internlm2.py': '' });
    expect(untrusted.out).toContain('contains custom code which must be executed');
    const heads = await refused({ architectures: ['LlamaForCausalLM'], num_attention_heads: 6 }, { 'model.safetensors': 'w' }, ['--tensor-parallel-size', '4']);
    expect(heads.out).toContain('Total number of attention heads (6) must be divisible by tensor parallel size (4)');
    const noCode = await refused(remote, { 'model.safetensors': 'w', 'configuration_internlm2.py': '' }, ['--trust-remote-code']);
    expect(noCode.out).toContain('does not appear to have a file named modeling_internlm2.py');
    // with the flag and the files it loads
    const cache = hfCacheWithModel('org/m', remote, { 'model.safetensors': 'w', 'configuration_internlm2.py': '', 'modeling_internlm2.py': '' });
    const ok = await startVllm(['--trust-remote-code'], { HF_HUB_OFFLINE: '1', HF_HUB_CACHE: cache }, 'org/m');
    await waitReady(ok.port, '/health');
  });

  it('derives the max model len as vLLM does (n_positions, rope scaling) and refuses a larger --max-model-len', async () => {
    const gpt2 = hfCacheWithModel('org/gpt2', { architectures: ['GPT2LMHeadModel'], n_positions: 1024, n_ctx: 1024 });
    const over = await startVllm(['--max-model-len', '8192'], { HF_HUB_OFFLINE: '1', HF_HUB_CACHE: gpt2 }, 'org/gpt2');
    expect((await over.emu.exited).code).toBe(1);
    expect(over.emu.output()).toContain('User-specified max_model_len (8192) is greater than the derived max_model_len (n_positions=1024');
    const yarn = hfCacheWithModel('org/yarn', { architectures: ['Qwen2ForCausalLM'], max_position_embeddings: 32768, rope_scaling: { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 32768 } });
    const long = await startVllm([], { HF_HUB_OFFLINE: '1', HF_HUB_CACHE: yarn }, 'org/yarn');
    await waitReady(long.port, '/health');
    expect(long.emu.output()).toContain('Using max model len 131072');
  });

  it('logs the Marlin choice for AWQ, and "forcing awq" when --quantization awq is passed; --revision picks the snapshot', async () => {
    const awq = hfCacheWithModel('org/awq', { architectures: ['LlamaForCausalLM'], max_position_embeddings: 4096, quantization_config: { quant_method: 'awq', bits: 4 } });
    const auto = await startVllm([], { HF_HUB_OFFLINE: '1', HF_HUB_CACHE: awq }, 'org/awq');
    await waitReady(auto.port, '/health');
    expect(auto.emu.output()).toContain('Using awq_marlin kernel');
    const forced = await startVllm(['--quantization', 'awq'], { HF_HUB_OFFLINE: '1', HF_HUB_CACHE: awq }, 'org/awq');
    await waitReady(forced.port, '/health');
    expect(forced.emu.output()).toContain('so forcing awq');
    // a revision that is not in the cache fails offline, the cached commit works
    const missing = await startVllm(['--revision', 'b'.repeat(40)], { HF_HUB_OFFLINE: '1', HF_HUB_CACHE: awq }, 'org/awq');
    expect((await missing.emu.exited).code).toBe(1);
    const pinned = await startVllm(['--revision', 'a'.repeat(40), '--tokenizer-revision', 'a'.repeat(40)], { HF_HUB_OFFLINE: '1', HF_HUB_CACHE: awq }, 'org/awq');
    await waitReady(pinned.port, '/health');
  });

  it('validates flags argparse-style (exit 2) and handles --version / unknown subcommands', async () => {
    const gpu = start('vllm', ['serve', 'm', '--gpu-memory-utilization', '1.5']);
    expect((await gpu.exited).code).toBe(2);
    expect(gpu.output()).toMatch(/usage: vllm serve/);
    expect(gpu.output()).toMatch(/error: argument --gpu-memory-utilization/);
    const zero = start('vllm', ['serve', 'm', '--gpu-memory-utilization', '0']);
    expect((await zero.exited).code).toBe(2);
    const tp = start('vllm', ['serve', 'm', '--tensor-parallel-size', '0']);
    expect((await tp.exited).code).toBe(2);
    expect(tp.output()).toMatch(/--tensor-parallel-size/);
    const tpx = start('vllm', ['serve', 'm', '--tensor-parallel-size', 'two']);
    expect((await tpx.exited).code).toBe(2);
    const v = start('vllm', ['--version'], { EMU_VERSION: '0.30.1' });
    expect((await v.exited).code).toBe(0);
    expect(v.output()).toBe('0.30.1\n');
    const u = start('vllm', ['frobnicate']);
    expect((await u.exited).code).toBe(2);
    expect(u.output()).toMatch(/invalid choice: 'frobnicate'/);
  });

  it('EMU_FAIL_LOAD exits 1 with OOM/ValueError and never listens; EMU_CRASH_AFTER_MS crashes with a CUDA error', async () => {
    const fail = await startVllm([], { EMU_FAIL_LOAD: '1', EMU_START_DELAY_MS: '200' });
    expect((await fail.emu.exited).code).toBe(1);
    expect(fail.emu.output()).toContain('torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB');
    expect(fail.emu.output()).toMatch(/ValueError: /);
    expect(fail.emu.events().some((e) => e.event === 'listening')).toBe(false);
    const engine = childPid(fail.emu, 'engine-core');
    if (engine) await waitFor(() => !isAlive(engine));

    // The crash clock starts when the server listens, so it served first however slow the start was.
    const crash = await startVllm([], { EMU_CRASH_AFTER_MS: '400' });
    await waitFor(() => crash.emu.events().some((e) => e.event === 'listening'));
    expect((await crash.emu.exited).code).toBe(1);
    expect(crash.emu.output()).toContain('RuntimeError: CUDA error: an illegal memory access was encountered');
  });

  it('busy port → OSError [Errno 98] exit 1', async () => {
    const srv = net.createServer();
    const port = await freePort();
    await new Promise<void>((r) => srv.listen(port, '127.0.0.1', () => r()));
    try {
      const emu = start('vllm', ['serve', 'm', '--host', '127.0.0.1', '--port', String(port)], { EMU_START_DELAY_MS: '0' });
      expect((await emu.exited).code).toBe(1);
      expect(emu.output()).toContain('OSError: [Errno 98] Address already in use');
    } finally {
      srv.close();
    }
  });

  it('signal knobs: EMU_IGNORE_SIGTERM, EMU_CHILD_IGNORE_SIGTERM, EMU_EXIT_DELAY_MS, SIGKILL leaves the engine core', async () => {
    const a = await startVllm([], { EMU_IGNORE_SIGTERM: '1' });
    await waitReady(a.port, '/health');
    process.kill(a.emu.pid, 'SIGTERM');
    await sleep(200);
    expect((await fetch(`${a.base}/health`)).status).toBe(200);
    process.kill(-a.emu.pid, 'SIGKILL');
    await a.emu.exited;

    const b = await startVllm([], { EMU_CHILD_IGNORE_SIGTERM: '1', EMU_EXIT_DELAY_MS: '250' });
    await waitReady(b.port, '/health');
    const engine = await waitFor(() => childPid(b.emu, 'engine-core'));
    const t0 = Date.now();
    process.kill(b.emu.pid, 'SIGTERM');
    expect((await b.emu.exited).code).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(230);
    expect(isAlive(engine)).toBe(true);
    process.kill(-b.emu.pid, 'SIGKILL');
    await waitFor(() => !isAlive(engine));

    const c = await startVllm([]);
    await waitReady(c.port, '/health');
    const engine2 = await waitFor(() => childPid(c.emu, 'engine-core'));
    process.kill(c.emu.pid, 'SIGKILL');
    await c.emu.exited;
    await sleep(100);
    expect(isAlive(engine2)).toBe(true);
  });
});
