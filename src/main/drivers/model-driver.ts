import type { NameRule } from '../models/guards';
import type { InstallBody, InstallPlan, ModelProvider, ModelRuntime } from '../../shared/api/models';
import type { ModelRevision } from '../../shared/api/library';
import type { ModelRecord, ModelsRepo } from '../models/models-repo';
import type { OperationContext } from '../operations/operation-service';
import type { ServingDriver } from './serving-driver';

export type { ActivateContext, TestRequest } from './serving-driver';

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

/** A file or folder on this machine to import (checked by the importer before the operation starts). */
export interface LocalSource {
  path: string;
  kind: 'gguf' | 'folder';
}

/** A model a provider lists that runs elsewhere (Ollama's cloud models): shown, never installed files. */
export interface CloudModel {
  name: string;
  remote_model: string;
  remote_host: string;
}

/**
 * A provider whose models are installed here: the serving side (`ServingDriver`: activate, endpoint,
 * state, deactivate, test) plus what it takes to plan, install, remove, discover and verify them, as the
 * real program behaves. Two coordinators sit over these and never branch on the provider: `ModelService`
 * (validation of requests, the operation queue, quota, the manifest, dedupe of identical installs,
 * events) and the activation service (lifecycle rules, flags priority, validation history, events, the
 * active endpoint). Both find drivers in one `DriverRegistry`, where each is registered with one line.
 *
 * - `HfVllmDriver` (drivers/hf-vllm): models in the Hugging Face cache served by `vllm serve` — resolve
 *   on the Hub and verified resumable download (hf-cache-install.ts), file selection
 *   (hub/file-selection.ts), flags within vLLM's limits (model-config.ts), refusals before launch, the
 *   installed revision, the per-start API key.
 * - `OllamaDriver` (drivers/ollama): models in Ollama's store, loaded and unloaded with keep_alive
 *   (embedding models through /api/embed), pulled, deleted and listed (`/api/tags`, cloud models
 *   apart), over the official `ollama` client.
 *
 * A process-less endpoint (a remote provider) implements `ServingDriver` only: its models are not in
 * the manifest (`models: 'provider'`), and the activation service serves it by (provider, model).
 */
export interface ModelDriver extends ServingDriver<ModelRecord> {
  readonly runtime: ModelRuntime;
  /** where its models come from: install requests name it, and it picks this driver */
  readonly provider: ModelProvider;
  readonly models: 'manifest';
  /** the operation queue its installs wait in (one download or pull at a time per provider) */
  readonly installQueue: string;
  /**
   * 'local': what is already there is scanned at start-up, before interrupted operations resume (files
   * on disk); 'runtime': asked of the runtime in the background, whenever it comes up (Ollama's list)
   */
  readonly discovery: 'local' | 'runtime';
  /** how its models are named, checked before anything is asked of it */
  readonly nameRule?: NameRule;

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
  /** what the last discovery listed that runs elsewhere (Ollama's cloud models) */
  cloudModels?(): CloudModel[];
  /** checks the model's files (hashes, or the runtime's own check) */
  verify(model: ModelRecord): Promise<VerifyResult>;
  /** whether serving it runs code from the model's repo (vLLM's `auto_map`): the UI shows the per-model switch */
  remoteCode?(model: ModelRecord): boolean;
  /** the models the runtime holds now (Ollama: to re-adopt the active one after a restart of Switchyard) */
  loaded?(): Promise<string[]>;

  // ---- import from disk (issue 29; coordinated by ModelImporter) ----
  /** what this driver imports: a GGUF file (Ollama) or a model folder (vLLM) */
  readonly imports?: LocalSource['kind'];
  /** runs an import operation: the model lands in the manifest with `source: 'local'` and its path */
  importLocal?(name: string, source: LocalSource, ctx: OperationContext, host: ManifestHost): Promise<string>;
  /** whether the runtime already holds a model of this name (Ollama's own list, when it is up) */
  nameTaken?(name: string): Promise<boolean>;
  /** a Hub model's snapshots on disk, newest first, with the installed, served and pinned one (throws when it has none) */
  revisions?(model: ModelRecord): Promise<ModelRevision[]>;
}

/** Whether a registered driver installs models here (the install side's coordinator takes only these). */
export function installsModels(driver: ServingDriver): driver is ModelDriver {
  return driver.models === 'manifest' && 'prepareInstall' in driver;
}
