import type { FastifyError } from 'fastify';
import type { Core } from '../../app';
import { OpenAiError, type OpenAiEndpoint } from '../../openai/proxy';
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
export function registerOpenAiRoutes(app: App, core: Core): void {
  void app.register(async (scope) => {
    scope.setErrorHandler((error: FastifyError, request, reply) => {
      const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
      if (status >= 500) request.log.error({ err: error, url: request.url }, 'OpenAI endpoint failed');
      const e = new OpenAiError(status, status >= 500 ? 'Internal error in Switchyard — see its log.' : error.message, status >= 500 ? 'api_error' : 'invalid_request_error', error.code ?? null);
      return reply.code(status).send(e.body());
    });

    const tags = ['openai'];
    scope.get('/v1/models', { schema: { tags, description: 'OpenAI-compatible: the model being served (empty when none is active).' } }, async () => core.openai.models());
    scope.get<{ Params: { model: string } }>('/v1/models/*', { schema: { tags, description: 'OpenAI-compatible: one model.' } }, async (request, reply) => {
      const id = decodeURIComponent((request.params as Record<string, string>)['*'] ?? '');
      const found = (await core.openai.models()).data.find((m) => m.id === id);
      if (found) return found;
      const e = new OpenAiError(404, `The model \`${id}\` does not exist here — GET /v1/models lists the one being served.`, 'invalid_request_error', 'model_not_found', 'model');
      return reply.code(404).send(e.body());
    });
    for (const [path, kind] of ROUTES) {
      scope.post(path, { schema: { tags, description: `OpenAI-compatible, forwarded to the active runtime (${kind}); streams are passed through as they come.` } }, async (request, reply) => {
        reply.hijack();
        await core.openai.forward(kind, request.body, request.raw, reply.raw);
      });
    }
  });
}
