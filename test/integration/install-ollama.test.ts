import { afterEach, describe, expect, it } from 'vitest';
import { type FakeHub } from '../fixtures/hub/server.mjs';
import { useFakeHub } from '../support/fake-hub';
import { startTestCore, type TestCore } from '../support/core';
import { install, waitForOperation } from '../support/models';
import type { InstalledModel, Operation } from '../../src/shared/api/models';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

let hub: FakeHub;
let t: TestCore | undefined;

useFakeHub((started) => (hub = started));
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('Ollama installs and removals', () => {
  it('pulls through /api/pull (starting Ollama), maps layer progress, removes through /api/delete', async () => {
    t = await startTestCore({ env: { HF_ENDPOINT: hub.url, EMU_PULL_BYTES_PER_SEC: String(4 * 1024 * 1024) } });
    const updates: Operation[] = [];
    t.core.events.on((e) => e.type === 'operation.updated' && updates.push(e.operation), ['operation.updated']);
    const id = await install(t, { name: 'qwen2.5:0.5b', provider: 'ollama', runtime: 'ollama' });
    const op = await waitForOperation(t, id);
    expect(op.status, op.message).toBe('completed');
    const progressing = updates.filter((u) => u.status === 'in_progress' && u.bytes_total);
    expect(progressing.length).toBeGreaterThan(1);
    expect(progressing.some((u) => u.progress > 0 && u.progress < 100)).toBe(true);
    expect(progressing.some((u) => u.message.startsWith('pulling '))).toBe(true);
    // throttled: never more than ~10 events a second for one operation
    const span = (Date.parse(op.finished_at!) - Date.parse(op.started_at!)) / 1000;
    expect(updates.length).toBeLessThanOrEqual(Math.ceil(span * 10) + 6);

    const registry = await t.call<{ models: InstalledModel[] }>('GET', '/api/v1/models/registry');
    const m = registry.body.models.find((x) => x.name === 'qwen2.5:0.5b')!;
    expect(m).toMatchObject({ provider: 'ollama', runtime: 'ollama', status: 'installed' });
    expect(m.size_bytes).toBeGreaterThan(1024 * 1024);
    expect(m.capabilities).toMatchObject({ supports_function_calling: true, max_context_length: 32768 });

    const removed = await t.call<{ operation: Operation }>('DELETE', '/api/v1/models/registry/qwen2.5%3A0.5b');
    expect(removed.status, JSON.stringify(removed.body)).toBe(200);
    expect(removed.body.operation.status).toBe('completed');
    const tags = (await (await fetch(`${t.core.runtimes.info('ollama').base_url}/api/tags`)).json()) as { models: { name: string }[] };
    expect(tags.models.map((x) => x.name)).not.toContain('qwen2.5:0.5b');
    const gone = await t.call<{ error: { code: string } }>('DELETE', '/api/v1/models/registry/qwen2.5%3A0.5b');
    expect(gone.body.error.code).toBe('model_not_found');
  });

  it('fails the operation with Ollama\'s message on an error line, and on an unknown model', async () => {
    t = await startTestCore({ env: { HF_ENDPOINT: hub.url, EMU_PULL_FAIL_AFTER_BYTES: String(512 * 1024) } });
    const id = await install(t, { name: 'tinyllama', provider: 'ollama' });
    const op = await waitForOperation(t, id);
    expect(op.status).toBe('failed');
    expect(op.error?.message).toMatch(/unexpected EOF/);
    expect(op.model_name).toBe('tinyllama:latest');

    const id2 = await install(t, { name: 'no-such-model:7b', provider: 'ollama' });
    const op2 = await waitForOperation(t, id2);
    expect(op2.status).toBe('failed');
    expect(op2.error?.code).toBe('model_not_found');
    expect(op2.error?.message).toMatch(/file does not exist/);
  });

  it('cancel aborts a pull', async () => {
    t = await startTestCore({ env: { HF_ENDPOINT: hub.url, EMU_PULL_BYTES_PER_SEC: String(512 * 1024) } });
    const id = await install(t, { name: 'llama3.2:latest', provider: 'ollama' });
    await waitForOperation(t, id, (op) => op.bytes_done > 0, 15_000);
    const res = await t.call<{ operation: Operation }>('POST', `/api/v1/models/operations/${id}/cancel`, {});
    expect(res.body.operation.status).toBe('cancelled');
    const registry = await t.call<{ models: InstalledModel[] }>('GET', '/api/v1/models/registry');
    expect(registry.body.models.find((x) => x.name === 'llama3.2:latest')).toBeUndefined();
  });

  it('refuses to remove the active model, removes an HF model once it is no longer active', async () => {
    t = await startTestCore({ env: { SWITCHYARD_OFFLINE: '0', HF_ENDPOINT: hub.url } });
    const id = await install(t, { name: 'org/tiny-model', provider: 'huggingface' });
    expect((await waitForOperation(t, id)).status).toBe('completed');
    const act = await t.call('POST', '/api/v1/system/llm-servers/active', { server_name: 'vllm', model_name: 'org/tiny-model' });
    expect(act.status, JSON.stringify(act.body)).toBe(200);
    const refused = await t.call<{ error: { code: string; message: string } }>('DELETE', '/api/v1/models/registry/org%2Ftiny-model');
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('lifecycle_violation');
    expect(refused.body.error.message).toMatch(/Deactivate/);

    await t.call('POST', '/api/v1/system/llm-servers/vllm/stop');
    const removed = await t.call<{ operation: Operation }>('DELETE', '/api/v1/models/registry/org%2Ftiny-model');
    expect(removed.status, JSON.stringify(removed.body)).toBe(200);
    expect(existsSync(join(t.dataDir, 'hf-cache', 'models--org--tiny-model'))).toBe(false);
  });
});
