// The embeddings slot survives a restart, like the chat slot: Switchyard killed while Ollama serves the
// embedding model finds it again (adopted runtime, model still loaded), and a restart of Ollama by
// Switchyard loads it again. A stop asked for empties it for good.
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Route } from '../../src/shared/api/router';
import type { AppEvent } from '../../src/shared/events';
import { isAlive, killGroup } from '../../src/main/runtimes/process-group';
import { emulatorEnv, startTestCore, type TestCore } from '../support/core';
import { tempDir } from '../support/temp';
import { install, waitForOperation } from '../support/models';
import { killCoreAfterActivating } from '../support/killed-core';
import { waitFor } from '../support/wait';

const EMBED = 'nomic-embed-text:latest';
let t: TestCore | null = null;
const leftovers: number[] = [];
afterEach(async () => {
  await t?.close();
  t = null;
  for (const pgid of leftovers.splice(0)) killGroup(pgid, 'SIGKILL');
});

/** Pulls the embedding model, then a core in a child process loads it into the embeddings slot and is killed with SIGKILL. */
async function crashWithEmbeddings(): Promise<{ dataDir: string; env: Record<string, string>; pid: number }> {
  const dataDir = tempDir('switchyard-emb-');
  const env = { ...(await emulatorEnv(dataDir)), EMU_START_DELAY_MS: '100', EMU_PULL_BYTES_PER_SEC: String(1024 ** 3) };
  const first = await startTestCore({ dataDir, env });
  const op = await waitForOperation(first, await install(first, { name: EMBED, provider: 'ollama' }));
  expect(op.status, op.message).toBe('completed');
  await first.close();

  const pid = await killCoreAfterActivating(dataDir, 'ollama', EMBED, env);
  leftovers.push(pid);
  expect(isAlive(pid)).toBe(true); // Ollama outlived Switchyard, its embedding model loaded
  return { dataDir, env, pid };
}

async function ollamaPs(): Promise<string[]> {
  const base = t!.core.runtimes.info('ollama').base_url;
  return ((await (await fetch(`${base}/api/ps`)).json()) as { models: { name: string }[] }).models.map((m) => m.name);
}

/** An embeddings request through Switchyard's /v1 (the proxy on a real port). */
async function embed(base: string, model?: string): Promise<{ status: number; dims: number }> {
  const res = await fetch(`${base}/v1/embeddings`, {
    method: 'POST',
    headers: { authorization: `Bearer ${t!.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ...(model ? { model } : {}), input: 'hello' }),
  });
  const body = (await res.json()) as { data?: { embedding: number[] }[] };
  return { status: res.status, dims: body.data?.[0]?.embedding.length ?? 0 };
}

const embeddingsRoutes = async () => (await t!.call<{ routes: Route[] }>('GET', '/api/v1/router/routes')).body.routes.filter((r) => r.slot === 'embeddings').map((r) => [r.model, r.state, r.target.runtime]);

describe('the embeddings slot across restarts', () => {
  it('Switchyard killed while Ollama serves it: the next start lists it in the embeddings slot and it answers; an Ollama restart loads it again; a stop empties it', async () => {
    const { dataDir, env, pid } = await crashWithEmbeddings();
    t = await startTestCore({ dataDir, env });
    expect(t.core.runtimes.info('ollama')).toMatchObject({ state: 'ready', pid });
    await waitFor(() => t!.core.activation.embeddings.current()?.model === EMBED, 'the embeddings slot put back');
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;

    expect(await embeddingsRoutes()).toEqual([[EMBED, 'serving', 'ollama']]);
    expect(t.core.router.models().data.map((m) => m.id)).toContain(EMBED);
    expect(await embed(base, 'nomic-embed-text')).toMatchObject({ status: 200, dims: expect.any(Number) });
    expect((await embed(base, EMBED)).dims).toBeGreaterThan(0);
    expect(t.core.runtimes.info('ollama').pid).toBe(pid); // adopted, not a second copy
    expect(await ollamaPs()).toEqual([EMBED]);

    // Ollama restarted by Switchyard: the slot empties (deactivated) and is loaded again (serving), both with slot `embeddings`
    const events: string[] = [];
    t.core.events.on((e: AppEvent) => e.type === 'model.activation' && e.model === EMBED && events.push(`${e.phase} ${e.slot}`), ['model.activation']);
    expect((await t.call('POST', '/api/v1/system/llm-servers/ollama/restart')).status).toBe(200);
    const restarted = t.core.runtimes.info('ollama').pid!;
    leftovers.push(restarted);
    expect(restarted).not.toBe(pid);
    await waitFor(() => events.includes('serving embeddings'), 'the embedding model loaded again');
    expect(events[0]).toBe('deactivated embeddings');
    expect(await ollamaPs()).toEqual([EMBED]);
    expect(await embeddingsRoutes()).toEqual([[EMBED, 'serving', 'ollama']]);
    expect((await embed(base, EMBED)).dims).toBeGreaterThan(0);

    // a stop asked for: empty, and not put back when Ollama is next up
    expect((await t.call('POST', '/api/v1/system/llm-servers/ollama/stop')).status).toBe(200);
    expect(t.core.activation.embeddings.current()).toBeNull();
    expect(t.core.state.readState('router.embeddings')).toBeNull();
    const seen = events.length;
    await t.core.runtimes.bringUp('ollama');
    // a load would have announced itself (`starting`) on the runtime's `ready`, before bringUp returned
    expect(events.slice(seen)).toEqual([]);
    expect(t.core.activation.embeddings.current()).toBeNull();
    expect(await ollamaPs()).toEqual([]);
    expect((await embed(base, EMBED)).status).toBe(404);
  });
});
