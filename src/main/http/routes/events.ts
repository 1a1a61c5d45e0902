import { z } from 'zod';
import { AppEvent } from '../../../shared/events';
import type { Core } from '../../app';
import { streamEvents } from '../sse';
import type { App } from '../server';

const EventTypes = z.object({
  types: z
    .string()
    .optional()
    .transform((s) => (s ? s.split(',').filter(Boolean) : undefined)),
  token: z.string().optional(),
});

export function registerEventRoutes(app: App, core: Core): void {
  app.get(
    '/api/v1/events',
    {
      // the one route that takes the token as ?token= (EventSource sends no headers)
      config: { queryToken: true },
      schema: {
        tags: ['events'],
        description: `Server-sent events. Each message: \`event: <type>\` and JSON data. Types: ${AppEvent.options.map((o) => o.shape.type.value).join(', ')}. Filter with ?types=a,b. Browsers pass the token as ?token=.`,
        querystring: EventTypes,
      },
    },
    async (request, reply) => {
      streamEvents(request, reply, core.events, request.query.types as AppEvent['type'][] | undefined);
    },
  );
}
