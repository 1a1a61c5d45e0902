import { existsSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  isResponseSerializationError,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { AppError, errorStatus, isAppError } from '../../shared/errors';
import type { Core } from '../app';
import { isPublicPath, requestToken, tokenMatches } from './auth';
import { registerCatalogRoutes } from './routes/catalog';
import { registerEventRoutes } from './routes/events';
import { registerModelRoutes } from './routes/models';
import { registerOpenAiRoutes } from './routes/openai';
import { registerRuntimeRoutes } from './routes/runtimes';
import { registerSettingsRoutes } from './routes/settings';
import { registerSystemRoutes } from './routes/system';

export type App = FastifyInstance<any, any, any, any, ZodTypeProvider>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface ServerOptions {
  /** built renderer to serve at `/` (absent in unit tests) */
  rendererDir?: string;
}

/** Builds the API server without listening: entries listen, tests call `inject()`. */
export async function buildServer(core: Core, options: ServerOptions = {}): Promise<App> {
  // Request lines are info-level; the API log keeps warnings and errors only.
  // forceCloseConnections: open SSE streams, proxied generations and pre-opened client sockets must not
  // hold up shutdown (Node only closes idle keep-alive connections otherwise, and waits 60 s for the rest).
  // Request lines are info-level; the API log keeps warnings and errors only (never lowering a quieter level).
  const httpLogger = core.logger.child({ module: 'http' });
  if (httpLogger.levelVal < 40) httpLogger.level = 'warn';
  const app = Fastify({
    loggerInstance: httpLogger,
    bodyLimit: 8 * 1024 * 1024,
    forceCloseConnections: true,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Switchyard API', version: '0.1.0', description: 'Local API of Switchyard. Send `Authorization: Bearer <token>`.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  app.addHook('onRequest', async (request, reply) => {
    if (isPublicPath(request.url)) return;
    if (!tokenMatches(requestToken(request), core.token)) {
      return reply.code(401).send({
        success: false,
        error: { code: 'unauthorized', message: 'Missing or wrong API token: send "Authorization: Bearer <token>" (the token is in the data dir, file "token", or SWITCHYARD_TOKEN).' },
      });
    }
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const issues = error.validation.map((v) => {
        const path = (v.instancePath ?? '').split('/').filter(Boolean);
        const field = [error.validationContext, ...path].filter(Boolean).join('.');
        return { field, message: v.message };
      });
      const first = issues[0];
      return reply.code(400).send({
        success: false,
        error: { code: 'validation_error', message: first ? `Invalid ${first.field}: ${first.message}` : 'Invalid request', details: issues },
      });
    }
    if (isAppError(error)) {
      if (error.status >= 500) request.log.warn({ code: error.code, err: error }, 'request failed');
      return reply.code(error.status).send({ success: false, error: { code: error.code, message: error.message, details: error.details } });
    }
    if (isResponseSerializationError(error)) request.log.error({ err: error, url: request.url }, 'response did not match its schema');
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err: error, url: request.url }, 'unhandled error');
      return reply.code(500).send({ success: false, error: { code: 'internal_error', message: 'Internal error — see the Switchyard log for details.' } });
    }
    return reply.code(status).send({ success: false, error: { code: status === 404 ? 'not_found' : 'bad_request', message: error.message } });
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ success: true as const, status: 'ok' }));
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  registerRuntimeRoutes(app, core);
  registerSettingsRoutes(app, core);
  registerEventRoutes(app, core);
  registerModelRoutes(app, core);
  registerSystemRoutes(app, core);
  registerCatalogRoutes(app, core);
  registerOpenAiRoutes(app, core);

  if (options.rendererDir && existsSync(options.rendererDir)) {
    await app.register(fastifyStatic, { root: options.rendererDir, wildcard: false });
  }
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const isApi = path.startsWith('/api/') || path.startsWith('/v1/') || path === '/metrics';
    // The renderer is a single-page app: unknown non-API paths get index.html.
    if (!isApi && request.method === 'GET' && options.rendererDir && existsSync(options.rendererDir)) return reply.sendFile('index.html');
    return reply.code(404).send({ success: false, error: { code: 'not_found', message: `No route ${request.method} ${path}. See /docs for the API.` } });
  });
  return app;
}

export function notFound(code: 'model_not_found' | 'operation_not_found' | 'runtime_not_found' | 'not_found', message: string): AppError {
  return new AppError(code, message);
}

export { errorStatus };
