import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCore, type TestCore } from '../support/core';

/**
 * Bad input over every route of `/openapi.json`, with the token: whatever arrives — hostile path
 * parameters, wrong types, junk query strings, bodies of every JSON shape, deep nesting, control
 * characters — the answer is a 4xx with the error envelope, never a 5xx, and the server stays up.
 * A fixed seed keeps a failure reproducible.
 */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface Operation {
  parameters?: { in: string; name: string; schema?: { type?: string } }[];
  requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> };
}

const HOSTILE_STRINGS = [
  '',
  ' ',
  '../../../../etc/passwd',
  '..%2f..%2fetc',
  'a'.repeat(5_000),
  '\u0000',
  'x\r\nSet-Cookie: a=b',
  '%00',
  '%',
  '%E0%A4%A',
  '😀'.repeat(50),
  '<script>alert(1)</script>',
  "'; DROP TABLE models; --",
  'ollama:../../x',
  'org/../../x',
  '/absolute',
  'C:\\windows',
  '${jndi:ldap://x}',
  '-1',
  '1e309',
  'NaN',
  'true',
  'null',
  '[]',
  '{}',
];
const HOSTILE_VALUES: Json[] = [null, true, false, 0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, '', 'x'.repeat(10_000), [], [null], {}, { __proto__: { polluted: true } } as Json, { constructor: { prototype: { polluted: true } } }, '\u0000', [[[[[[[[[[[]]]]]]]]]]]];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function deep(levels: number): Json {
  let v: Json = 'bottom';
  for (let i = 0; i < levels; i++) v = { a: [v] };
  return v;
}

let t: TestCore;
let paths: Record<string, Record<string, Operation>>;

beforeAll(async () => {
  // online, with every remote source on a dead port: refreshes fail fast instead of answering "offline"
  const dead = 'http://127.0.0.1:9';
  t = await startTestCore({ env: { SWITCHYARD_OFFLINE: '0', HF_ENDPOINT: dead, SWITCHYARD_OLLAMA_LIBRARY_URL: dead }, hfModels: ['org/tiny'] });
  await t.call('PATCH', '/api/v1/settings', { catalog: { vllmRegistryUrl: `${dead}/registry.py` } });
  paths = (await t.call<{ paths: typeof paths }>('GET', '/openapi.json')).body.paths;
  // the OpenAI endpoint forwards to a serving runtime (the vLLM emulator refuses bad bodies as vLLM does)
  await t.core.runtimes.activate('vllm', { model: 'org/tiny' });
});
afterAll(async () => {
  await t?.close();
});

describe('bad-input fuzz over every route of /openapi.json', () => {
  it('answers every hostile request with a 4xx envelope: 0 × 5xx', { timeout: 300_000 }, async () => {
    const random = rng(20261125);
    const pick = <T,>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const failures: string[] = [];
    let requests = 0;

    // the OpenAI endpoint first, while the model is active (other routes' fuzz may deactivate it)
    const ordered = Object.entries(paths).sort(([a], [b]) => Number(!a.startsWith('/v1/')) - Number(!b.startsWith('/v1/')));
    for (const [template, methods] of ordered) {
      // the SSE stream answers a valid request with a stream that never ends (inject() would wait forever)
      if (template === '/api/v1/events') continue;
      for (const [method, op] of Object.entries(methods)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        const bodyProps = Object.keys(Object.values(op.requestBody?.content ?? {})[0]?.schema?.properties ?? {});
        const queryNames = (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
        for (let round = 0; round < 24; round++) {
          const url =
            template.replace(/\{[^}]+\}/g, () => encodeURIComponent(pick(HOSTILE_STRINGS))) +
            '?' +
            [...queryNames, 'unknown', 'limit', 'name'].map((q) => `${q}=${encodeURIComponent(pick(HOSTILE_STRINGS))}`).join('&');
          let payload: string | undefined;
          if (method !== 'get' && method !== 'delete') {
            const shape = round % 6;
            if (shape === 0) payload = JSON.stringify(pick(HOSTILE_VALUES));
            else if (shape === 1) payload = '{"unterminated": ';
            else if (shape === 2) payload = JSON.stringify(deep(2_000));
            else {
              // the route's own fields, each with a value of the wrong kind
              const body: Record<string, Json> = {};
              for (const prop of bodyProps) body[prop] = random() < 0.5 ? pick(HOSTILE_VALUES) : pick(HOSTILE_STRINGS);
              if (bodyProps.length === 0) body[pick(HOSTILE_STRINGS).slice(0, 20) || 'k'] = pick(HOSTILE_VALUES);
              payload = JSON.stringify(body);
            }
          }
          const res = await t.app.inject({
            method: method.toUpperCase() as 'GET',
            url,
            headers: { authorization: `Bearer ${t.token}`, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
            payload,
          });
          requests++;
          if (res.statusCode >= 500) failures.push(`${method.toUpperCase()} ${url.slice(0, 120)} ${payload?.slice(0, 80) ?? ''} → ${res.statusCode} ${res.body.slice(0, 200)}`);
        }
      }
    }
    expect(requests).toBeGreaterThan(500);
    expect(failures).toEqual([]);
    expect((await t.app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });
});
