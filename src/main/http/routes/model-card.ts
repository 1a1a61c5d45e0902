import { z } from 'zod';
import { ModelCardResponse } from '../../../shared/api/catalog';
import { ModelName } from '../../../shared/api/common';
import { ErrorBody } from '../../../shared/errors';
import type { Core } from '../../app';
import type { App } from '../server';

/** `GET /api/v1/models/catalog/{name}/readme`: a Hugging Face model's card, as Markdown. */
export function registerModelCardRoutes(app: App, core: Core): void {
  app.get(
    '/api/v1/models/catalog/:name/readme',
    { schema: { tags: ['catalog'], params: z.object({ name: ModelName }), response: { 200: ModelCardResponse, 400: ErrorBody } } },
    async (request) => {
      const card = await core.modelCards.get(request.params.name);
      return { success: true as const, ...card, offline: core.catalog.offline };
    },
  );
}
