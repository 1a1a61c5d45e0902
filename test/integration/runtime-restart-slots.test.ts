// "Restart" restarts one runtime's process and brings back what it served, nothing else: Ollama serving
// the embeddings slot beside vLLM's chat slot is restarted without stopping vLLM, and vLLM without
// stopping Ollama. Both runtimes emulated; every answer goes through Switchyard's /v1 on a port.
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppEvent } from '../../src/shared/events';
import { startTestCore, type TestCore } from '../support/core';
import { install, waitForOperation } from '../support/models';

const TINY = 'org/tiny-model';
const EMBED = 'nomic-embed-text:latest';
let t: TestCore | undefined;
let base = '';
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** Resolves on the `model.activation` event that says `model` serves in `slot` again. */
function servingAgain(model: string, slot: 'chat' | 'embeddings'): Promise<void> {
  return new Promise((resolve, reject) => {
    const off = t!.core.events.on((e: AppEvent) => {
      if (e.type !== 'model.activation' || e.model !== model || e.slot !== slot) return;
      if (e.phase === 'serving') resolve();
      else if (e.phase === 'failed') reject(new Error(e.message));
      else return;
      off();
    }, ['model.activation']);
  });
}

async function v1(path: 'embeddings' | 'chat/completions', body: Record<string, unknown>): Promise<{ status: number; body: { model?: string; data?: { embedding: number[] }[] } }> {
  const res = await fetch(`${base}/v1/${path}`, { method: 'POST', headers: { authorization: `Bearer ${t!.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { model?: string } };
}

async function bothAnswer(): Promise<void> {
  const emb = await v1('embeddings', { model: EMBED, input: 'hello' });
  expect(emb.status, JSON.stringify(emb.body)).toBe(200);
  expect(emb.body.data?.[0]?.embedding.length).toBeGreaterThan(0);
  const chat = await v1('chat/completions', { model: TINY, messages: [{ role: 'user', content: 'hi' }] });
  expect(chat.status, JSON.stringify(chat.body)).toBe(200);
  expect(chat.body.model).toBe(TINY);
}

const pids = () => ({ vllm: t!.core.runtimes.info('vllm').pid, ollama: t!.core.runtimes.info('ollama').pid });

describe('restart of one runtime while the other serves the other slot', () => {
  it('Ollama (embeddings only) restarts alone and loads its model again; vLLM (chat) restarts alone and Ollama keeps serving', async () => {
    t = await startTestCore({ hfModels: [TINY], env: { EMU_START_DELAY_MS: '100', EMU_PULL_BYTES_PER_SEC: String(1024 ** 3) } });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    const op = await waitForOperation(t, await install(t, { name: EMBED, provider: 'ollama' }));
    expect(op.status, op.message).toBe('completed');
    expect((await t.call('POST', '/api/v1/models/activate', { name: TINY })).status).toBe(200);
    expect((await t.call('POST', '/api/v1/models/activate', { name: EMBED })).body).toMatchObject({ activation: { slot: 'embeddings', runtime: 'ollama' } });
    await bothAnswer();
    const first = pids();
    expect(first.vllm).not.toBeNull();
    expect(first.ollama).not.toBeNull();

    // Ollama: a new process, the embedding model loaded into it again; vLLM and the chat slot untouched
    let back = servingAgain(EMBED, 'embeddings');
    const ollama = await t.call<{ server: { name: string; state: string; active: boolean; pid: number } }>('POST', '/api/v1/system/llm-servers/ollama/restart');
    expect(ollama.status, JSON.stringify(ollama.body)).toBe(200);
    expect(ollama.body.server).toMatchObject({ name: 'ollama', state: 'ready', active: false });
    await back;
    expect(pids().vllm).toBe(first.vllm);
    expect(pids().ollama).not.toBe(first.ollama);
    expect(t.core.runtimes.info('vllm')).toMatchObject({ state: 'ready', active: true, model: TINY });
    expect(t.core.activation.embeddings.current()?.model).toBe(EMBED);
    await bothAnswer();

    // vLLM: a new process with its model; Ollama's process and the embeddings slot untouched
    const second = pids();
    back = servingAgain(TINY, 'chat');
    const vllm = await t.call<{ server: { name: string; state: string; active: boolean; model: string } }>('POST', '/api/v1/system/llm-servers/vllm/restart');
    expect(vllm.status, JSON.stringify(vllm.body)).toBe(200);
    expect(vllm.body.server).toMatchObject({ name: 'vllm', state: 'ready', active: true, model: TINY });
    await back;
    expect(pids().ollama).toBe(second.ollama);
    expect(pids().vllm).not.toBe(second.vllm);
    expect(t.core.activation.embeddings.current()?.model).toBe(EMBED);
    await bothAnswer();
  });
});
