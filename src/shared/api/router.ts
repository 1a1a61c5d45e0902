import { z } from 'zod';
import { okShape } from './common';

/**
 * The router: one `/v1` for every model by name. A request's `model` picks a route from one table —
 * the local `chat` and `embeddings` slots, every enabled and validated remote provider's models
 * (`<provider>/<model>`), aliases, and (with load on demand) installed local models not loaded yet.
 */

/** A local slot: each holds at most one local model. */
export const Slot = z.enum(['chat', 'embeddings']);
export type Slot = z.infer<typeof Slot>;

/** The OpenAI endpoints a route may be asked for. */
export const RouteEndpoint = z.enum(['chat.completions', 'completions', 'embeddings']);
export type RouteEndpoint = z.infer<typeof RouteEndpoint>;

/**
 * Where a route stands now: `serving` answers; `loadable` is an installed local model that a request
 * loads (load on demand); `disabled` (the provider is), `stale` (the provider changed since its last
 * validation), `down` (its health check failed), `offline` (remote, offline mode on) answer with a refusal.
 */
export const RouteState = z.enum(['serving', 'loadable', 'disabled', 'stale', 'down', 'offline']);
export type RouteState = z.infer<typeof RouteState>;

export const RouteHealth = z.object({
  status: z.enum(['ok', 'down', 'unknown']),
  last_check_at: z.string().nullable(),
  latency_ms: z.number().nullable(),
  error: z.string().nullable(),
});
export type RouteHealth = z.infer<typeof RouteHealth>;

export const RouteTarget = z.object({
  kind: z.enum(['local', 'remote']),
  /** `huggingface`, `ollama`, or a remote provider id */
  provider: z.string(),
  /** `vllm`, `ollama`, or `remote` */
  runtime: z.string(),
  /** the id the upstream serves */
  upstream_model: z.string(),
});
export type RouteTarget = z.infer<typeof RouteTarget>;

export const Route = z.object({
  /** the name a request uses: a local model's served name, or `<provider>/<model>` for a remote one */
  model: z.string(),
  target: RouteTarget,
  /** the local slot it is in (null: remote, or a local model not loaded) */
  slot: Slot.nullable(),
  state: RouteState,
  health: RouteHealth,
  aliases: z.array(z.string()),
  /** the default route: requests without a model, and a bare name it serves */
  default: z.boolean(),
});
export type Route = z.infer<typeof Route>;

/** An alias: a short name, a word, never a path and never `provider/model`. */
export const AliasName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][\w\-.:]*$/, 'an alias: letters, digits and _ - . : (no "/": that shape names a provider\'s model)');
export const AliasBody = z.object({ target: z.string().min(1).max(320) });
export const AliasParams = z.object({ alias: AliasName });

export const Alias = z.object({ alias: z.string(), target: z.string(), created_at: z.string() });
export type Alias = z.infer<typeof Alias>;

export const RoutesResponse = okShape({ routes: z.array(Route), default: z.string().nullable() });
export const AliasesResponse = okShape({ aliases: z.array(Alias) });
export const AliasResponse = okShape({ alias: Alias });

/**
 * Refusal codes of the router, with their HTTP status (OpenAI error shape). `model_switching` comes
 * with `Retry-After`.
 */
export const REFUSAL_STATUS = {
  ambiguous_model: 400,
  model_disabled: 403,
  validation_stale: 409,
  upstream_down: 503,
  offline: 503,
  model_not_loaded: 404,
  model_not_found: 404,
  model_switching: 503,
  no_active_model: 503,
  runtime_unresponsive: 503,
  endpoint_not_supported: 404,
} as const;
export type RefusalCode = keyof typeof REFUSAL_STATUS;
