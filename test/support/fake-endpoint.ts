import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ActivateContext, EndpointState, ServedModel, ServingDriver } from '../../src/main/drivers/serving-driver';
import type { ServingEndpoint } from '../../src/main/serving/endpoint';

export interface SeenRequest {
  method: string;
  path: string;
  authorization: string | null;
  body: string;
}

/**
 * An OpenAI-compatible upstream under an arbitrary base path (`/openai/v1`), as a cluster's gateway
 * or a cloud provider has: it demands a bearer key, lists one model, answers chat (streamed or not).
 * It runs in the test's process: Switchyard starts nothing for it.
 */
export async function startFakeUpstream(options: { basePath?: string; key?: string; model?: string } = {}) {
  const basePath = options.basePath ?? '/openai/v1';
  const key = options.key ?? 'sk-fake-upstream-key';
  const model = options.model ?? 'Qwen/Qwen3-8B';
  const seen: SeenRequest[] = [];
  const server = http.createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const path = req.url ?? '';
      seen.push({ method: req.method ?? '', path, authorization: req.headers.authorization ?? null, body });
      if (req.headers.authorization !== `Bearer ${key}`) {
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'bad key', type: 'auth', param: null, code: 'invalid_api_key' } }));
        return;
      }
      if (req.method === 'GET' && path === `${basePath}/models`) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data: [{ id: model, object: 'model', created: 1, owned_by: 'fake-cloud' }] }));
        return;
      }
      if (req.method === 'POST' && path === `${basePath}/chat/completions`) {
        const request = JSON.parse(body) as { model: string; stream?: boolean; messages: { content: string }[] };
        const text = `remote ${request.model} says: ${request.messages.at(-1)?.content ?? ''}`;
        if (!request.stream) {
          res.writeHead(200, { 'content-type': 'application/json' }).end(
            JSON.stringify({ id: 'c1', object: 'chat.completion', model: request.model, choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } }),
          );
          return;
        }
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        for (const word of text.split(' ')) res.write(`data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', model: request.model, choices: [{ index: 0, delta: { content: `${word} ` } }] })}\n\n`);
        res.end('data: [DONE]\n\n');
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `no route ${path}`, type: 'not_found', param: null, code: null } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    apiBase: `http://127.0.0.1:${port}${basePath}`,
    key,
    model,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * A process-less, file-less driver, as a remote provider's is: activating remembers the endpoint,
 * deactivating forgets it. Nothing of it is in the models table or on disk.
 */
export class FakeRemoteDriver implements ServingDriver {
  readonly runtime = 'remote';
  readonly kind = 'remote' as const;
  readonly models = 'provider' as const;
  readonly localRuntime = null;
  readonly requiresNetwork: boolean;
  readonly label: string;
  private serving: ServingEndpoint | null = null;
  readonly calls: string[] = [];

  constructor(
    readonly provider: string,
    private readonly upstream: { apiBase: string; key: string },
    private readonly transport: ServingEndpoint['transport'] = 'loopback',
  ) {
    this.label = `Fake cloud (${provider})`;
    this.requiresNetwork = transport === 'net';
  }

  async activate(model: ServedModel, _flags: unknown, ctx: ActivateContext): Promise<ServingEndpoint> {
    this.calls.push(`activate ${model.name}`);
    ctx.onLoading(`checking ${model.name} at the provider`);
    this.serving = { kind: 'remote', provider: this.provider, runtime: this.runtime, model: model.name, apiBase: this.upstream.apiBase, headers: { authorization: `Bearer ${this.upstream.key}` }, transport: this.transport };
    return this.serving;
  }

  endpoint(): ServingEndpoint | null {
    return this.serving;
  }

  state(): EndpointState {
    return { phase: this.serving ? 'serving' : 'down', model: this.serving?.model ?? null };
  }

  async deactivate(): Promise<void> {
    this.calls.push('deactivate');
    this.serving = null;
  }
}
