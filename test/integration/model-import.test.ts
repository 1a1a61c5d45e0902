import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/main/cli/run';
import type { InstalledModel, ModelTestResult, Operation } from '../../src/shared/api/models';
import { startTestCore, type TestCore } from '../support/core';
import { emulatorEvents } from '../support/emulator-state';
import { buildGguf, buildSafetensors, writeModelFolder } from '../support/local-models';
import { waitForOperation } from '../support/models';
import { tempDir } from '../support/temp';

let t: TestCore | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

interface ImportAnswer {
  operation_id: string;
  name: string;
  provider: string;
  kind: string;
  error?: { code: string; message: string };
}

const importPath = (tc: TestCore, path: string, name?: string) => tc.call<ImportAnswer>('POST', '/api/v1/models/registry/import', { path, ...(name ? { name } : {}) });
const registry = async (tc: TestCore) => (await tc.call<{ models: InstalledModel[] }>('GET', '/api/v1/models/registry')).body.models;
const operations = async (tc: TestCore) => (await tc.call<{ operations: Operation[] }>('GET', '/api/v1/models/operations')).body.operations;
const ollamaBlobs = (tc: TestCore) => (existsSync(join(tc.dataDir, 'ollama-models', 'blobs')) ? readdirSync(join(tc.dataDir, 'ollama-models', 'blobs')) : []);

describe('import from disk', () => {
  it('a GGUF file becomes an Ollama model through its blobs and create API, is activated and answers; removal removes Ollama\'s copy only', async () => {
    const state = join(tempDir('ollama-state-'), 'state.jsonl');
    t = await startTestCore({ env: { EMU_STATE_FILE: state } });
    const file = join(t.dataDir, 'My Fine-Tune Q4_K_M.gguf');
    writeFileSync(file, buildGguf({ arch: 'qwen2', contextLength: 16384, tensorBytes: 3 * 1024 * 1024 }));

    const res = await importPath(t, file);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ name: 'my-fine-tune-q4_k_m:latest', provider: 'ollama', kind: 'gguf' });
    const op = await waitForOperation(t, res.body.operation_id);
    expect(op.status, op.error?.message).toBe('completed');
    expect(op.bytes_total).toBe(2 * statSync(file).size); // read once to hash, once to upload
    expect(op.bytes_done).toBe(op.bytes_total);
    const events = emulatorEvents(state);
    expect(events.find((e) => e.event === 'blob_created')).toBeDefined();
    expect(events.find((e) => e.event === 'model_created')).toMatchObject({ model: 'my-fine-tune-q4_k_m:latest' });

    const m = (await registry(t)).find((x) => x.name === 'my-fine-tune-q4_k_m:latest')!;
    expect(m).toMatchObject({ provider: 'ollama', runtime: 'ollama', status: 'installed', source: 'local', import_path: file, import_path_exists: true });
    expect(m.capabilities?.max_context_length).toBe(16384);

    const act = await t.call('POST', '/api/v1/models/activate', { name: m.name });
    expect(act.status, JSON.stringify(act.body)).toBe(200);
    const test = await t.call<{ result: ModelTestResult }>('POST', `/api/v1/models/${encodeURIComponent(m.name)}/test`, {});
    expect(test.body.result.ok, JSON.stringify(test.body)).toBe(true);
    expect(test.body.result.answer).toMatch(/Hello from my-fine-tune-q4_k_m/);

    // the same file again under another name: the blob is already there, nothing is uploaded twice
    const again = await importPath(t, file, 'second-copy');
    expect((await waitForOperation(t, again.body.operation_id)).status).toBe('completed');
    expect(emulatorEvents(state).filter((e) => e.event === 'blob_created')).toHaveLength(1);

    await t.call('POST', '/api/v1/models/deactivate', {});
    const removed = await t.call<{ operation: Operation }>('DELETE', `/api/v1/models/registry/${encodeURIComponent('second-copy:latest')}`);
    expect(removed.status, JSON.stringify(removed.body)).toBe(200);
    const tags = (await (await fetch(`${t.core.runtimes.info('ollama').base_url}/api/tags`)).json()) as { models: { name: string }[] };
    expect(tags.models.map((x) => x.name)).toEqual(['my-fine-tune-q4_k_m:latest']);
    expect(existsSync(file)).toBe(true);
  });

  it('a model folder is served by vLLM from its path under its name, activated and answering; removal leaves the folder', async () => {
    const state = join(tempDir('vllm-state-'), 'state.jsonl');
    t = await startTestCore({ env: { EMU_STATE_FILE: state, EMU_START_DELAY_MS: '50' } });
    const dir = writeModelFolder(join(t.dataDir, 'work', 'my-finetune'), { config: { max_position_embeddings: 2048 } });

    const res = await importPath(t, dir);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ name: 'local/my-finetune', provider: 'huggingface', kind: 'folder' });
    expect((await waitForOperation(t, res.body.operation_id)).status).toBe('completed');
    const m = (await registry(t)).find((x) => x.name === 'local/my-finetune')!;
    expect(m).toMatchObject({ runtime: 'vllm', source: 'local', import_path: dir, import_path_exists: true, local_path: dir, validated: true });

    const act = await t.call<{ activation: { flags: Record<string, unknown> } }>('POST', '/api/v1/models/activate', { name: m.name });
    expect(act.status, JSON.stringify(act.body)).toBe(200);
    const started = emulatorEvents(state).filter((e) => e.event === 'started').pop()!;
    const argv = started.argv as string[];
    expect(argv.slice(1, 3)).toEqual(['serve', dir]);
    expect(argv[argv.indexOf('--served-model-name') + 1]).toBe('local/my-finetune');
    expect(argv).not.toContain('--revision');
    expect((started.env as Record<string, string>).HF_HUB_OFFLINE).toBe('1');
    const test = await t.call<{ result: ModelTestResult }>('POST', `/api/v1/models/${encodeURIComponent(m.name)}/test`, {});
    expect(test.body.result.ok, JSON.stringify(test.body)).toBe(true);

    await t.call('POST', '/api/v1/models/deactivate', {});
    const removed = await t.call('DELETE', `/api/v1/models/registry/${encodeURIComponent(m.name)}`);
    expect(removed.status, JSON.stringify(removed.body)).toBe(200);
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
  });

  it('refuses, with nothing created, what is not a model, a missing path and a taken name', async () => {
    t = await startTestCore();
    const dir = join(t.dataDir, 'inputs');
    mkdirSync(dir, { recursive: true });
    const notes = join(dir, 'notes.gguf');
    writeFileSync(notes, 'these are notes, not weights');
    const cut = join(dir, 'cut.gguf');
    writeFileSync(cut, buildGguf().subarray(0, 40));
    const empty = writeModelFolder(join(dir, 'half-a-model'), { omit: ['tokenizer.json', 'model.safetensors'] });
    const truncated = writeModelFolder(join(dir, 'truncated'), { extra: { 'model.safetensors': buildSafetensors().subarray(0, 100) } });
    const sharded = writeModelFolder(join(dir, 'sharded'), { extra: { 'model.safetensors.index.json': JSON.stringify({ weight_map: { a: 'model.safetensors', b: 'model-00002-of-00002.safetensors' } }) } });
    const good = writeModelFolder(join(dir, 'good'));
    const ok = await importPath(t, good, 'taken');
    expect((await waitForOperation(t, ok.body.operation_id)).status).toBe('completed');

    const before = { models: (await registry(t)).map((m) => m.name), operations: (await operations(t)).length, blobs: ollamaBlobs(t) };
    const cases: [string, string | undefined, number, string, RegExp][] = [
      [notes, undefined, 422, 'not_gguf', /not a GGUF model file.*starts with "thes"/],
      [cut, undefined, 422, 'not_gguf', /header cannot be read|cut short/],
      [empty, undefined, 422, 'not_a_model_folder', /no tokenizer.*no \*\.safetensors weights/],
      [truncated, undefined, 422, 'not_a_model_folder', /model\.safetensors: .*does not fit|cut short/],
      [sharded, undefined, 422, 'not_a_model_folder', /model-00002-of-00002\.safetensors/],
      [join(dir, 'nothing-here.gguf'), undefined, 404, 'path_not_found', /Nothing at/],
      ['relative/model.gguf', undefined, 400, 'bad_request', /absolute path/],
      [good, 'taken', 409, 'name_taken', /already a model named local\/taken/],
      [good, 'local/taken', 409, 'name_taken', /already a model named/],
    ];
    for (const [path, name, status, code, message] of cases) {
      const res = await importPath(t, path, name);
      expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(status);
      expect(res.body.error?.code, path).toBe(code);
      expect(res.body.error?.message, path).toMatch(message);
    }
    expect((await registry(t)).map((m) => m.name)).toEqual(before.models);
    expect((await operations(t)).length).toBe(before.operations);
    expect(ollamaBlobs(t)).toEqual(before.blobs);
    // Ollama's own list counts too: a name it already has (created there by hand) is taken
    const gguf = join(dir, 'a.gguf');
    writeFileSync(gguf, buildGguf());
    const first = await importPath(t, gguf, 'mine');
    expect((await waitForOperation(t, first.body.operation_id)).status).toBe('completed');
    const base = t.core.runtimes.info('ollama').base_url;
    const digest = `sha256:${createHash('sha256').update(readFileSync(gguf)).digest('hex')}`;
    const made = await fetch(`${base}/api/create`, { method: 'POST', body: JSON.stringify({ model: 'by-hand', files: { 'a.gguf': digest }, stream: false }) });
    expect(made.status).toBe(200);
    const again = await importPath(t, gguf, 'by-hand');
    expect(again.status).toBe(409);
    expect(again.body.error?.message).toMatch(/in Ollama/);
  });
});

describe('switchyard import', () => {
  it('imports a relative path as the absolute one, follows the operation, and says what it did', async () => {
    t = await startTestCore();
    writeModelFolder(join(t.dataDir, 'work', 'cli-model'));
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const env = { SWITCHYARD_URL: `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`, SWITCHYARD_TOKEN: t.token };
    let stdout = '';
    let stderr = '';
    const cwd = process.cwd();
    process.chdir(join(t.dataDir, 'work'));
    try {
      const code = await runCli(['import', 'cli-model', '--name', 'mine'], { env, stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), pollMs: 20 });
      expect(code, stderr).toBe(0);
    } finally {
      process.chdir(cwd);
    }
    expect(stdout).toMatch(/installed local\/mine: Imported .*cli-model as local\/mine/);
    const refused = await runCli(['import', join(t.dataDir, 'nope.gguf')], { env, stdout: () => {}, stderr: (s) => (stderr += s) });
    expect(refused).toBe(1);
    expect(stderr).toMatch(/switchyard: path_not_found: Nothing at/);
  });
});
