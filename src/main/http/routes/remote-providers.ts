import {
  ProviderCreate,
  ProviderParams,
  ProviderPatch,
  ProviderResponse,
  ProvidersResponse,
  RemoteModelsResponse,
  RemoteTestResponse,
  RemoteUsageQuery,
  RemoteUsageResponse,
  TestBody,
  ValidateBody,
  ValidationResponse,
  ValidationsResponse,
} from '../../../shared/api/remote';
import { Ok } from '../../../shared/api/common';
import { ErrorBody } from '../../../shared/errors';
import type { Core } from '../../app';
import type { App } from '../server';

const errors = { 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody, 500: ErrorBody };

/**
 * `/api/v1/remote-providers…`: cloud APIs and cluster endpoints. Kept apart from the catalog's
 * `models/providers`. Keys go in and never come out (masked, with where the key comes from).
 */
export function registerRemoteProviderRoutes(app: App, core: Core): void {
  const tags = ['remote providers'];
  const providers = core.remote.providers;
  const base = '/api/v1/remote-providers';

  app.get(base, { schema: { tags, response: { 200: ProvidersResponse } } }, async () => ({ success: true as const, providers: providers.list() }));

  app.post(base, { bodyLimit: 64 * 1024, schema: { tags, body: ProviderCreate, response: { 201: ProviderResponse, ...errors } } }, async (request, reply) => {
    const provider = await providers.create(request.body);
    return reply.code(201).send({ success: true as const, provider });
  });

  app.get(`${base}/:id`, { schema: { tags, params: ProviderParams, response: { 200: ProviderResponse, ...errors } } }, async (request) => ({
    success: true as const,
    provider: providers.get(request.params.id),
  }));

  app.patch(`${base}/:id`, { bodyLimit: 64 * 1024, schema: { tags, params: ProviderParams, body: ProviderPatch, response: { 200: ProviderResponse, ...errors } } }, async (request) => ({
    success: true as const,
    provider: await providers.update(request.params.id, request.body),
  }));

  app.delete(`${base}/:id`, { schema: { tags, params: ProviderParams, response: { 200: Ok, ...errors } } }, async (request) => {
    await providers.remove(request.params.id);
    return { success: true as const };
  });

  app.post(
    `${base}/:id/validate`,
    { schema: { tags, params: ProviderParams, body: ValidateBody, description: 'Runs the validation steps in order; appends the result to the history.', response: { 200: ValidationResponse, ...errors } } },
    async (request) => {
      const validation = await providers.validate(request.params.id, request.body?.model ?? null);
      return { success: true as const, validation, provider: providers.get(request.params.id) };
    },
  );

  app.get(`${base}/:id/validations`, { schema: { tags, params: ProviderParams, response: { 200: ValidationsResponse, ...errors } } }, async (request) => ({
    success: true as const,
    validations: providers.validations(request.params.id),
  }));

  app.get(`${base}/:id/models`, { schema: { tags, params: ProviderParams, response: { 200: RemoteModelsResponse, ...errors } } }, async (request) => ({
    success: true as const,
    ...providers.models(request.params.id),
  }));

  app.post(
    `${base}/:id/test`,
    { schema: { tags, params: ProviderParams, body: TestBody, description: 'A test prompt (costs tokens): a streamed chat, or one embedding.', response: { 200: RemoteTestResponse, ...errors } } },
    async (request) => ({
      success: true as const,
      result: await core.remote.test(request.params.id, request.body.model, request.body.kind ?? 'chat', request.body.prompt ?? 'Say hello in one short sentence.'),
    }),
  );

  app.get('/api/v1/models/usage/remote', { schema: { tags, querystring: RemoteUsageQuery, response: { 200: RemoteUsageResponse } } }, async (request) => {
    const first = new Date(Date.now() - (request.query.days - 1) * 86_400_000).toISOString().slice(0, 10);
    return { success: true as const, days: core.remote.repo.usageSince(first) };
  });
}
