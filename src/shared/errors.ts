import { z } from 'zod';

/** Stable error codes. Clients switch on these; messages are for people. */
export const ErrorCode = z.enum([
  'bad_request',
  'validation_error',
  'unauthorized',
  'forbidden',
  'not_found',
  'model_not_found',
  'operation_not_found',
  'runtime_not_found',
  'invalid_name',
  'quota_exceeded',
  'insufficient_disk',
  /** the disk holding the data dir is full: a setting or secret was not saved */
  'insufficient_storage',
  /** two local slots' models do not fit in the GPU's memory (or RAM) together */
  'insufficient_memory',
  'runtime_busy',
  'runtime_not_installed',
  'runtime_external',
  'runtime_failed',
  'runtime_not_ready',
  'start_timeout',
  'port_in_use',
  'lifecycle_violation',
  'model_not_validated',
  'model_not_active',
  'offline',
  'upstream_error',
  'gated_repo',
  'hub_token_invalid',
  'remote_code_not_allowed',
  'unsupported_model',
  'checksum_mismatch',
  /** an import: the file is not a GGUF model (magic, header) */
  'not_gguf',
  /** an import: the folder lacks what vLLM reads (config.json, tokenizer, safetensors weights) */
  'not_a_model_folder',
  /** an import: nothing at that path */
  'path_not_found',
  /** an import: the path exists but cannot be read */
  'path_unreadable',
  /** an import: the name is already a model here (or in the runtime) */
  'name_taken',
  /** a pin: the revision is not on disk (install it first) */
  'revision_not_installed',
  'cancelled',
  'conflict',
  'data_dir_in_use',
  'data_dir_unusable',
  /** a provider's base URL points where keys never go (metadata, link-local, Switchyard itself) */
  'destination_not_allowed',
  /** a provider changed since its last validation: nothing is sent until it passes again */
  'validation_stale',
  /** a provider is disabled: nothing is routed to it until it is enabled */
  'model_disabled',
  'internal_error',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorBody = z.object({
  success: z.literal(false),
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** HTTP status per code: the one place that maps them. */
export const errorStatus: Record<ErrorCode, number> = {
  bad_request: 400,
  validation_error: 400,
  invalid_name: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  model_not_found: 404,
  operation_not_found: 404,
  runtime_not_found: 404,
  quota_exceeded: 507,
  insufficient_disk: 507,
  insufficient_storage: 507,
  insufficient_memory: 507,
  runtime_busy: 409,
  runtime_external: 409,
  lifecycle_violation: 409,
  model_not_validated: 409,
  model_not_active: 409,
  conflict: 409,
  data_dir_in_use: 409,
  port_in_use: 409,
  runtime_not_installed: 424,
  runtime_not_ready: 503,
  offline: 409,
  runtime_failed: 502,
  upstream_error: 502,
  gated_repo: 403,
  // not 401: that status means "Switchyard's own API token is wrong" to every client
  hub_token_invalid: 403,
  remote_code_not_allowed: 409,
  unsupported_model: 422,
  not_gguf: 422,
  not_a_model_folder: 422,
  path_not_found: 404,
  path_unreadable: 422,
  name_taken: 409,
  revision_not_installed: 409,
  checksum_mismatch: 502,
  start_timeout: 504,
  cancelled: 499,
  data_dir_unusable: 500,
  destination_not_allowed: 422,
  validation_stale: 409,
  model_disabled: 403,
  internal_error: 500,
};

/** The one error type of the core. `details` carries data a UI may show (exit code, log tail…). */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return errorStatus[this.code];
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
