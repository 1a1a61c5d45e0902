import { getEventListeners, setMaxListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { getJson, RemoteError } from './remote';

describe('getText / getJson', () => {
  it('listens on the shared signal only while a request runs, however many run at once', async () => {
    const service = new AbortController();
    setMaxListeners(0, service.signal); // as the catalog service does for its signal
    const answers: (() => void)[] = [];
    const fetch = (() =>
      new Promise<Response>((resolve) => answers.push(() => resolve(new Response('{"ok":true}', { status: 200 }))))) as typeof globalThis.fetch;
    const requests = Array.from({ length: 12 }, (_, i) => getJson(`http://hub.test/${i}`, { fetch, connectTimeoutMs: 5_000, signal: service.signal }));
    expect(getEventListeners(service.signal, 'abort')).toHaveLength(12);
    for (const answer of answers) answer();
    expect((await Promise.all(requests)).map((r) => r.json)).toEqual(Array(12).fill({ ok: true }));
    expect(getEventListeners(service.signal, 'abort')).toHaveLength(0);
  });

  it('a shared signal aborted mid-request fails that request and leaves no listener', async () => {
    const service = new AbortController();
    const fetch = ((_url: string, init: RequestInit) =>
      new Promise<Response>((_resolve, reject) => init.signal!.addEventListener('abort', () => reject(init.signal!.reason)))) as typeof globalThis.fetch;
    const request = getJson('http://hub.test/x', { fetch, connectTimeoutMs: 5_000, signal: service.signal });
    service.abort(new Error('shutting down'));
    await expect(request).rejects.toBeInstanceOf(RemoteError);
    expect(getEventListeners(service.signal, 'abort')).toHaveLength(0);
  });
});
