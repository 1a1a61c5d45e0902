import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { FastifyError } from 'fastify';
import type { Core } from '../../app';
import { OpenAiError, type OpenAiEndpoint } from '../../openai/proxy';
import { tokenMatches, type RequestGate } from '../auth';
import type { App } from '../server';

const ROUTES: [string, OpenAiEndpoint][] = [
  ['/v1/chat/completions', 'chat.completions'],
  ['/v1/completions', 'completions'],
  ['/v1/embeddings', 'embeddings'],
];

/**
 * The OpenAI-compatible endpoint, routed to the active runtime. Its errors use OpenAI's envelope
 * (`{error: {message, type, param, code}}`) so OpenAI client libraries show them as such.
 */
/** Chat requests may carry images as base64: more than the API's default body limit. */
export const OPENAI_BODY_LIMIT = 32 * 1024 * 1024;

export function registerOpenAiRoutes(app: App, core: Core, gate: RequestGate): void {
  installFastPath(app, core, gate);
  void app.register(async (scope) => {
    scope.setErrorHandler((error: FastifyError, request, reply) => {
      const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
      if (status >= 500) request.log.error({ err: error, url: request.url }, 'OpenAI endpoint failed');
      const e = new OpenAiError(status, status >= 500 ? 'Internal error in Switchyard — see its log.' : error.message, status >= 500 ? 'api_error' : 'invalid_request_error', error.code ?? null);
      return reply.code(status).send(e.body());
    });

    // The proxy needs only `model` and forwards the client's bytes as they are: the body arrives as a
    // Buffer here (no JSON parse + prototype-poisoning scan by Fastify, then a stringify again).
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

    const tags = ['openai'];
    scope.get('/v1/models', { schema: { tags, description: 'OpenAI-compatible: the model being served (empty when none is active).' } }, async () => core.openai.models());
    scope.get<{ Params: { model: string } }>('/v1/models/*', { schema: { tags, description: 'OpenAI-compatible: one model.' } }, async (request, reply) => {
      let id: string;
      try {
        id = decodeURIComponent((request.params as Record<string, string>)['*'] ?? '');
      } catch {
        return reply.code(400).send(new OpenAiError(400, 'The model id in the path is not valid percent-encoding.', 'invalid_request_error', 'invalid_model_id', 'model').body());
      }
      const found = (await core.openai.models()).data.find((m) => m.id === id);
      if (found) return found;
      const e = new OpenAiError(404, `The model \`${id}\` does not exist here — GET /v1/models lists the one being served.`, 'invalid_request_error', 'model_not_found', 'model');
      return reply.code(404).send(e.body());
    });
    for (const [path, kind] of ROUTES) {
      scope.post(path, { bodyLimit: OPENAI_BODY_LIMIT, schema: { tags, description: `OpenAI-compatible, forwarded to the active runtime (${kind}); streams are passed through as they come.` } }, async (request, reply) => {
        reply.hijack();
        await core.openai.forward(kind, request.body, request.raw, reply.raw);
      });
    }
  });
}

const FAST_PATHS = new Map(ROUTES);

/**
 * The hot path: authorized JSON POSTs to the forwarding endpoints skip Fastify's per-request work
 * (routing, request/reply objects, a child logger, hooks, body parser, async handler). In
 * `bench/proxy.ts` that took ~0.2 ms off the first chunk of one stream and half the added latency off a
 * burst of 32. Same token check as the `onRequest` hook in `server.ts`; anything else (another path or
 * method, a query string, another content type, a missing or wrong token, a refused Host or Origin)
 * goes to Fastify as before, and so does `inject()` (tests), so the routes above still answer every
 * case. A hook added to `server.ts` for every request does not see these: add its check here too.
 */
function installFastPath(app: App, core: Core, gate: RequestGate): void {
  const server = app.server as Server;
  const fastify = server.listeners('request') as RequestListener[];
  if (fastify.length !== 1) return; // not the server we know: Fastify takes everything
  const bodyLimit = OPENAI_BODY_LIMIT;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const kind = req.method === 'POST' ? FAST_PATHS.get(req.url ?? '') : undefined;
    const auth = req.headers.authorization;
    if (kind && isJson(req.headers['content-type']) && auth?.startsWith('Bearer ') && tokenMatches(auth.slice(7).trim(), core.token) && !gate.check(req)) {
      readBody(req, bodyLimit, (body) => {
        if (body) core.openai.forward(kind, body, req, res).catch(() => res.destroy());
        else res.writeHead(413, { 'content-type': 'application/json; charset=utf-8', connection: 'close' }).end(JSON.stringify(tooLarge(bodyLimit).body()));
      });
      return;
    }
    fastify[0]!.call(server, req, res);
  });
}

function isJson(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const semi = contentType.indexOf(';');
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase() === 'application/json';
}

/** The whole body, or null once it passes `limit` (the rest is read and dropped; the answer closes the connection). */
function readBody(req: IncomingMessage, limit: number, done: (body: Buffer | null) => void): void {
  if (Number(req.headers['content-length']) > limit) {
    req.resume();
    return done(null);
  }
  const parts: Buffer[] = [];
  let size = 0;
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size <= limit) return void parts.push(chunk);
    req.off('data', onData).off('end', onEnd).resume();
    done(null);
  };
  const onEnd = () => done(parts.length === 1 ? parts[0]! : Buffer.concat(parts, size));
  req.on('data', onData).on('end', onEnd);
}

const tooLarge = (limit: number) =>
  new OpenAiError(413, `The request body is larger than Switchyard accepts (${limit / 1024 / 1024} MiB).`, 'invalid_request_error', 'request_too_large');
