import { z } from 'zod';
import { ModelName } from '../../../shared/api/common';
import { KserveExportQuery, KserveExportResponse } from '../../../shared/api/kserve';
import { AppError, ErrorBody } from '../../../shared/errors';
import type { Core } from '../../app';
import type { App } from '../server';

const errors = { 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody, 500: ErrorBody, 502: ErrorBody };
const NameParams = z.object({ name: z.string().min(1).max(300) });
const YAML_TYPE = 'application/yaml; charset=utf-8';

type Export = Omit<KserveExportResponse, 'success'>;

/**
 * YAML is what `kubectl apply -f` takes, so it is only handed out when the manifest passed its checks;
 * JSON always answers, with the validation result, for a UI to show what is wrong.
 */
function yamlOrRefusal(result: Export): string {
  if (result.validation.ok) return result.yaml;
  const first = result.validation.errors[0]!;
  if (first.rule === 'remote-code') throw new AppError('remote_code_not_allowed', first.message, { errors: result.validation.errors });
  throw new AppError('internal_error', `The rendered manifest failed its own checks (${first.rule}: ${first.message})`, { errors: result.validation.errors });
}

/** `/api/v1/models/{name}/export/kserve`, `/{name}/manifest` and the catalog preview (issue 19). */
export function registerKserveRoutes(app: App, core: Core): void {
  const tags = ['kserve'];
  const response = { 200: z.union([KserveExportResponse, z.string()]), ...errors };

  app.get(
    '/api/v1/models/:name/export/kserve',
    {
      schema: {
        tags,
        summary: 'An installed Hugging Face model as a KServe InferenceService (YAML, or JSON with the validation and the fit); works offline',
        params: NameParams,
        querystring: KserveExportQuery,
        response,
      },
    },
    async (request, reply) => {
      const result = core.kserve.installed(request.params.name, request.query);
      if (request.query.format === 'json') return { success: true as const, ...result };
      return reply.type(YAML_TYPE).send(yamlOrRefusal(result));
    },
  );

  app.get(
    '/api/v1/models/:name/manifest',
    { schema: { tags, summary: 'The KServe InferenceService of an installed model with the defaults (YAML)', params: NameParams, response: { 200: z.string(), ...errors } } },
    async (request, reply) => {
      const result = core.kserve.installed(request.params.name, KserveExportQuery.parse({}));
      return reply.type(YAML_TYPE).send(yamlOrRefusal(result));
    },
  );

  app.get(
    '/api/v1/models/catalog/:name/export/kserve',
    {
      schema: {
        tags,
        summary: "A catalog model that is not installed, previewed as a KServe InferenceService at the Hub's current commit (needs the network)",
        params: z.object({ name: ModelName }),
        querystring: KserveExportQuery,
        response,
      },
    },
    async (request, reply) => {
      const result = await core.kserve.catalog(request.params.name, request.query);
      if (request.query.format === 'json') return { success: true as const, ...result };
      return reply.type(YAML_TYPE).send(yamlOrRefusal(result));
    },
  );
}
