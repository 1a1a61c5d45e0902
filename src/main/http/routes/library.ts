import { z } from 'zod';
import { ImportBody, ImportResponse, PinBody, PinResponse, RevisionsResponse, StorageResponse } from '../../../shared/api/library';
import { ErrorBody } from '../../../shared/errors';
import type { Core } from '../../app';
import type { App } from '../server';

const NameParams = z.object({ name: z.string().min(1).max(300) });
const errors = { 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody, 424: ErrorBody, 503: ErrorBody, 507: ErrorBody };

/** The model library (issue 29): import from disk, revisions and pins, the disks holding models. */
export function registerLibraryRoutes(app: App, core: Core): void {
  const tags = ['models'];

  app.post(
    '/api/v1/models/registry/import',
    {
      schema: {
        tags,
        summary: 'Import a .gguf file (into Ollama, through its blobs and create API) or a model folder (served by vLLM from its path); an operation, or a refusal before anything is created',
        body: ImportBody,
        response: { 200: ImportResponse, ...errors },
      },
    },
    async (request) => {
      const { operation, name, provider, kind } = await core.models.import(request.body);
      return { success: true as const, operation_id: operation.operation_id, message: operation.message, name, provider, kind };
    },
  );

  app.get(
    '/api/v1/models/:name/revisions',
    { schema: { tags, summary: "A Hub model's snapshots on disk: commit, date, size, and which one is installed, served and pinned", params: NameParams, response: { 200: RevisionsResponse, ...errors } } },
    async (request) => ({ success: true as const, ...(await core.models.revisions(request.params.name)) }),
  );

  app.put(
    '/api/v1/models/:name/revision',
    {
      schema: {
        tags,
        summary: 'Pin a Hub model to a snapshot on disk (`{revision: null}` unpins): vLLM starts with --revision <commit>; a serving model takes it at its next activation',
        params: NameParams,
        body: PinBody,
        response: { 200: PinResponse, ...errors },
      },
    },
    async (request) => ({ success: true as const, ...(await core.models.pin(request.params.name, request.body.revision)) }),
  );

  app.get(
    '/api/v1/system/storage',
    { schema: { tags: ['system'], summary: 'The disks holding the HF cache and Ollama\'s models (used share, the alert line) and the biggest models', response: { 200: StorageResponse } } },
    async () => ({ success: true as const, storage: await core.storage.check() }),
  );
}
