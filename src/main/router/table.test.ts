import { describe, expect, it } from 'vitest';
import type { ServingEndpoint } from '../serving/endpoint';
import { RoutingSnapshot, type RemoteInput, type SlotInput, type TableInput } from './table';

const OK = { status: 'ok' as const, last_check_at: '2026-01-01T00:00:00.000Z', latency_ms: 12, error: null };
const local = (runtime: string, model: string): ServingEndpoint => ({ kind: 'local', provider: runtime === 'vllm' ? 'huggingface' : 'ollama', runtime, model, apiBase: `http://127.0.0.1:${runtime === 'vllm' ? 8000 : 11434}/v1`, headers: {}, transport: 'loopback' });
const chatSlot: SlotInput = { slot: 'chat', model: 'Qwen/Qwen3-8B', provider: 'huggingface', runtime: 'vllm', phase: 'serving', endpoint: local('vllm', 'Qwen/Qwen3-8B'), label: 'vLLM' };
const embSlot: SlotInput = { slot: 'embeddings', model: 'nomic-embed-text:latest', provider: 'ollama', runtime: 'ollama', phase: 'serving', endpoint: local('ollama', 'nomic-embed-text:latest'), label: 'Ollama' };
const remote = (provider: string, models: string[], extra: Partial<RemoteInput> = {}): RemoteInput => ({
  provider,
  models,
  enabled: true,
  validation: 'current',
  health: OK,
  supports: { embeddings: true, completions: true },
  endpoint: { kind: 'remote', provider, runtime: 'remote', apiBase: `https://${provider}.example/v1`, headers: { authorization: `Bearer key-of-${provider}` }, transport: 'net' },
  ...extra,
});

function table(input: Partial<TableInput> = {}): RoutingSnapshot {
  return new RoutingSnapshot({
    slots: [chatSlot, embSlot],
    installed: [],
    remotes: [remote('openai', ['gpt-4o-mini', 'text-embedding-3-small']), remote('lab', ['Qwen/Qwen3-8B', 'llama-70b'])],
    aliases: [],
    defaultRoute: null,
    offline: false,
    loadOnDemand: false,
    switching: new Set(),
    retryAfterS: 5,
    ...input,
  });
}

function routeOf(t: RoutingSnapshot, model: string | undefined, endpoint: 'chat.completions' | 'completions' | 'embeddings' = 'chat.completions') {
  const r = t.resolve(model, endpoint);
  if (!r.ok) throw new Error(`refused ${r.code}: ${r.message}`);
  return r;
}

function refusalOf(t: RoutingSnapshot, model: string | undefined, endpoint: 'chat.completions' | 'completions' | 'embeddings' = 'chat.completions') {
  const r = t.resolve(model, endpoint);
  if (r.ok) throw new Error(`routed to ${r.route.name}`);
  return r;
}

describe('resolve: the order', () => {
  it('a local slot by its served name, spelled as clients spell it', () => {
    const t = table();
    for (const name of ['Qwen/Qwen3-8B', 'qwen/qwen3-8b', 'Qwen3-8B', 'qwen3-8b']) {
      const r = routeOf(t, name);
      expect(r.route).toMatchObject({ name: 'Qwen/Qwen3-8B', kind: 'local', slot: 'chat' });
      expect(r.endpoint?.apiBase).toBe('http://127.0.0.1:8000/v1');
      expect(r.upstreamModel).toBe('Qwen/Qwen3-8B');
    }
    expect(routeOf(t, 'nomic-embed-text', 'embeddings').route).toMatchObject({ name: 'nomic-embed-text:latest', slot: 'embeddings', runtime: 'ollama' });
  });

  it('the local slot wins over a remote route serving the same bare name; the qualified name still reaches the remote', () => {
    const t = table();
    expect(routeOf(t, 'Qwen/Qwen3-8B').route.kind).toBe('local');
    const r = routeOf(t, 'lab/Qwen/Qwen3-8B');
    expect(r.route).toMatchObject({ kind: 'remote', provider: 'lab', upstreamModel: 'Qwen/Qwen3-8B' });
    expect(r.endpoint).toMatchObject({ apiBase: 'https://lab.example/v1', model: 'Qwen/Qwen3-8B', transport: 'net' });
  });

  it('a bare remote name that exactly one route serves; <provider>/<model> always', () => {
    const t = table();
    expect(routeOf(t, 'gpt-4o-mini').route.name).toBe('openai/gpt-4o-mini');
    expect(routeOf(t, 'openai/gpt-4o-mini').upstreamModel).toBe('gpt-4o-mini');
    expect(routeOf(t, 'llama-70b').route.provider).toBe('lab');
  });

  it('a bare name several routes serve is ambiguous and lists the qualified names; the default route settles it', () => {
    const remotes = [remote('openai', ['gpt-4o-mini']), remote('azure', ['gpt-4o-mini'])];
    const r = refusalOf(table({ remotes }), 'gpt-4o-mini');
    expect(r).toMatchObject({ status: 400, code: 'ambiguous_model' });
    expect(r.message).toContain('`openai/gpt-4o-mini`');
    expect(r.message).toContain('`azure/gpt-4o-mini`');
    expect(routeOf(table({ remotes, defaultRoute: 'azure/gpt-4o-mini' }), 'gpt-4o-mini').route.provider).toBe('azure');
  });

  it('an alias wins over everything, and names its route in the list', () => {
    const t = table({ aliases: [{ alias: 'fast', target: 'openai/gpt-4o-mini' }, { alias: 'Qwen3-8B', target: 'lab/Qwen/Qwen3-8B' }] });
    expect(routeOf(t, 'fast').route.name).toBe('openai/gpt-4o-mini');
    expect(routeOf(t, 'Qwen3-8B').route.provider).toBe('lab');
    expect(t.routes().find((r) => r.model === 'openai/gpt-4o-mini')?.aliases).toEqual(['fast']);
  });

  it('an alias whose target is no route now is model_not_found, saying so', () => {
    const r = refusalOf(table({ aliases: [{ alias: 'gone', target: 'nowhere/x' }] }), 'gone');
    expect(r).toMatchObject({ status: 404, code: 'model_not_found' });
    expect(r.message).toContain('nowhere/x');
  });

  it('no model: chat goes to the default route, else the chat slot; embeddings to the embeddings slot', () => {
    expect(routeOf(table(), undefined).route.name).toBe('Qwen/Qwen3-8B');
    expect(routeOf(table(), '  ', 'embeddings').route.name).toBe('nomic-embed-text:latest');
    expect(routeOf(table({ defaultRoute: 'openai/gpt-4o-mini' }), undefined).route.name).toBe('openai/gpt-4o-mini');
    expect(refusalOf(table({ slots: [] }), undefined)).toMatchObject({ status: 503, code: 'no_active_model' });
  });

  it('the default route marks its route and answers its bare name below the local slots', () => {
    const t = table({ defaultRoute: 'lab/llama-70b' });
    expect(t.routes().filter((r) => r.default).map((r) => r.model)).toEqual(['lab/llama-70b']);
    expect(t.defaultRoute()?.name).toBe('lab/llama-70b');
  });
});

describe('resolve: refusals', () => {
  it('unknown → 404 model_not_found, naming what is served', () => {
    const r = refusalOf(table(), 'gpt-9');
    expect(r).toMatchObject({ status: 404, code: 'model_not_found' });
    expect(r.message).toContain('`Qwen/Qwen3-8B`');
  });

  it('a disabled provider → 403 model_disabled (bare and qualified)', () => {
    const t = table({ remotes: [remote('openai', ['gpt-4o-mini'], { enabled: false })] });
    expect(refusalOf(t, 'openai/gpt-4o-mini')).toMatchObject({ status: 403, code: 'model_disabled' });
    expect(refusalOf(t, 'gpt-4o-mini').code).toBe('model_disabled');
    expect(t.routes().find((r) => r.model === 'openai/gpt-4o-mini')).toMatchObject({ model: 'openai/gpt-4o-mini', state: 'disabled' });
    expect(t.models().map((m) => m.id)).not.toContain('openai/gpt-4o-mini');
  });

  it('a provider changed since its last validation → 409 validation_stale; one that never passed contributes nothing', () => {
    const t = table({ remotes: [remote('openai', ['gpt-4o-mini'], { validation: 'stale' }), remote('new', ['m1'], { validation: 'never' }), remote('bad', ['m2'], { validation: 'failed' })] });
    expect(refusalOf(t, 'gpt-4o-mini')).toMatchObject({ status: 409, code: 'validation_stale' });
    expect(refusalOf(t, 'new/m1').code).toBe('model_not_found');
    expect(refusalOf(t, 'm2').code).toBe('model_not_found');
  });

  it('health down → 503 upstream_down with the check’s error; it leaves /v1/models', () => {
    const down = { status: 'down' as const, last_check_at: '2026-01-01T00:00:00.000Z', latency_ms: null, error: 'connection refused' };
    const t = table({ remotes: [remote('openai', ['gpt-4o-mini'], { health: down })] });
    const r = refusalOf(t, 'gpt-4o-mini');
    expect(r).toMatchObject({ status: 503, code: 'upstream_down' });
    expect(r.message).toContain('connection refused');
    expect(t.models().map((m) => m.id)).toEqual(['Qwen/Qwen3-8B', 'nomic-embed-text:latest']);
  });

  it('health down with a configured fallback names the route to try instead', () => {
    const down = { status: 'down' as const, last_check_at: null, latency_ms: null, error: 'GET /models answered 503' };
    const t = table({ remotes: [remote('openai', ['gpt-4o-mini'], { health: down, fallback: { provider: 'lab', model: 'llama-70b' } }), remote('lab', ['llama-70b'])] });
    const r = refusalOf(t, 'gpt-4o-mini');
    expect(r).toMatchObject({ code: 'upstream_down', fallback: 'lab/llama-70b' });
    expect(routeOf(t, r.fallback).route.provider).toBe('lab');
  });

  it('offline mode → 503 offline for remote routes only', () => {
    const t = table({ offline: true });
    expect(refusalOf(t, 'gpt-4o-mini')).toMatchObject({ status: 503, code: 'offline' });
    expect(routeOf(t, 'Qwen/Qwen3-8B').route.kind).toBe('local');
  });

  it('an installed model not loaded → 404 model_not_loaded; with load on demand it routes with load: true', () => {
    const installed = [{ name: 'org/tiny-model', provider: 'huggingface', runtime: 'vllm', slot: 'chat' as const }];
    const off = table({ installed });
    expect(refusalOf(off, 'org/tiny-model')).toMatchObject({ status: 404, code: 'model_not_loaded' });
    expect(off.routes().map((r) => r.model)).not.toContain('org/tiny-model');
    const on = table({ installed, loadOnDemand: true });
    const r = routeOf(on, 'tiny-model');
    expect(r).toMatchObject({ load: true, endpoint: null });
    expect(r.route.loadSlot).toBe('chat');
    expect(on.models().map((m) => m.id)).toContain('org/tiny-model');
    expect(on.routes().find((x) => x.model === 'org/tiny-model')?.state).toBe('loadable');
  });

  it('a model being evicted → 503 model_switching with Retry-After', () => {
    const r = refusalOf(table({ switching: new Set(['Qwen/Qwen3-8B']) }), 'Qwen/Qwen3-8B');
    expect(r).toMatchObject({ status: 503, code: 'model_switching', retryAfter: 5 });
  });

  it('a hung runtime → 503 runtime_unresponsive', () => {
    expect(refusalOf(table({ slots: [{ ...chatSlot, phase: 'unresponsive' }] }), 'Qwen/Qwen3-8B')).toMatchObject({ status: 503, code: 'runtime_unresponsive' });
  });

  it('an endpoint the provider lacks → 404 endpoint_not_supported', () => {
    const t = table({ remotes: [remote('claude', ['claude-haiku'], { supports: { embeddings: false, completions: false } })] });
    expect(refusalOf(t, 'claude-haiku', 'embeddings')).toMatchObject({ status: 404, code: 'endpoint_not_supported' });
    expect(refusalOf(t, 'claude-haiku', 'completions').code).toBe('endpoint_not_supported');
    expect(routeOf(t, 'claude-haiku').route.provider).toBe('claude');
  });
});

describe('list', () => {
  it('every route with target, slot, state, health; /v1/models owned by provider or runtime', () => {
    const t = table();
    expect(t.routes().map((r) => [r.model, r.slot, r.state])).toEqual([
      ['Qwen/Qwen3-8B', 'chat', 'serving'],
      ['nomic-embed-text:latest', 'embeddings', 'serving'],
      ['openai/gpt-4o-mini', null, 'serving'],
      ['openai/text-embedding-3-small', null, 'serving'],
      ['lab/Qwen/Qwen3-8B', null, 'serving'],
      ['lab/llama-70b', null, 'serving'],
    ]);
    expect(t.routes()[2]!.target).toEqual({ kind: 'remote', provider: 'openai', runtime: 'remote', upstream_model: 'gpt-4o-mini' });
    expect(t.models().find((m) => m.id === 'Qwen/Qwen3-8B')?.owned_by).toBe('vllm');
    expect(t.models().find((m) => m.id === 'lab/llama-70b')?.owned_by).toBe('lab');
  });
});
