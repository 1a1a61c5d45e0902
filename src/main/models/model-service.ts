import { slotsOf } from '../drivers/serving-driver';
import { AppError } from '../../shared/errors';
import type { CapabilitiesOverride, InstallBody, InstalledModel, InstallPlan, ModelCapabilities, ModelProvider, ModelRuntime, Operation } from '../../shared/api/models';
import type { SettingsService } from '../config';
import type { EventBus } from '../events';
import type { Logger } from '../logger';
import type { RuntimeManager } from '../runtimes/manager';
import { installsModels, type CloudModel, type InstallParams, type ManifestHost, type ModelDriver } from '../drivers/model-driver';
import type { DriverRegistry } from '../drivers/serving-driver';
import { servingState } from './model-state';
import type { OperationContext, OperationService } from '../operations/operation-service';
import type { OperationRow } from '../operations/operations-repo';
import { effectiveCapabilities } from './capabilities';
import { diskInfo, quotaRefusal, refusalOf, validateModelName } from './guards';
import type { ActivationService } from './activation';
import type { ModelChecks } from './model-checks';
import type { ModelRecord, ModelsRepo } from './models-repo';
import { isUp } from '../../shared/runtimes';
import { existsSync } from 'node:fs';
import type { ImportBody, ModelRevision } from '../../shared/api/library';
import { isImportParams, ModelImporter } from './model-import';

export interface ModelServiceDeps {
  models: ModelsRepo;
  /** activation state of a model (src/main/models/activation.ts) */
  lifecycle: Pick<ActivationService, 'serving' | 'slotOf'>;
  /** whether its files are validated, and its last test (src/main/models/model-checks.ts) */
  checks: Pick<ModelChecks, 'validated' | 'lastTest'>;
  operations: OperationService;
  /** the registered drivers (the same ones the activation service serves with); those that install models here are this coordinator's, a request's provider picks one */
  drivers: DriverRegistry;
  /** whose model is active, and which runtimes are up (discovery) */
  runtimes: Pick<RuntimeManager, 'info'>;
  settings: Pick<SettingsService, 'get'>;
  events: EventBus;
  logger: Logger;
}

/**
 * The model manifest and its lifecycle, over the drivers (drivers/): what is common to every provider
 * stays here — validation of requests, the operation queue (every install and remove is an operation;
 * refusals happen before one is created), quota, the manifest, dedupe of identical installs, events,
 * capabilities. What a provider does to plan, install, remove and discover is its driver's business.
 */
export class ModelService {
  private unsubscribe: (() => void) | null = null;
  private readonly lastRuntimeState: Record<string, string> = {};
  /** what drivers get to write the manifest and respect the coordinator's rules */
  private readonly host: ManifestHost;
  private readonly importer: ModelImporter;

  constructor(private readonly deps: ModelServiceDeps) {
    this.host = {
      models: deps.models,
      checkNotBusy: (name) => this.checkNotBusy(name),
      busy: (name) => this.deps.operations.activeFor(name) !== null,
      isActive: (model) => this.isActive(model),
      changed: () => this.changed(),
    };
    this.importer = new ModelImporter({ drivers: () => this.drivers, operations: deps.operations, host: this.host });
  }

  /** Imports a GGUF file (Ollama) or a model folder (vLLM) from disk; refusals create nothing. */
  async import(body: ImportBody): Promise<{ operation: Operation; name: string; provider: ModelProvider; kind: 'gguf' | 'folder' }> {
    const { operation, name, driver, kind } = await this.importer.start(body);
    return { operation, name, provider: driver.provider, kind };
  }

  private get drivers(): ModelDriver[] {
    return this.deps.drivers.all().filter(installsModels);
  }

  private driverFor(provider: ModelProvider): ModelDriver {
    const driver = this.drivers.find((d) => d.provider === provider);
    if (!driver) throw new AppError('bad_request', `No driver installs ${provider} models; the providers are: ${this.drivers.map((d) => d.provider).join(', ')}.`);
    return driver;
  }

  /** Imports what is already on disk, resumes interrupted operations, watches for runtimes coming up. */
  async init(): Promise<void> {
    for (const driver of this.drivers) {
      if (driver.discovery !== 'local') continue;
      try {
        await driver.discover(this.host);
      } catch (error) {
        this.deps.logger.warn({ error, provider: driver.provider }, 'could not scan the models already installed');
      }
    }
    for (const row of this.deps.operations.open()) this.resumeOperation(row);
    this.unsubscribe = this.deps.events.on(
      (e) => {
        if (e.type !== 'runtime.state') return;
        const up = isUp(e.runtime.state);
        for (const driver of this.drivers) if (driver.discovery === 'runtime' && driver.runtime === e.runtime.name && up) this.discoverInBackground(driver);
        // active / serving of the runtime's model follow its state: clients refetch instead of recomputing
        const key = `${e.runtime.state}|${e.runtime.model ?? ''}`;
        if (this.lastRuntimeState[e.runtime.name] !== key) {
          this.lastRuntimeState[e.runtime.name] = key;
          this.changed();
        }
      },
      ['runtime.state'],
    );
    // In the background: asking a runtime about every model must not delay the API being ready.
    for (const driver of this.drivers) if (driver.discovery === 'runtime' && this.runtimeUp(driver.runtime)) this.discoverInBackground(driver);
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    await this.discovery;
  }

  private discovery: Promise<void> = Promise.resolve();
  private discoverInBackground(driver: ModelDriver): void {
    this.discovery = this.discovery
      .then(() => driver.discover(this.host))
      .catch((error) => this.deps.logger.warn({ error, provider: driver.provider }, 'model discovery failed'));
  }

  // ---- read ------------------------------------------------------------------------------------

  list(): InstalledModel[] {
    return this.deps.models.list().map((m) => this.toInstalled(m));
  }

  /** One installed model as the registry shows it. */
  get(name: string): InstalledModel {
    return this.toInstalled(this.require(name));
  }

  capabilities(name: string): { capabilities: ModelCapabilities; detected: ModelCapabilities | null; override: CapabilitiesOverride | null } {
    const m = this.require(name);
    return { capabilities: effectiveCapabilities(m.capabilities, m.capabilities_override), detected: m.capabilities, override: m.capabilities_override };
  }

  setCapabilitiesOverride(name: string, override: CapabilitiesOverride | null): ReturnType<ModelService['capabilities']> {
    this.require(name);
    this.deps.models.setOverride(name, override);
    this.changed();
    return this.capabilities(name);
  }

  /** Re-scans what every driver holds (the HF cache; Ollama's list when it is up). */
  async refresh(): Promise<void> {
    for (const driver of this.drivers) {
      if (driver.discovery === 'local' || this.runtimeUp(driver.runtime)) await driver.discover(this.host);
    }
  }

  // ---- plan & install --------------------------------------------------------------------------

  /** What an install would fetch, its size, and the disk after it — or why it would be refused. */
  async plan(request: { name: string; provider: ModelProvider; revision?: string; quantization?: string; files?: string[] }, signal?: AbortSignal): Promise<InstallPlan> {
    validateModelName(request.name, this.driverFor(request.provider).nameRule);
    const plan = await this.driverFor(request.provider).plan(request, this.host, signal);
    let refusal = plan.refusal;
    if (!refusal && plan.download_bytes !== null) {
      const quota = quotaRefusal({ disk: plan.disk, needed: plan.download_bytes, used: this.managedBytes(), minFreePercent: this.deps.settings.get().downloads.minFreePercent, maxStorageBytes: this.deps.settings.get().downloads.maxStorageBytes });
      if (quota) refusal = { code: quota.code, message: quota.message };
    }
    refusal ??= refusalOf(() => this.checkNotBusy(plan.name));
    return { ...plan, refusal };
  }

  /**
   * Installs being prepared (plan resolved with the Hub) but not yet an operation, by model: without
   * this, twenty identical requests all pass the busy check before the first await and create twenty
   * operations writing the same `.incomplete` files.
   */
  private readonly preparing = new Map<string, { request: string; operation: Promise<Operation> }>();

  /**
   * Validates, checks quota and access, then starts the install operation. The same install asked
   * again while it is prepared or running answers with that operation; a different one is refused.
   */
  async install(body: InstallBody): Promise<Operation> {
    validateModelName(body.name, this.driverFor(body.provider).nameRule);
    const name = this.driverFor(body.provider).canonicalName(body.name);
    const request = JSON.stringify([body.provider, name, body.runtime ?? null, body.revision ?? null, body.files ?? null, body.quantization ?? null]);
    const pending = this.preparing.get(name);
    if (pending?.request === request) return pending.operation;
    if (pending) throw new AppError('conflict', `${name} is already being prepared for installation with other options. Wait for it or cancel it.`);
    const open = this.deps.operations.activeFor(name);
    if (open?.operation_type === 'install' && this.sameInstall(open.params, request)) return this.deps.operations.get(open.id);
    const operation = this.startInstall(body);
    this.preparing.set(name, { request, operation });
    try {
      return await operation;
    } finally {
      this.preparing.delete(name);
    }
  }

  private async startInstall(body: InstallBody): Promise<Operation> {
    const driver = this.driverFor(body.provider);
    const runtime: ModelRuntime = body.runtime ?? driver.runtime;
    if (runtime !== driver.runtime) this.deps.drivers.requireLocalRuntime(runtime);
    if (runtime !== driver.runtime) throw new AppError('bad_request', `${body.provider} models run on ${driver.runtime}, not ${runtime}.`);
    const prepared = await driver.prepareInstall(body, this.host);
    if (prepared.download) {
      const settings = this.deps.settings.get().downloads;
      const refusal = quotaRefusal({ disk: await diskInfo(prepared.download.dir), needed: prepared.download.bytes, used: this.managedBytes(), minFreePercent: settings.minFreePercent, maxStorageBytes: settings.maxStorageBytes });
      if (refusal) throw refusal;
    }
    return this.deps.operations.start(
      { model_name: prepared.name, operation_type: 'install', provider: body.provider, runtime, params: prepared.params, message: `Model installation started: ${prepared.name}`, queue: driver.installQueue },
      (ctx) => driver.install(prepared.name, prepared.params, ctx, this.host),
    );
  }

  /** Starts a new install with the parameters of a finished one (the Operations screen's Retry). */
  async retry(operationId: string): Promise<Operation> {
    const row = this.deps.operations.row(operationId);
    if (!row) throw new AppError('operation_not_found', `No operation ${operationId}.`);
    if (row.status === 'pending' || row.status === 'in_progress') throw new AppError('conflict', `Operation ${operationId} is still ${row.status}.`);
    if (row.operation_type !== 'install') throw new AppError('bad_request', 'Only installs can be retried; remove the model again instead.');
    const params = JSON.parse(row.params) as InstallParams;
    if (isImportParams(params)) return (await this.import({ path: params.import.path, name: params.request.name })).operation;
    return this.install(params.request);
  }

  // ---- revisions -------------------------------------------------------------------------------

  /** A Hub model's snapshots on disk: commit, date, size, which one is installed, served and pinned. */
  async revisions(name: string): Promise<{ model_name: string; pinned: string | null; revisions: ModelRevision[] }> {
    const m = this.require(name);
    const driver = this.driverFor(m.provider);
    if (!driver.revisions) throw new AppError('bad_request', `${m.name} is a ${driver.label} model: ${driver.label} keeps one version per tag. Pull another tag to keep two.`);
    return { model_name: m.name, pinned: m.pinned_revision ?? null, revisions: await driver.revisions(m) };
  }

  /**
   * Pins a Hub model to a snapshot on disk (null: unpin): vLLM then starts with `--revision <commit>`
   * and an update no longer changes what is served. A revision not on disk is refused with what to
   * install; a model serving now takes the pin at its next activation.
   */
  async pin(name: string, revision: string | null): Promise<{ model_name: string; pinned: string | null; revisions: ModelRevision[]; applies_on_next_activation: boolean; message: string }> {
    const before = await this.revisions(name);
    const m = this.require(name);
    if (revision && !before.revisions.some((r) => r.commit === revision)) {
      const install = { name: m.name, provider: m.provider, revision };
      throw new AppError(
        'revision_not_installed',
        `${m.name} has no snapshot ${revision.slice(0, 8)} on disk (it has ${before.revisions.map((r) => r.commit.slice(0, 8)).join(', ') || 'none'}). Install it first — POST /api/v1/models/registry/install ${JSON.stringify(install)} — then pin it.`,
        { install },
      );
    }
    this.deps.models.setPinnedRevision(m.name, revision);
    this.changed();
    const after = await this.revisions(name);
    const wanted = revision ?? m.commit_sha;
    const served = after.revisions.find((r) => r.served)?.commit ?? null;
    const applies = this.isActive(m) && served !== wanted;
    const later = applies ? ` It serves ${served ? served.slice(0, 8) : 'another revision'} now: the change takes effect at its next activation.` : '';
    const message = revision ? `${m.name} is pinned to ${revision.slice(0, 8)}: vLLM serves that commit, whatever an update installs.${later}` : `${m.name} is no longer pinned: vLLM serves the installed revision ${m.commit_sha?.slice(0, 8) ?? ''}.${later}`;
    return { ...after, applies_on_next_activation: applies, message };
  }

  // ---- remove ----------------------------------------------------------------------------------

  /** Removes an installed model (refused while it is the active runtime's model). Resolves when done. */
  async remove(nameInput: string): Promise<Operation> {
    const model = this.deps.models.find(nameInput);
    if (!model) {
      validateModelName(nameInput, null);
      throw new AppError('model_not_found', `No installed model "${nameInput}". See GET /api/v1/models/registry.`);
    }
    const name = model.name;
    if (this.isActive(model)) {
      throw new AppError('lifecycle_violation', `${name} is the active model of ${model.runtime}. Deactivate it first (switch or stop the runtime in Runtimes), then remove it.`);
    }
    this.checkNotBusy(name);
    this.driverFor(model.provider).checkRemove(model);
    const op = this.deps.operations.start(
      { model_name: name, operation_type: 'remove', provider: model.provider, runtime: model.runtime, params: {}, message: `Removing ${name}`, queue: null },
      (ctx) => this.runRemove(ctx, model),
    );
    return this.deps.operations.wait(op.operation_id);
  }

  /** The driver deletes the files (or the runtime's copy); then the model leaves the manifest. */
  private async runRemove(ctx: OperationContext, model: ModelRecord): Promise<string> {
    const message = await this.driverFor(model.provider).remove(model, ctx);
    this.deps.models.delete(model.name);
    this.changed();
    return message;
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private resumeOperation(row: OperationRow): void {
    let params: InstallParams;
    try {
      params = JSON.parse(row.params) as InstallParams;
    } catch {
      params = { request: { name: row.model_name, provider: row.provider } };
    }
    if (row.operation_type === 'remove') {
      // A removal cut short: run it again, it is idempotent.
      const model = this.deps.models.get(row.model_name);
      this.deps.operations.resume(row, null, async (ctx) => {
        if (!model) return `${row.model_name} was already removed.`;
        return this.runRemove(ctx, model);
      });
      return;
    }
    const driver = this.driverFor(row.provider);
    if (isImportParams(params)) {
      // an import cut short runs again: the blob already in Ollama's store is not sent twice
      this.deps.operations.resume(row, driver.installQueue, (ctx) => this.importer.run(driver, params, ctx));
      return;
    }
    this.deps.operations.resume(row, driver.installQueue, (ctx) => driver.install(row.model_name, params, ctx, this.host));
  }

  /** Whether a running install operation was started by the same request (its stored params). */
  private sameInstall(params: string, request: string): boolean {
    try {
      const r = (JSON.parse(params) as InstallParams).request;
      const name = this.driverFor(r.provider).canonicalName(r.name);
      return JSON.stringify([r.provider, name, r.runtime ?? null, r.revision ?? null, r.files ?? null, r.quantization ?? null]) === request;
    } catch {
      return false;
    }
  }

  private managedBytes(): number {
    return this.deps.models.list().reduce((a, m) => a + (m.status === 'installed' || m.status === 'downloading' ? m.size_bytes : 0), 0);
  }

  private checkNotBusy(name: string): void {
    const open = this.deps.operations.activeFor(name);
    if (open) throw new AppError('conflict', `${name} already has a ${open.operation_type} operation ${open.status} (${open.id}). Wait for it or cancel it.`);
  }

  private runtimeUp(runtime: ModelRuntime): boolean {
    const info = this.deps.runtimes.info(runtime);
    return isUp(info.state);
  }

  private isActive(model: ModelRecord): boolean {
    return servingState(model, this.deps.runtimes.info(model.runtime)).active || this.deps.lifecycle.slotOf(model) === 'embeddings';
  }

  private require(name: string): ModelRecord {
    const m = this.deps.models.find(name);
    if (!m) throw new AppError('model_not_found', `No installed model "${name}". See GET /api/v1/models/registry.`);
    return m;
  }

  /** Models the providers list that run elsewhere (Ollama's cloud models): shown as cloud, never as installed files. */
  cloudModels(): CloudModel[] {
    return this.drivers.flatMap((d) => d.cloudModels?.() ?? []);
  }

  private toInstalled(m: ModelRecord): InstalledModel {
    const { capabilities_override, hub_gated: _gated, ...rest } = m;
    const { lifecycle, checks } = this.deps;
    return {
      ...rest,
      capabilities: m.capabilities || capabilities_override ? effectiveCapabilities(m.capabilities, capabilities_override) : null,
      active: this.isActive(m),
      slot: lifecycle.slotOf(m),
      slots: [...slotsOf(this.drivers.find((d) => d.provider === m.provider) ?? {})],
      validated: checks.validated(m),
      serving: lifecycle.serving(m),
      last_test: checks.lastTest(m.name),
      remote_code: this.drivers.find((d) => d.provider === m.provider)?.remoteCode?.(m) ?? false,
      ...(m.import_path ? { import_path_exists: existsSync(m.import_path) } : {}),
    };
  }

  private changed(): void {
    this.deps.events.emit({ type: 'models.changed' });
  }
}
