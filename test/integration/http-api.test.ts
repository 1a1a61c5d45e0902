import { afterEach, describe, expect, it } from 'vitest';
import { startTestCore, type TestCore } from '../support/core';

let t: TestCore | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

describe('HTTP API basics', () => {
  it('requires the bearer token everywhere but /healthz', async () => {
    t = await startTestCore();
    expect((await t.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/openapi.json' })).statusCode).toBe(200); // the API's description, none of its data
    for (const url of ['/api/v1/system/llm-servers', '/api/v1/settings', '/v1/models', '/metrics']) {
      const res = await t.app.inject({ url });
      expect(res.statusCode, url).toBe(401);
      expect(res.json()).toMatchObject({ success: false, error: { code: 'unauthorized' } });
    }
    const wrong = await t.app.inject({ url: '/api/v1/settings', headers: { authorization: 'Bearer nope' } });
    expect(wrong.statusCode).toBe(401);
    // ?token= is for the SSE stream only (EventSource sends no headers); elsewhere it is no token
    expect((await t.app.inject({ url: `/api/v1/settings?token=${t.token}` })).statusCode).toBe(401);
  });

  it('names the invalid field in a 400', async () => {
    t = await startTestCore();
    const res = await t.call<{ error: { code: string; message: string } }>('POST', '/api/v1/system/llm-servers/active', { server_name: 'Llama CPP' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_error');
    expect(res.body.error.message).toContain('body.server_name');
    const bad = await t.call<{ error: { message: string } }>('PATCH', '/api/v1/settings', { vllm: { gpuMemoryUtilization: 1.5 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('body.vllm.gpuMemoryUtilization');
  });

  it('answers unknown routes and runtimes with the error envelope', async () => {
    t = await startTestCore();
    const res = await t.call('GET', '/api/v1/nope');
    expect(res).toMatchObject({ status: 404, body: { success: false, error: { code: 'not_found' } } });
    // a runtime id is open; one no driver serves through is refused by name, with the known ones
    for (const [method, path, body] of [
      ['POST', '/api/v1/system/llm-servers/llamacpp/start', undefined],
      ['POST', '/api/v1/system/llm-servers/llamacpp/stop', undefined],
      ['POST', '/api/v1/system/llm-servers/llamacpp/restart', undefined],
      ['GET', '/api/v1/system/llm-servers/llamacpp/logs', undefined],
      ['GET', '/api/v1/system/llm-servers/llamacpp/binary', undefined],
      ['PUT', '/api/v1/system/llm-servers/llamacpp/binary', { path: '/usr/bin/true' }],
      ['POST', '/api/v1/system/llm-servers/active', { server_name: 'llamacpp' }],
    ] as const) {
      const refused = await t.call<{ error: { code: string; message: string } }>(method, path, body);
      expect(refused.status, `${method} ${path}`).toBe(404);
      expect(refused.body.error.code).toBe('runtime_not_found');
      expect(refused.body.error.message).toBe('No runtime "llamacpp" in Switchyard. The runtimes are: vllm, ollama.');
    }
    // nothing was written for it
    expect(Object.keys(t.core.settings.get())).not.toContain('llamacpp');
  });

  it('publishes an OpenAPI document listing the runtime routes', async () => {
    t = await startTestCore();
    const doc = await t.call<{ paths: Record<string, unknown> }>('GET', '/openapi.json');
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/api/v1/system/llm-servers/active', '/api/v1/system/llm-servers/{name}/logs']));
  });

  it('streams runtime state changes over SSE', async () => {
    t = await startTestCore({ env: { EMU_START_DELAY_MS: '100' } });
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const controller = new AbortController();
    const res = await fetch(`${address}/api/v1/events?types=runtime.state&token=${t.token}`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const activation = t.core.runtimes.activate('ollama');
    let text = '';
    while (!text.includes('"state":"ready"')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    await activation;
    controller.abort();
    expect(text).toContain('event: runtime.state');
    expect(text.indexOf('"state":"starting"')).toBeLessThan(text.indexOf('"state":"ready"'));
  });

  it('settings round-trip through the API and show the data dir', async () => {
    t = await startTestCore();
    const res = await t.call<{ settings: { runtime: { stopGraceMs: number } }; paths: { data_dir: string } }>('PATCH', '/api/v1/settings', { runtime: { stopGraceMs: 2500 } });
    expect(res.status).toBe(200);
    expect(res.body.settings.runtime.stopGraceMs).toBe(2500);
    expect(res.body.paths.data_dir).toBe(t.dataDir);
  });
});
