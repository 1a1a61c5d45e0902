import { existsSync } from 'node:fs';
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
import { identityProof, RequestGate, requestToken, tokenMatches, UNAUTHORIZED_MESSAGE } from './auth';
import { docsRequestInterceptor, FAVICON_SVG } from './docs-interceptor';
import { z } from 'zod';
import { redactUrl } from '../logger';
import { isDeepLink, registerStaticUi, sendIndexHtml } from './static-ui';
import { connectionCap, DATABASE_FULL_MESSAGE, isDatabaseFull } from './limits';
import { registerCatalogRoutes } from './routes/catalog';
import { registerChatRoutes } from './routes/chat';
import { registerEventRoutes } from './routes/events';
import { registerHubAccountRoutes } from './routes/hub-account';
import { registerModelCardRoutes } from './routes/model-card';
import { registerModelRoutes } from './routes/models';
import { registerOpenAiRoutes } from './routes/openai';
import { registerRuntimeBinaryRoutes } from './routes/runtime-binary';
import { registerRuntimeRoutes } from './routes/runtimes';
import { registerRemoteProviderRoutes } from './routes/remote-providers';
import { registerRouterRoutes } from './routes/router';
import { registerKserveRoutes } from './routes/kserve';
import { registerLibraryRoutes } from './routes/library';
import { registerSettingsRoutes } from './routes/settings';
import { registerSystemRoutes } from './routes/system';

export type App = FastifyInstance<any, any, any, any, ZodTypeProvider>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface ServerOptions {
  /** built renderer to serve at `/` (absent in unit tests) */
  rendererDir?: string;
  /** origins besides our own that may send state-changing requests (the Electron dev server) */
  extraOrigins?: string[];
  /** time allowed to receive a whole request, headers and body (tests shorten it) */
  requestTimeoutMs?: number;
  /** connections served at once (default: half the descriptor limit, see limits.ts) */
  maxConnections?: number;
}

/** Default request body limit; routes that need more (the OpenAI endpoint) say so. */
export const BODY_LIMIT = 256 * 1024;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** served without the API token (liveness, static UI files, API docs): they hold no data */
    public?: boolean;
    /** the token may come as `?token=` (GET only): the SSE stream, which EventSource opens without headers */
    queryToken?: boolean;
  }
}

/** Builds the API server without listening: entries listen, tests call `inject()`. */
export async function buildServer(core: Core, options: ServerOptions = {}): Promise<App> {
  // forceCloseConnections: open SSE streams, proxied generations and pre-opened client sockets must not
  // hold up shutdown (Node only closes idle keep-alive connections otherwise, and waits 60 s for the rest).
  // Request lines are info-level; the API log keeps warnings and errors only (never lowering a quieter level).
  const httpLogger = core.logger.child({ module: 'http' });
  if (httpLogger.levelVal < 40) httpLogger.level = 'warn';
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  const app = Fastify({
    loggerInstance: httpLogger,
    bodyLimit: BODY_LIMIT,
    forceCloseConnections: true,
    // A client that trickles its request (slowloris) is cut off: the whole request, headers and body,
    // must arrive within requestTimeout; responses (SSE, streamed generations) are not limited by it.
    requestTimeout,
    http: { headersTimeout: Math.min(10_000, requestTimeout), requestTimeout, connectionsCheckingInterval: Math.max(100, Math.min(5_000, requestTimeout / 4)) },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // A cap below the descriptor limit: a flood of idle connections is refused at accept, not by running
  // out of descriptors for the runtimes, the database and nvidia-smi.
  app.server.maxConnections = options.maxConnections ?? connectionCap();
  // accept() errors (EMFILE under a flood) are emitted on the server; unhandled they would end the process.
  app.server.on('error', (error) => httpLogger.warn({ err: error }, 'HTTP server error'));
  // remote providers may not point at this server (a loop of nested requests): it learns where it listens
  let listeningPort: number | null = null;
  app.server.on('listening', () => {
    const address = app.server.address();
    if (typeof address === 'object' && address) {
      listeningPort = address.port;
      core.self.add(address.address, address.port);
    }
  });
  app.server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (socket.writable && error.code !== 'ECONNRESET') socket.end(error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n' : 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  const gate = new RequestGate({
    configuredHost: core.options.host,
    extraHosts: (core.options.env.SWITCHYARD_ALLOWED_HOSTS ?? '').split(',').map((h) => h.trim()).filter(Boolean),
    extraOrigins: options.extraOrigins,
    // read per request on the OpenAI fast path: kept from the last 'listening' (the server's address() is a syscall)
    port: () => (app.server.listening ? listeningPort : null),
  });

  // Authentication is decided on the route the router matched (its `config.public`), never on the raw
  // URL: a percent-encoded or otherwise disguised path reaches the same route and the same decision.
  app.addHook('onRequest', async (request, reply) => {
    // No page of another site may frame ours (clickjacking the Activate or Delete buttons): CSP for
    // today's browsers, X-Frame-Options for older ones. On every answer, refusals included.
    reply.header('content-security-policy', "frame-ancestors 'none'").header('x-frame-options', 'DENY').header('x-content-type-options', 'nosniff');
    const refusal = gate.check(request.raw);
    if (refusal) return reply.code(refusal.status).send({ success: false, error: { code: refusal.code, message: refusal.message } });
    const config = request.routeOptions.config;
    if (config.public === true) return;
    // a deep link into the UI (`/chat`) gets the page without the token, as `/` does (static-ui.ts)
    if (request.is404 && rendererDir && isDeepLink(request.method, request.url)) return;
    if (!tokenMatches(requestToken(request.raw, request.query, config.queryToken === true), core.token)) {
      return reply.code(401).send({ success: false, error: { code: 'unauthorized', message: UNAUTHORIZED_MESSAGE } });
    }
  });

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Switchyard API', version: '0.1.0', description: 'Local API of Switchyard. Send `Authorization: Bearer <token>`.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  const rendererDir = options.rendererDir && existsSync(options.rendererDir) ? options.rendererDir : null;
  // Public routes live in their own scope, marked as they are registered: the API docs (they describe
  // the API, they hold none of its data) and the renderer's static files.
  await app.register(async (scope) => {
    scope.addHook('onRoute', (route) => {
      route.config = { ...(route.config as object), public: true };
    });
    await scope.register(fastifySwaggerUi, {
      routePrefix: '/docs',
      uiConfig: { requestInterceptor: docsRequestInterceptor } as Record<string, unknown>,
    });
    // Liveness, and proof of identity for a client that holds the token (the CLI): see identityProof.
    scope.get(
      '/healthz',
      { schema: { hide: true, querystring: z.object({ nonce: z.string().min(16).max(128).optional() }) } },
      async (request) => {
        const { nonce } = request.query as { nonce?: string };
        return { success: true as const, status: 'ok', service: 'switchyard', ...(nonce ? { proof: identityProof(core.token, request.headers.host ?? '', nonce) } : {}) };
      },
    );
    scope.get('/favicon.ico', { schema: { hide: true } }, async (_request, reply) => reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(FAVICON_SVG));
    scope.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
    if (rendererDir) await registerStaticUi(scope, rendererDir);
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
    if (isDatabaseFull(error) || isDatabaseFull((error as { cause?: unknown }).cause)) {
      request.log.error({ url: redactUrl(request.url) }, 'database or disk is full');
      return reply.code(507).send({ success: false, error: { code: 'insufficient_disk', message: DATABASE_FULL_MESSAGE } });
    }
    if (isAppError(error)) {
      if (error.status >= 500) request.log.warn({ code: error.code, err: error }, 'request failed');
      return reply.code(error.status).send({ success: false, error: { code: error.code, message: error.message, details: error.details } });
    }
    if (isResponseSerializationError(error)) request.log.error({ err: error, url: redactUrl(request.url) }, 'response did not match its schema');
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err: error, url: redactUrl(request.url) }, 'unhandled error');
      return reply.code(500).send({ success: false, error: { code: 'internal_error', message: 'Internal error — see the Switchyard log for details.' } });
    }
    return reply.code(status).send({ success: false, error: { code: status === 404 ? 'not_found' : 'bad_request', message: error.message } });
  });

  registerRuntimeRoutes(app, core);
  registerRuntimeBinaryRoutes(app, core);
  registerSettingsRoutes(app, core);
  registerHubAccountRoutes(app, core);
  registerEventRoutes(app, core);
  registerModelRoutes(app, core);
  registerSystemRoutes(app, core);
  registerModelCardRoutes(app, core);
  registerCatalogRoutes(app, core);
  registerOpenAiRoutes(app, core, gate);
  registerChatRoutes(app, core);
  registerRemoteProviderRoutes(app, core);
  registerRouterRoutes(app, core);
  registerKserveRoutes(app, core);
  registerLibraryRoutes(app, core);

  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0]!;
    // The renderer is a single-page app: a deep link to one of its screens gets index.html (no data in it).
    if (rendererDir && isDeepLink(request.method, request.url)) return sendIndexHtml(rendererDir, reply);
    return reply.code(404).send({ success: false, error: { code: 'not_found', message: `No route ${request.method} ${path.slice(0, 200)}. See /docs for the API.` } });
  });
  return app;
}

export function notFound(code: 'model_not_found' | 'operation_not_found' | 'runtime_not_found' | 'not_found', message: string): AppError {
  return new AppError(code, message);
}

export { errorStatus };
