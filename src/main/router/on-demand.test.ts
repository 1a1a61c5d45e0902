import { describe, expect, it } from 'vitest';
import type { Slot } from '../../shared/api/router';
import { AppError } from '../../shared/errors';
import { createLogger } from '../logger';
import type { ServingEndpoint } from '../serving/endpoint';
import { OnDemand } from './on-demand';
import type { RouteEntry } from './table';

const UNKNOWN = { status: 'unknown' as const, last_check_at: null, latency_ms: null, error: null };
const route = (name: string, over: Partial<RouteEntry> = {}): RouteEntry => ({
  name,
  kind: 'local',
  provider: 'ollama',
  runtime: 'ollama',
  upstreamModel: name,
  slot: null,
  loadSlot: 'chat',
  state: 'loadable',
  health: UNKNOWN,
  endpoint: null,
  embeddings: true,
  completions: true,
  refusal: null,
  ...over,
});
const endpointOf = (model: string): ServingEndpoint => ({ kind: 'local', provider: 'ollama', runtime: 'ollama', model, apiBase: 'http://127.0.0.1:11434/v1', headers: {}, transport: 'loopback' });

/** An OnDemand over a fake activation whose loads the test finishes by hand. */
function harness(settings = { loadTimeoutSeconds: 600, idleUnloadMinutes: 0 }) {
  const held: Record<Slot, string | null> = { chat: 'old-model', embeddings: null };
  const loaded = new Set<string>();
  const pending: { model: string; finish: (error?: Error) => void }[] = [];
  const activations: string[] = [];
  let changes = 0;
  const onDemand = new OnDemand({
    slotFor: async () => 'chat',
    activate: (model, slot) => {
      activations.push(model);
      return new Promise<void>((resolve, reject) =>
        pending.push({
          model,
          finish: (error) => {
            if (error) return reject(error);
            held[slot] = model;
            loaded.add(model);
            resolve();
          },
        }),
      );
    },
    deactivate: async (slot) => {
      held[slot] = null;
    },
    held: (slot) => held[slot],
    endpointOf: (model) => (loaded.has(model) ? endpointOf(model) : null),
    changed: () => changes++,
    settings: () => settings,
    logger: createLogger({ level: 'silent' }),
  });
  const started = async () => {
    while (pending.length === 0) await new Promise((r) => setImmediate(r));
    return pending[0]!;
  };
  return { onDemand, held, pending, activations, started, changes: () => changes };
}

describe('load on demand', () => {
  it('a serving route answers at once, without a load', async () => {
    const h = harness();
    const e = endpointOf('m');
    await expect(h.onDemand.ensureLoaded(route('m', { state: 'serving', endpoint: e, slot: 'chat' }))).resolves.toBe(e);
    expect(h.activations).toEqual([]);
  });

  it('concurrent requests share one load; the evicted model is switching until it ends', async () => {
    const h = harness();
    const waits = [1, 2, 3].map(() => h.onDemand.ensureLoaded(route('new-model')));
    const load = await h.started();
    expect(h.activations).toEqual(['new-model']);
    expect([...h.onDemand.switching]).toEqual(['old-model']);
    load.finish();
    const endpoints = await Promise.all(waits);
    expect(endpoints.map((e) => e.model)).toEqual(['new-model', 'new-model', 'new-model']);
    expect(h.onDemand.switching.size).toBe(0);
    expect(h.changes()).toBe(2); // switching on, switching off: the table was rebuilt for each
    // a route the table still calls loadable (it was not rebuilt) is loaded again: the table decides, not this
    void h.onDemand.ensureLoaded(route('new-model')).catch(() => {});
    await h.started();
    expect(h.activations).toEqual(['new-model', 'new-model']);
  });

  it('a failed load fails every waiter with its error and clears the switching set', async () => {
    const h = harness();
    const waits = [1, 2].map(() => h.onDemand.ensureLoaded(route('bad')));
    (await h.started()).finish(new AppError('runtime_failed', 'Ollama could not load bad'));
    for (const w of waits) await expect(w).rejects.toMatchObject({ code: 'runtime_failed' });
    expect(h.onDemand.switching.size).toBe(0);
  });

  it('a client that leaves stops waiting; the load goes on for the others', async () => {
    const h = harness();
    const leaving = new AbortController();
    const first = h.onDemand.ensureLoaded(route('m2'), leaving.signal);
    const second = h.onDemand.ensureLoaded(route('m2'));
    const load = await h.started();
    leaving.abort();
    await expect(first).rejects.toMatchObject({ code: 'cancelled' });
    load.finish();
    await expect(second).resolves.toMatchObject({ model: 'm2' });
  });

  it('the wait is bounded by router.loadTimeoutSeconds: 504 start_timeout, the load goes on', async () => {
    const h = harness({ loadTimeoutSeconds: 1, idleUnloadMinutes: 0 });
    const waiting = h.onDemand.ensureLoaded(route('slow'));
    const load = await h.started();
    await expect(waiting).rejects.toMatchObject({ code: 'start_timeout', status: 504 });
    expect(h.onDemand.switching.has('old-model')).toBe(true);
    load.finish();
    await expect(h.onDemand.ensureLoaded(route('slow', { state: 'serving', endpoint: endpointOf('slow'), slot: 'chat' }))).resolves.toMatchObject({ model: 'slow' });
  });

  it('a remote route without an endpoint is not loaded here', async () => {
    const h = harness();
    await expect(h.onDemand.ensureLoaded(route('p/x', { kind: 'remote', state: 'serving' }))).rejects.toBeInstanceOf(AppError);
  });
});
