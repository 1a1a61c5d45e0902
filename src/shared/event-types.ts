/**
 * The SSE event types, as plain data for the renderer (which subscribes to each by name and must not
 * pull zod in for it). `events.ts` checks at compile time that this list and the schema agree.
 */
export const APP_EVENT_TYPES = [
  'runtime.state',
  'runtime.log',
  'operation.updated',
  'gpu.sample',
  'catalog.updated',
  'models.changed',
  'model.activation',
  'settings.changed',
  'providers.changed',
  'provider.budget',
  'provider.fallback',
  'storage.alert',
] as const;
export type AppEventTypeName = (typeof APP_EVENT_TYPES)[number];
