import type { ModelRuntime, ModelTestResult, RuntimeFlags } from '../../shared/api/models';
import type { ModelRecord } from '../models/models-repo';

export interface TestRequest {
  prompt: string;
  maxTokens: number;
}

export interface ActivateContext {
  /** false once a newer activation or a deactivation superseded this one: stop and throw `cancelled` */
  isCurrent(): boolean;
  /** progress for the activation's events ("vLLM is loading…") */
  onLoading(message: string): void;
}

/** Files as checked by `verify`: ok, or what is wrong (recorded as the model's `files` validation). */
export interface VerifyResult {
  ok: boolean;
  details: Record<string, unknown>;
}

/**
 * One model provider behind one interface: what it takes to serve, unload, test and verify one of its
 * models, as the real program behaves. The activation service is a coordinator over these (lifecycle
 * rules, flags priority, validation history, events); it never branches on the provider.
 *
 * - `HfVllmDriver` (drivers/hf-vllm): models in the Hugging Face cache served by `vllm serve` — file
 *   selection (hub/file-selection.ts), flags within vLLM's limits (model-config.ts), refusals before
 *   launch, the installed revision, the API key.
 * - `OllamaDriver` (drivers/ollama): models in Ollama's store, loaded and unloaded with keep_alive
 *   (embedding models through /api/embed), over the official `ollama` client.
 *
 * Installing (plan, download or pull, remove, discovery of what is already there) still lives in
 * `ModelService`, which keeps one code path per provider; moving it behind `plan/install/remove/
 * discover` here is the next step of the same design.
 *
 * A third kind fits without changing the coordinator: remote OpenAI-compatible endpoints (a cluster's
 * vLLM or KServe, OpenAI, Gemini). Its "install" records the endpoint and validates the credentials
 * (GET /v1/models with them); `check` refuses it while Switchyard is offline (`requiresNetwork`);
 * `activate` starts nothing and hands the OpenAI proxy the remote base URL with its Authorization
 * header (the proxy already forwards `ActiveEndpoint.headers`, as it does for vLLM's API key);
 * `unload` is a no-op; `test` is the same chat test; `verify` re-validates the credentials.
 */
export interface ModelDriver {
  readonly runtime: ModelRuntime;
  /** serving needs the network (remote endpoints): refused in offline mode */
  readonly requiresNetwork: boolean;
  /** refuses, before anything starts, what the real program would refuse after loading (throws AppError) */
  check(model: ModelRecord, flags: RuntimeFlags): void;
  /** makes the runtime serve `model`; resolves once it answers for it, with its base URL */
  activate(model: ModelRecord, flags: RuntimeFlags, ctx: ActivateContext): Promise<{ baseUrl: string }>;
  /** stops serving `model` (the runtime's current one when null) */
  unload(model: string | null): Promise<void>;
  /** the models the runtime holds now (to re-adopt the active one after a restart of Switchyard) */
  loaded(): Promise<string[]>;
  /** one short request to the runtime serving `servedName`, timed; never throws, the result says */
  test(model: ModelRecord, servedName: string, request: TestRequest): Promise<ModelTestResult>;
  /** checks the model's files (hashes, or the runtime's own check) */
  verify(model: ModelRecord): Promise<VerifyResult>;
}
