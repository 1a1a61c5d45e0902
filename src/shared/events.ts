import { z } from 'zod';
import { Operation } from './api/models';
import { Slot } from './api/router';
import { LogLine, RuntimeInfo } from './api/runtimes';
import { GpuSampleEvent } from './api/system';
import { StorageDisk } from './api/library';
import type { AppEventTypeName } from './event-types';

/**
 * Events streamed to clients over SSE. A discriminated union on `type`; modules that add events
 * extend this union here so the renderer gets the types too.
 */
export const AppEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('runtime.state'), runtime: RuntimeInfo }),
  z.object({ type: z.literal('runtime.log'), log: LogLine }),
  z.object({ type: z.literal('operation.updated'), operation: Operation }),
  z.object({ type: z.literal('gpu.sample'), sample: GpuSampleEvent }),
  z.object({ type: z.literal('catalog.updated'), section: z.string() }),
  z.object({ type: z.literal('models.changed') }),
  /** a model activation's progress: starting → loading → serving, or failed with the reason */
  z.object({
    type: z.literal('model.activation'),
    model: z.string(),
    /** 'vllm', 'ollama', or a process-less endpoint's runtime ('remote') */
    runtime: z.string(),
    /** the local slot (\`chat\`, \`embeddings\`); null for a remote model made the default route */
    slot: Slot.nullable(),
    phase: z.enum(['starting', 'loading', 'serving', 'failed', 'deactivated']),
    message: z.string(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
  }),
  z.object({ type: z.literal('settings.changed') }),
  /** a remote provider was added, changed, validated or removed */
  z.object({ type: z.literal('providers.changed'), provider: z.string() }),
  /** a remote spend crossed a budget line (soft: a warning; hard: requests are refused) */
  z.object({
    type: z.literal('provider.budget'),
    provider: z.string().nullable(),
    scope: z.enum(['provider', 'global']),
    level: z.enum(['soft', 'hard']),
    spent_usd: z.number(),
    limit_usd: z.number(),
    period: z.enum(['day', 'month']),
  }),
  /** a request failed before its first byte and went to the configured fallback */
  z.object({
    type: z.literal('provider.fallback'),
    from: z.object({ provider: z.string(), model: z.string() }),
    to: z.object({ provider: z.string(), model: z.string() }),
    reason: z.string(),
  }),
  /** a disk holding models crossed `storage.alertPercent` upwards (once per crossing) */
  z.object({ type: z.literal('storage.alert'), disk: StorageDisk, alert_percent: z.number() }),
]);
export type AppEvent = z.infer<typeof AppEvent>;
export type AppEventType = AppEvent['type'];

// the renderer's list of types (event-types.ts) must name exactly the schema's types
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const eventTypesAgree: Same<AppEventType, AppEventTypeName> = true;
void eventTypesAgree;
