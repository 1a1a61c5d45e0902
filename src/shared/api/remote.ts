import { z } from 'zod';
import { okShape } from './common';
import { REMOTE_KEY_ENV } from '../secret-env';

/**
 * Remote providers: cloud APIs (OpenAI, Gemini, Anthropic) and cluster endpoints (a vLLM, a KServe
 * InferenceService) served behind Switchyard's own `/v1`. Their models are identified by
 * (provider id, model id) and never live in the local `models` table.
 */
export const ProviderKind = z.enum(['openai', 'gemini', 'anthropic', 'openai_compatible', 'kserve']);
export type ProviderKind = z.infer<typeof ProviderKind>;

/** Ids the local providers and runtimes already use: a remote provider may not take them. */
export const RESERVED_PROVIDER_IDS = ['huggingface', 'ollama', 'vllm', 'local', 'remote'] as const;

export const ProviderId = z
  .string()
  .min(2)
  .max(48)
  .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, 'a slug: lower-case letters, digits and dashes, e.g. "openai" or "lab-vllm"')
  .refine((s) => !(RESERVED_PROVIDER_IDS as readonly string[]).includes(s), 'this id belongs to a local provider or runtime: choose another');

/** A model id as the remote serves it (`gpt-4o-mini`, `Qwen/Qwen3-8B`, `gemini-2.0-flash`). */
export const RemoteModelId = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[\w\-.:/@+]+$/, 'model ids may only contain letters, digits and _ - . : / @ +');

const HeaderName = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'a header name');
/** Headers whose value is a credential: they belong in `api_key`, never in plain `headers`. */
export const SECRET_HEADERS = ['authorization', 'proxy-authorization', 'x-api-key', 'x-goog-api-key', 'api-key', 'cookie'] as const;
export const ProviderHeaders = z
  .record(HeaderName, z.string().max(1024).regex(/^[^\r\n\0]*$/, 'one line'))
  .refine((h) => Object.keys(h).length <= 16, 'at most 16 headers')
  .refine((h) => Object.keys(h).every((k) => !(SECRET_HEADERS as readonly string[]).includes(k.toLowerCase())), 'credentials go in api_key, not in headers (headers are stored in plain text)');

/** An API key as typed, or the mask the API showed (sending the mask back keeps the stored key). */
export const ApiKeyInput = z
  .string()
  .max(4096)
  .regex(/^[^\s\u0000-\u001f\u007f]*$/, 'an API key has no spaces, line breaks or control characters')
  .nullable();

export const BudgetPeriod = z.enum(['day', 'month']);
export const Budget = z.object({
  soft_usd: z.number().min(0).max(1e9).optional(),
  hard_usd: z.number().min(0).max(1e9).optional(),
  period: BudgetPeriod,
});
export type Budget = z.infer<typeof Budget>;

export const Governance = z.object({
  /** requests per minute (Switchyard refuses the rest with 429, nothing sent upstream) */
  rpm: z.number().int().min(1).max(1e6).optional(),
  /** tokens (prompt + completion) per minute */
  tpm: z.number().int().min(1).max(1e9).optional(),
  /** the user's prices; nothing is fetched */
  price: z.object({ input_per_mtok: z.number().min(0).max(1e6), output_per_mtok: z.number().min(0).max(1e6) }).optional(),
  budget: Budget.optional(),
  /** seconds to wait for the upstream's answer to begin before it counts as a timeout (default 60); the answer itself is not limited by it */
  first_byte_timeout_s: z.number().min(0.05).max(600).optional(),
  /** seconds of silence allowed between two chunks of an answer (default 120) */
  idle_timeout_s: z.number().min(0.05).max(3600).optional(),
  /**
   * completion tokens a request that sets no max_tokens is reserved at against budgets and tpm, and
   * capped to when a hard budget or tpm applies (default 4096)
   */
  max_tokens_per_request: z.number().int().min(1).max(10_000_000).optional(),
});
export type Governance = z.infer<typeof Governance>;

export const Fallback = z.object({ provider: ProviderId, model: RemoteModelId });
export type Fallback = z.infer<typeof Fallback>;

export const ProviderCreate = z.object({
  id: ProviderId,
  kind: ProviderKind,
  /** the API base up to and including its version path; filled in for openai, gemini, anthropic */
  base_url: z.string().max(2048).optional(),
  api_key: ApiKeyInput.optional(),
  headers: ProviderHeaders.optional(),
  /** ids added by hand, for endpoints whose /models is missing */
  models: z.array(RemoteModelId).max(256).optional(),
  governance: Governance.optional(),
  fallback: Fallback.nullable().optional(),
});
export type ProviderCreate = z.infer<typeof ProviderCreate>;

export const ProviderPatch = ProviderCreate.omit({ id: true, kind: true })
  .partial()
  /** false: kept with its history, routed nothing; an enabled provider cannot be unregistered */
  .extend({ enabled: z.boolean().optional() });
export type ProviderPatch = z.infer<typeof ProviderPatch>;

/** Standard reason codes of validation steps, refusals and usage errors. */
export const ReasonCode = z.enum([
  'ok',
  'invalid_url',
  'insecure_http',
  'offline',
  'unreachable',
  'tls_error',
  'timeout',
  'auth_error',
  'models_endpoint_not_found',
  'rate_limited',
  'upstream_error',
  'invalid_response',
  'model_not_listed',
  'budget_exceeded',
  'stream_cut',
  'no_key',
  /** the upstream answered with a redirect: never followed, since the key would go along */
  'redirected',
  /** the base URL leads to a metadata service, a link-local address or Switchyard itself */
  'destination_not_allowed',
  /** the provider changed since its last validation */
  'validation_stale',
]);
export type ReasonCode = z.infer<typeof ReasonCode>;

export const ValidationStepName = z.enum(['url', 'offline', 'reachability', 'models', 'parse', 'model_check']);
export const ValidationStep = z.object({
  step: ValidationStepName,
  status: z.enum(['ok', 'warning', 'failed', 'skipped']),
  reason_code: ReasonCode,
  message: z.string(),
  duration_ms: z.number(),
});
export type ValidationStep = z.infer<typeof ValidationStep>;

export const Validation = z.object({
  id: z.number().int(),
  provider: z.string(),
  ok: z.boolean(),
  reason_code: ReasonCode,
  message: z.string(),
  steps: z.array(ValidationStep),
  /** model ids listed (or added by hand) at this validation */
  models: z.array(z.string()),
  /** false once the provider's configuration changed after it (base URL, auth, headers, key) */
  current: z.boolean(),
  started_at: z.string(),
  duration_ms: z.number(),
});
export type Validation = z.infer<typeof Validation>;

export const KeySource = z.enum(['settings', ...REMOTE_KEY_ENV.map((name) => `env:${name}` as const)]);
export type KeySource = z.infer<typeof KeySource>;

export const ProviderSpend = z.object({
  period: BudgetPeriod,
  cost_usd: z.number(),
  requests: z.number().int(),
  errors: z.number().int(),
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
});

export const RemoteProvider = z.object({
  id: z.string(),
  kind: ProviderKind,
  base_url: z.string(),
  /** masked (`sk-…abcd`), never the key */
  api_key: z.string().nullable(),
  api_key_source: KeySource.nullable(),
  headers: z.record(z.string(), z.string()),
  models: z.array(z.string()),
  governance: Governance,
  fallback: Fallback.nullable(),
  /** false: the router sends nothing to it (403 `model_disabled`) */
  enabled: z.boolean(),
  /** `current`: the last validation passed and the configuration has not changed since */
  validation: z.object({ state: z.enum(['never', 'current', 'stale', 'failed']), last: Validation.nullable() }),
  /** spend in the budget's period (the month when no budget is set) */
  spend: ProviderSpend,
  supports: z.object({ embeddings: z.boolean(), completions: z.boolean() }),
  warnings: z.array(z.string()),
  created_at: z.string(),
  updated_at: z.string(),
});
export type RemoteProvider = z.infer<typeof RemoteProvider>;

export const RemoteModel = z.object({ provider: z.string(), id: z.string(), source: z.enum(['listed', 'manual']) });
export type RemoteModel = z.infer<typeof RemoteModel>;

export const ProviderParams = z.object({ id: z.string().min(1).max(64) });
export const ValidateBody = z.object({ model: RemoteModelId.optional() }).optional();
export const TestBody = z.object({ model: RemoteModelId, prompt: z.string().min(1).max(4000).optional(), kind: z.enum(['chat', 'embedding']).optional() });

export const RemoteTestResult = z.object({
  ok: z.boolean(),
  provider: z.string(),
  model: z.string(),
  kind: z.enum(['chat', 'embedding']),
  answer: z.string().nullable(),
  latency_ms: z.number(),
  ttft_ms: z.number().nullable(),
  prompt_tokens: z.number().nullable(),
  completion_tokens: z.number().nullable(),
  cost_usd: z.number().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  at: z.string(),
});
export type RemoteTestResult = z.infer<typeof RemoteTestResult>;

export const RemoteUsageDay = z.object({
  day: z.string(),
  provider: z.string(),
  model: z.string(),
  requests: z.number().int(),
  errors: z.number().int(),
  fallbacks: z.number().int(),
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  cost_usd: z.number(),
  errors_by_reason: z.record(z.string(), z.number().int()),
});
export type RemoteUsageDay = z.infer<typeof RemoteUsageDay>;
export const RemoteUsageQuery = z.object({ days: z.coerce.number().int().min(1).max(366).default(30) });

export const ProvidersResponse = okShape({ providers: z.array(RemoteProvider) });
export const ProviderResponse = okShape({ provider: RemoteProvider });
export const ValidationResponse = okShape({ validation: Validation, provider: RemoteProvider });
export const ValidationsResponse = okShape({ validations: z.array(Validation) });
export const RemoteModelsResponse = okShape({ models: z.array(RemoteModel), validated_at: z.string().nullable() });
export const RemoteTestResponse = okShape({ result: RemoteTestResult });
export const RemoteUsageResponse = okShape({ days: z.array(RemoteUsageDay) });
