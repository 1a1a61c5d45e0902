import { z } from 'zod';
import {
  ActivateBody,
  ActivationResponse,
  DeactivateBody,
  DeactivationResponse,
  RuntimeFlagsBody,
  RuntimeFlagsResponse,
  TestBody,
  TestResponse,
  ValidationsResponse,
  CancelBody,
  CapabilitiesBody,
  CapabilitiesResponse,
  InstallBody,
  InstallResponse,
  OperationResponse,
  OperationsQuery,
  OperationsResponse,
  PlanQuery,
  PlanResponse,
  RegistryQuery,
  RegistryResponse,
} from '../../../shared/api/models';
import { AppError, ErrorBody, ErrorCode } from '../../../shared/errors';
import type { Core } from '../../app';
import type { App } from '../server';

const IdParams = z.object({ id: z.string().min(1).max(100) });
/** Names arrive URL-encoded (`Qwen%2FQwen3-0.6B`); validation happens in the service (invalid_name). */
const NameParams = z.object({ name: z.string().min(1).max(300) });
const errors = { 400: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 424: ErrorBody, 499: ErrorBody, 502: ErrorBody, 503: ErrorBody, 504: ErrorBody, 507: ErrorBody };
const ValidationsQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) });

/** `/api/v1/models/…`: installs, operations, the installed registry, capabilities (seed Venom shapes). */
export function registerModelRoutes(app: App, core: Core): void {
  const tags = ['models'];

  app.get('/api/v1/models/registry/plan', { schema: { tags, querystring: PlanQuery, response: { 200: PlanResponse, ...errors } } }, async (request) => ({
    success: true as const,
    plan: await core.models.plan(request.query),
  }));

  app.post('/api/v1/models/registry/install', { schema: { tags, body: InstallBody, response: { 200: InstallResponse, ...errors } } }, async (request) => {
    const op = await core.models.install(request.body);
    return { success: true as const, operation_id: op.operation_id, message: op.message };
  });

  app.get('/api/v1/models/registry', { schema: { tags, querystring: RegistryQuery, response: { 200: RegistryResponse, ...errors } } }, async (request) => {
    if (request.query.refresh === '1' || request.query.refresh === 'true') await core.models.refresh();
    const models = core.models.list();
    return { success: true as const, models, count: models.length, cloud_models: core.models.cloudModels() };
  });

  app.delete('/api/v1/models/registry/:name', { schema: { tags, params: NameParams, response: { 200: InstallResponse.extend({ operation: OperationResponse.shape.operation }), ...errors } } }, async (request) => {
    const op = await core.models.remove(request.params.name);
    if (op.status === 'failed' && op.error) {
      const code = ErrorCode.safeParse(op.error.code);
      throw new AppError(code.success ? code.data : 'internal_error', op.error.message, { operation_id: op.operation_id });
    }
    return { success: true as const, operation_id: op.operation_id, message: op.message, operation: op };
  });

  app.get('/api/v1/models/operations', { schema: { tags, querystring: OperationsQuery, response: { 200: OperationsResponse } } }, async (request) => {
    const operations = core.operations.list(request.query.limit);
    return { success: true as const, operations, count: operations.length };
  });

  app.get('/api/v1/models/operations/:id', { schema: { tags, params: IdParams, response: { 200: OperationResponse, ...errors } } }, async (request) => ({
    success: true as const,
    operation: core.operations.get(request.params.id),
  }));

  app.post('/api/v1/models/operations/:id/cancel', { schema: { tags, params: IdParams, body: CancelBody, response: { 200: OperationResponse, ...errors } } }, async (request) => ({
    success: true as const,
    operation: await core.operations.cancel(request.params.id, { cleanup: request.body?.cleanup ?? false }),
  }));

  app.post('/api/v1/models/operations/:id/retry', { schema: { tags, params: IdParams, response: { 200: InstallResponse, ...errors } } }, async (request) => {
    const op = await core.models.retry(request.params.id);
    return { success: true as const, operation_id: op.operation_id, message: op.message };
  });

  app.get('/api/v1/models/:name/capabilities', { schema: { tags, params: NameParams, response: { 200: CapabilitiesResponse, ...errors } } }, async (request) => ({
    success: true as const,
    model_name: request.params.name,
    ...core.models.capabilities(request.params.name),
  }));

  // PUT and PATCH both replace the override (`{ override: null }` clears it).
  for (const method of ['put', 'patch'] as const) {
    app[method](
      '/api/v1/models/:name/capabilities',
      { schema: { tags, params: NameParams, body: CapabilitiesBody, response: { 200: CapabilitiesResponse, ...errors } } },
      async (request) => ({
        success: true as const,
        model_name: request.params.name,
        ...core.models.setCapabilitiesOverride(request.params.name, request.body.override),
      }),
    );
  }

  // ---- activation (issue 5) ----------------------------------------------------------------------

  app.post(
    '/api/v1/models/activate',
    {
      schema: {
        tags,
        summary: 'Make a runtime serve an installed, verified model; answers once the runtime advertises it in /v1/models',
        body: ActivateBody,
        response: { 200: ActivationResponse, ...errors },
      },
    },
    async (request) => {
      const activation = await core.activation.activate(request.body);
      return { success: true as const, activation, model: core.models.get(activation.model) };
    },
  );

  app.post(
    '/api/v1/models/deactivate',
    { schema: { tags, summary: 'Unload (Ollama) or stop (vLLM) the active model', body: DeactivateBody, response: { 200: DeactivationResponse, ...errors } } },
    async (request) => ({ success: true as const, ...(await core.activation.deactivate(request.body ?? {})) }),
  );

  app.post(
    '/api/v1/models/:name/test',
    { schema: { tags, summary: 'Send a short chat completion to the runtime serving this model and record the result', params: NameParams, body: TestBody, response: { 200: TestResponse, ...errors } } },
    async (request) => ({ success: true as const, result: await core.activation.checks.test(request.params.name, request.body ?? {}) }),
  );

  app.post(
    '/api/v1/models/:name/verify',
    { schema: { tags, summary: "Re-hash the model's files and record the result", params: NameParams, response: { 200: ValidationsResponse, ...errors } } },
    async (request) => {
      await core.activation.checks.verify(request.params.name);
      return { success: true as const, model_name: request.params.name, ...core.activation.checks.validations(request.params.name, 20) };
    },
  );

  app.get(
    '/api/v1/models/:name/validations',
    { schema: { tags, summary: 'Validation history: file checks, activations, tests (newest first)', params: NameParams, querystring: ValidationsQuery, response: { 200: ValidationsResponse, ...errors } } },
    async (request) => ({ success: true as const, model_name: request.params.name, ...core.activation.checks.validations(request.params.name, request.query.limit) }),
  );

  app.get(
    '/api/v1/models/:name/runtime-flags',
    { schema: { tags, summary: 'Saved and effective vLLM flags of a model', params: NameParams, response: { 200: RuntimeFlagsResponse, ...errors } } },
    async (request) => {
      const { model, flags, sources } = core.activation.effectiveFlags(request.params.name);
      return { success: true as const, model_name: model.name, flags: model.runtime_flags, effective: flags, sources };
    },
  );

  for (const method of ['put', 'patch'] as const) {
    app[method](
      '/api/v1/models/:name/runtime-flags',
      { schema: { tags, summary: 'Save vLLM flags for a model (`{flags: null}` clears them); used by its next activation', params: NameParams, body: RuntimeFlagsBody, response: { 200: RuntimeFlagsResponse, ...errors } } },
      async (request) => {
        core.activation.setFlags(request.params.name, request.body.flags);
        const { model, flags, sources } = core.activation.effectiveFlags(request.params.name);
        return { success: true as const, model_name: model.name, flags: model.runtime_flags, effective: flags, sources };
      },
    );
  }
}
