import type { InstallBody, InstallPlan, ModelProvider, ModelRuntime, ModelTestResult, RuntimeFlags } from '../../shared/api/models';
import type { ModelRecord, ModelsRepo } from '../models/models-repo';
import type { OperationContext } from '../operations/operation-service';

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

/** What an install asks for (the API's install body; its provider picked the driver). */
export type InstallRequest = Pick<InstallBody, 'name' | 'revision' | 'quantization' | 'files'>;

/** An install operation's stored params: the API body, plus whatever the driver resolved to resume it. */
export interface InstallParams {
  request: InstallBody;
  [resolved: string]: unknown;
}

/** An install resolved and checked by its driver, ready to become an operation. */
export interface PreparedInstall {
  /** the manifest name (the repo as the Hub spells it, Ollama's `model:tag`) */
  name: string;
  /** stored as the operation's params: everything a restart of Switchyard needs to resume it */
  params: InstallParams;
  /** what is still to be written and where, for the quota; null when unknown before it starts (a pull) */
  download: { bytes: number; dir: string } | null;
}

/**
 * What the coordinator (ModelService) lends a driver while it installs, removes or discovers: the
 * manifest, whose rows of its own models the driver writes (downloading → installed, files, the
 * `files` validation), and the coordinator's rules it must respect.
 */
export interface ManifestHost {
  readonly models: ModelsRepo;
  /** throws `conflict` when `name` has an install or remove operation open */
  checkNotBusy(name: string): void;
  /** whether `name` has an operation open (discovery leaves such models alone) */
  busy(name: string): boolean;
  /** whether a runtime serves `model` now (its files are being read) */
  isActive(model: ModelRecord): boolean;
  /** the manifest changed: clients refetch (`models.changed`) */
  changed(): void;
}

/** A model a provider lists that runs elsewhere (Ollama's cloud models): shown, never installed files. */
export interface CloudModel {
  name: string;
  remote_model: string;
  remote_host: string;
}

/**
 * One model provider behind one interface: what it takes to plan, install, remove and discover its
 * models, and to serve, unload, test and verify them, as the real program behaves. Two coordinators sit
 * over these and never branch on the provider: `ModelService` (validation of requests, the operation
 * queue, quota, the manifest, dedupe of identical installs, events) and the activation service
 * (lifecycle rules, flags priority, validation history, events).
 *
 * - `HfVllmDriver` (drivers/hf-vllm): models in the Hugging Face cache served by `vllm serve` — resolve
 *   on the Hub and verified resumable download (hf-cache-install.ts), file selection (hub/file-selection.ts), flags within vLLM's limits (model-config.ts), refusals before
 *   launch, the installed revision, the API key.
 * - `OllamaDriver` (drivers/ollama): models in Ollama's store, loaded and unloaded with keep_alive
 *   (embedding models through /api/embed), pulled, deleted and listed (`/api/tags`, cloud models
 *   apart), over the official `ollama` client.
 *
 * A third kind fits without changing the coordinators: remote OpenAI-compatible endpoints (a cluster's
 * vLLM or KServe, OpenAI, Gemini). Its `plan` has no files and no download (no quota), `prepareInstall`
 * refuses it offline; its `install` records the endpoint and validates the credentials (GET /v1/models
 * with them), `remove` forgets them, `discover` has nothing to scan (`discovery: 'local'`); the
 * activation service refuses to serve it while Switchyard is offline (`requiresNetwork`);
 * `activate` starts nothing and hands the OpenAI proxy the remote base URL with its Authorization
 * header (the proxy already forwards `ActiveEndpoint.headers`, as it does for vLLM's API key);
 * `unload` is a no-op; `test` is the same chat test; `verify` re-validates the credentials.
 */
export interface ModelDriver {
  readonly runtime: ModelRuntime;
  /** where its models come from: install requests name it, and it picks this driver */
  readonly provider: ModelProvider;
  /** serving needs the network (remote endpoints): refused in offline mode */
  readonly requiresNetwork: boolean;
  /** the operation queue its installs wait in (one download or pull at a time per provider) */
  readonly installQueue: string;
  /**
   * 'local': what is already there is scanned at start-up, before interrupted operations resume (files
   * on disk); 'runtime': asked of the runtime in the background, whenever it comes up (Ollama's list)
   */
  readonly discovery: 'local' | 'runtime';

  // ---- install side (coordinated by ModelService) ----
  /** the manifest name of a requested model (Ollama adds `:latest`): identical installs are deduped on it */
  canonicalName(name: string): string;
  /**
   * What installing `request` would fetch, its size and the disk it lands on. `refusal` holds the
   * driver's own reason only (its runtime cannot take it now); quota and busy are the coordinator's.
   */
  plan(request: InstallRequest, host: ManifestHost, signal?: AbortSignal): Promise<InstallPlan>;
  /** resolves and checks an install (throws the refusal: busy, unreachable, already installed, gated) */
  prepareInstall(request: InstallBody, host: ManifestHost): Promise<PreparedInstall>;
  /** runs an install operation (also one resumed after a restart, from its stored params); resolves with its message */
  install(name: string, params: InstallParams, ctx: OperationContext, host: ManifestHost): Promise<string>;
  /** refuses a removal before its operation starts (throws AppError) */
  checkRemove(model: ModelRecord): void;
  /** deletes the model's files or the runtime's copy; the coordinator then drops it from the manifest */
  remove(model: ModelRecord, ctx: OperationContext): Promise<string>;
  /** imports what is already there into the manifest, marks what vanished (never touches busy models) */
  discover(host: ManifestHost): Promise<void>;
  /** what the last discovery listed that runs elsewhere (cloud models) */
  cloudModels(): CloudModel[];

  // ---- serving side (coordinated by the activation service) ----
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
  /** whether serving it runs code from the model's repo (`auto_map`): the UI shows the per-model switch */
  remoteCode(model: ModelRecord): boolean;
  /** checks the model's files (hashes, or the runtime's own check) */
  verify(model: ModelRecord): Promise<VerifyResult>;
}
