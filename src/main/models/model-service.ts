import { existsSync, readFileSync } from 'node:fs';
import { rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError, errorMessage } from '../../shared/errors';
import type { CapabilitiesOverride, InstallBody, InstalledModel, InstallPlan, ModelCapabilities, ModelProvider, ModelRuntime, Operation } from '../../shared/api/models';
import type { SettingsService } from '../config';
import type { EventBus } from '../events';
import type { Logger } from '../logger';
import type { RuntimeManager } from '../runtimes/manager';
import { blobPath, isBlobId, repoDir, snapshotDir } from '../hub/cache-layout';
import { deleteSnapshot, refsTo, removeRepoIfEmpty, snapshotCommits } from '../hub/cache-prune';
import { scanCachedModels } from '../hub/cache-scan';
import { indexedShards, SelectionError, selectFiles } from '../hub/file-selection';
import { ollamaModelsDir } from '../drivers/ollama/models-dir';
import { servingState } from './model-state';
import { needsRemoteCode } from '../drivers/hf-vllm/model-config';
import type { HubClient } from '../hub/hub-client';
import { bytesAlreadyFetched, partialFilesOf } from '../hub/downloader';
import { blobIdOf, downloadSnapshot, type SnapshotFile } from '../hub/snapshot-download';
import { cancelReasonOf, type OperationContext, type OperationService } from '../operations/operation-service';
import type { OperationRow } from '../operations/operations-repo';
import { capabilitiesFromHf, effectiveCapabilities } from './capabilities';
import { formatBytes } from '../../shared/format';
import { ollamaCanonicalName } from '../../shared/model-names';
import { diskInfo, quotaRefusal, validateModelName } from './guards';
import type { ActivationService } from './activation';
import type { ModelRecord, ModelsRepo } from './models-repo';
import type { OllamaModels } from './ollama-models';

export interface ModelServiceDeps {
  models: ModelsRepo;
  /** activation state of a model (src/main/models/activation.ts) */
  lifecycle: Pick<ActivationService, 'validated' | 'serving' | 'lastTest'>;
  operations: OperationService;
  hub: HubClient;
  ollama: OllamaModels;
  runtimes: RuntimeManager;
  settings: SettingsService;
  events: EventBus;
  logger: Logger;
  hfHubCache(): string;
  /** first retry delay of a failed download (doubles each time); tests shorten it */
  retryBaseMs?: number;
  fetch?: typeof fetch;
}

/** The resolved plan of a Hugging Face install, kept in the operation's params for a resume. */
interface HfPlan {
  repo: string;
  revision: string;
  commit: string;
  files: SnapshotFile[];
  quantization: string | null;
}

interface InstallParams {
  request: InstallBody;
  plan?: HfPlan;
  /** the commit this install updates from: its snapshot goes once the new one is complete */
  replaces?: ReplacedSnapshot | null;
}

/** The snapshot an update replaces, and the blobs its manifest listed (partial downloads of it go too). */
interface ReplacedSnapshot {
  commit: string;
  blobs: string[];
}

const hfQueue = 'vllm';
const ollamaQueue = 'ollama';

/**
 * The model manifest and its lifecycle: plan, install (HF downloads, Ollama pulls), remove,
 * discovery of models already on disk or in Ollama, capabilities. Every install/remove is an
 * operation; refusals (bad name, quota, gated, active model) happen before one is created.
 */
export class ModelService {
  private unsubscribe: (() => void) | null = null;
  private cloud: { name: string; remote_model: string; remote_host: string }[] = [];
  private readonly lastRuntimeState: Record<string, string> = {};
  private readonly retryBaseMs: number;

  constructor(private readonly deps: ModelServiceDeps) {
    this.retryBaseMs = deps.retryBaseMs ?? 1_000;
  }

  /** Imports what is already on disk, resumes interrupted operations, watches for Ollama coming up. */
  async init(): Promise<void> {
    try {
      this.discoverHf();
    } catch (error) {
      this.deps.logger.warn({ error }, 'could not scan the Hugging Face cache');
    }
    for (const row of this.deps.operations.open()) this.resumeOperation(row);
    this.unsubscribe = this.deps.events.on(
      (e) => {
        if (e.type !== 'runtime.state') return;
        if (e.runtime.name === 'ollama' && (e.runtime.state === 'ready' || e.runtime.state === 'external')) this.discoverOllamaInBackground();
        // active / serving of the runtime's model follow its state: clients refetch instead of recomputing
        const key = `${e.runtime.state}|${e.runtime.model ?? ''}`;
        if (this.lastRuntimeState[e.runtime.name] !== key) {
          this.lastRuntimeState[e.runtime.name] = key;
          this.changed();
        }
      },
      ['runtime.state'],
    );
    // In the background: asking Ollama about every model must not delay the API being ready.
    const o = this.deps.runtimes.info('ollama');
    if (o.state === 'ready' || o.state === 'external') this.discoverOllamaInBackground();
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    await this.discovery;
  }

  private discovery: Promise<void> = Promise.resolve();
  private discoverOllamaInBackground(): void {
    this.discovery = this.discovery
      .then(() => this.discoverOllama())
      .catch((error) => this.deps.logger.warn({ error }, 'Ollama model discovery failed'));
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

  /** Re-scans the HF cache and Ollama. */
  async refresh(): Promise<void> {
    this.discoverHf();
    const o = this.deps.runtimes.info('ollama');
    if (o.state === 'ready' || o.state === 'external') await this.discoverOllama();
  }

  // ---- plan & install --------------------------------------------------------------------------

  /** What an install would fetch, its size, and the disk after it — or why it would be refused. */
  async plan(request: { name: string; provider: ModelProvider; revision?: string; quantization?: string; files?: string[] }, signal?: AbortSignal): Promise<InstallPlan> {
    validateModelName(request.name, request.provider);
    if (request.provider === 'ollama') {
      const name = ollamaCanonicalName(request.name);
      const disk = await diskInfo(this.ollamaModelsDir());
      return {
        name,
        provider: 'ollama',
        runtime: 'ollama',
        revision: name.split(':').pop() ?? 'latest',
        commit_sha: null,
        gated: false,
        files: [],
        quantizations: [],
        quantization: null,
        total_bytes: null,
        download_bytes: null,
        disk: { ...disk, free_after_bytes: null },
        refusal: this.refusalOf(() => this.checkOllamaReachable(), () => this.checkNotBusy(name)),
      };
    }
    const { hfPlan, gated, quantizations } = await this.resolveHf(request, signal);
    const cache = this.deps.hfHubCache();
    const files = await Promise.all(
      hfPlan.files.map(async (f) => {
        const cached = existsSync(blobPath(cache, hfPlan.repo, blobIdOf(f)));
        return { path: f.path, size: f.size, sha256: f.sha256, cached };
      }),
    );
    const total = hfPlan.files.reduce((a, f) => a + f.size, 0);
    const needed = await this.bytesToFetch(hfPlan);
    const disk = await diskInfo(cache);
    let refusal: InstallPlan['refusal'] = null;
    const quota = quotaRefusal({ disk, needed, used: this.managedBytes(), minFreePercent: this.deps.settings.get().downloads.minFreePercent, maxStorageBytes: this.deps.settings.get().downloads.maxStorageBytes });
    if (quota) refusal = { code: quota.code, message: quota.message };
    refusal ??= this.refusalOf(() => this.checkNotBusy(hfPlan.repo));
    return {
      name: hfPlan.repo,
      provider: 'huggingface',
      runtime: 'vllm',
      revision: hfPlan.revision,
      commit_sha: hfPlan.commit,
      gated,
      files,
      quantizations,
      quantization: hfPlan.quantization,
      ollama_name: hfPlan.quantization && hfPlan.files.some((f) => f.path.endsWith('.gguf')) ? `hf.co/${hfPlan.repo}:${hfPlan.quantization}` : null,
      total_bytes: total,
      download_bytes: needed,
      disk: { ...disk, free_after_bytes: disk.free_bytes - needed },
      refusal,
    };
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
    validateModelName(body.name, body.provider);
    const name = body.provider === 'ollama' ? ollamaCanonicalName(body.name) : body.name;
    const request = JSON.stringify([body.provider, name, body.runtime ?? null, body.revision ?? null, body.files ?? null, body.quantization ?? null]);
    const pending = this.preparing.get(name);
    if (pending?.request === request) return pending.operation;
    if (pending) throw new AppError('conflict', `${name} is already being prepared for installation with other options. Wait for it or cancel it.`);
    const open = this.deps.operations.activeFor(name);
    if (open?.operation_type === 'install' && sameInstall(open.params, request)) return this.deps.operations.get(open.id);
    const operation = this.startInstall(body);
    this.preparing.set(name, { request, operation });
    try {
      return await operation;
    } finally {
      this.preparing.delete(name);
    }
  }

  private async startInstall(body: InstallBody): Promise<Operation> {
    const runtime: ModelRuntime = body.runtime ?? (body.provider === 'ollama' ? 'ollama' : 'vllm');
    if ((body.provider === 'ollama') !== (runtime === 'ollama')) {
      throw new AppError('bad_request', `${body.provider} models run on ${body.provider === 'ollama' ? 'ollama' : 'vllm'}, not ${runtime}.`);
    }
    if (body.provider === 'ollama') {
      const name = ollamaCanonicalName(body.name);
      this.checkNotBusy(name);
      this.checkOllamaReachable();
      return this.deps.operations.start(
        { model_name: name, operation_type: 'install', provider: 'ollama', runtime, params: { request: { ...body, name } } satisfies InstallParams, message: `Model installation started: ${name}`, queue: ollamaQueue },
        (ctx) => this.runOllamaInstall(ctx, name),
      );
    }
    const { hfPlan } = await this.resolveHf(body);
    this.checkNotBusy(hfPlan.repo);
    const existing = this.deps.models.get(hfPlan.repo);
    if (existing?.status === 'installed' && existing.commit_sha === hfPlan.commit && this.missingFiles(hfPlan).length === 0) {
      throw new AppError('conflict', `${hfPlan.repo} is already installed at ${hfPlan.commit.slice(0, 8)}.`);
    }
    const replaces: ReplacedSnapshot | null =
      existing?.provider === 'huggingface' && existing.commit_sha && existing.commit_sha !== hfPlan.commit
        ? { commit: existing.commit_sha, blobs: this.deps.models.artifacts(hfPlan.repo).flatMap((a) => (a.blob_id ? [a.blob_id] : [])) }
        : null;
    const needed = await this.bytesToFetch(hfPlan);
    const settings = this.deps.settings.get().downloads;
    const refusal = quotaRefusal({ disk: await diskInfo(this.deps.hfHubCache()), needed, used: this.managedBytes(), minFreePercent: settings.minFreePercent, maxStorageBytes: settings.maxStorageBytes });
    if (refusal) throw refusal;
    return this.deps.operations.start(
      { model_name: hfPlan.repo, operation_type: 'install', provider: 'huggingface', runtime, params: { request: body, plan: hfPlan, replaces } satisfies InstallParams, message: `Model installation started: ${hfPlan.repo}`, queue: hfQueue },
      (ctx) => this.runHfInstall(ctx, hfPlan, replaces),
    );
  }

  /** Starts a new install with the parameters of a finished one (the Operations screen's Retry). */
  async retry(operationId: string): Promise<Operation> {
    const row = this.deps.operations.row(operationId);
    if (!row) throw new AppError('operation_not_found', `No operation ${operationId}.`);
    if (row.status === 'pending' || row.status === 'in_progress') throw new AppError('conflict', `Operation ${operationId} is still ${row.status}.`);
    if (row.operation_type !== 'install') throw new AppError('bad_request', 'Only installs can be retried; remove the model again instead.');
    const params = JSON.parse(row.params) as InstallParams;
    return this.install(params.request);
  }

  // ---- remove ----------------------------------------------------------------------------------

  /** Removes an installed model (refused while it is the active runtime's model). Resolves when done. */
  async remove(nameInput: string): Promise<Operation> {
    const model = this.deps.models.find(nameInput);
    if (!model) {
      validateModelName(nameInput, nameInput.includes(':') || !nameInput.includes('/') ? 'ollama' : 'huggingface');
      throw new AppError('model_not_found', `No installed model "${nameInput}". See GET /api/v1/models/registry.`);
    }
    const name = model.name;
    if (this.isActive(model)) {
      throw new AppError('lifecycle_violation', `${name} is the active model of ${model.runtime}. Deactivate it first (switch or stop the runtime in Runtimes), then remove it.`);
    }
    this.checkNotBusy(name);
    if (model.provider === 'ollama') {
      const o = this.deps.runtimes.info('ollama');
      if (o.state !== 'ready' && o.state !== 'external') {
        throw new AppError('runtime_not_ready', `Ollama is not running, so ${name} cannot be removed through it. Start Ollama from Runtimes, then remove the model again.`);
      }
    }
    const op = this.deps.operations.start(
      { model_name: name, operation_type: 'remove', provider: model.provider, runtime: model.runtime, params: {}, message: `Removing ${name}`, queue: null },
      (ctx) => (model.provider === 'ollama' ? this.runOllamaRemove(ctx, model) : this.runHfRemove(ctx, model)),
    );
    return this.deps.operations.wait(op.operation_id);
  }

  // ---- runners ---------------------------------------------------------------------------------

  private async runHfInstall(ctx: OperationContext, plan: HfPlan, replaces: ReplacedSnapshot | null = null): Promise<string> {
    const cache = this.deps.hfHubCache();
    const settings = this.deps.settings.get().downloads;
    const total = plan.files.reduce((a, f) => a + f.size, 0);
    const prior = this.deps.models.get(plan.repo);
    const keepInstalled = prior?.status === 'installed';
    if (!keepInstalled) {
      this.deps.models.save(
        {
          name: plan.repo,
          provider: 'huggingface',
          runtime: 'vllm',
          display_name: plan.repo,
          size_bytes: total,
          status: 'downloading',
          revision: plan.revision,
          commit_sha: plan.commit,
          local_path: snapshotDir(cache, plan.repo, plan.commit),
          source: 'installed',
          capabilities: null,
          installed_at: null,
        },
        plan.files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256, blob_id: blobIdOf(f), local_path: null, status: 'pending' as const })),
      );
      this.changed();
    }
    let done = 0;
    let verified = 0;
    ctx.report({ message: `Downloading ${plan.files.length} files…`, bytesDone: 0, bytesTotal: total });
    try {
      await downloadSnapshot({
        cacheDir: cache,
        repo: plan.repo,
        ref: /^[0-9a-f]{40}$/.test(plan.revision) ? null : plan.revision,
        commit: plan.commit,
        files: plan.files,
        fileUrl: (path) => this.deps.hub.fileUrl(plan.repo, plan.commit, path),
        headers: this.deps.hub.authHeaders(),
        get: this.deps.hub.get,
        parallel: { parts: settings.parallelParts, thresholdBytes: settings.parallelThresholdBytes },
        concurrency: settings.concurrency,
        maxRetries: settings.maxRetries,
        retryBaseMs: this.retryBaseMs,
        signal: ctx.signal,
        onBytes: (delta) => {
          done += delta;
          ctx.report({ bytesDone: done });
        },
        onFileVerified: (file, localPath) => {
          verified += 1;
          if (!keepInstalled) this.deps.models.setArtifactStatus(plan.repo, file.path, 'verified', localPath);
          ctx.report({ message: `${verified} of ${plan.files.length} files downloaded and verified (last: ${file.path})` });
        },
        onRetry: (file, attempt, error, delay) => ctx.report({ message: `Retrying ${file.path} in ${Math.round(delay / 100) / 10}s (attempt ${attempt}): ${errorMessage(error)}` }),
      });
    } catch (error) {
      const reason = cancelReasonOf(ctx.signal);
      if (reason?.kind === 'shutdown') throw error;
      if (reason?.cleanup) await this.deletePartials(cache, plan, prior);
      if (!keepInstalled) {
        if (reason?.cleanup) this.deps.models.delete(plan.repo);
        else this.deps.models.setStatus(plan.repo, 'failed');
        this.changed();
      }
      throw error;
    }
    const snapshot = snapshotDir(cache, plan.repo, plan.commit);
    const caps = capabilitiesFromHf(readJson(join(snapshot, 'config.json')), readJson(join(snapshot, 'tokenizer_config.json')), plan.quantization);
    this.deps.models.save(
      {
        name: plan.repo,
        provider: 'huggingface',
        runtime: 'vllm',
        display_name: plan.repo,
        size_bytes: total,
        status: 'installed',
        revision: plan.revision,
        commit_sha: plan.commit,
        local_path: snapshot,
        source: 'installed',
        capabilities: caps,
        installed_at: new Date().toISOString(),
      },
      plan.files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256, blob_id: blobIdOf(f), local_path: join(snapshot, f.path), status: 'verified' as const })),
    );
    this.deps.models.addValidation(plan.repo, 'files', true, { commit: plan.commit, files: plan.files.length, bytes: total, verified: 'sha256 (LFS) / git sha1 while streaming' });
    this.changed();
    const pruned = replaces ? ` ${await this.pruneReplaced(cache, plan, replaces)}` : '';
    return `Installed ${plan.repo} (${plan.files.length} files, ${formatBytes(total)}).${pruned}`;
  }

  private async runOllamaInstall(ctx: OperationContext, name: string): Promise<string> {
    const baseUrl = await this.ensureOllama(ctx.signal);
    ctx.report({ message: 'pulling manifest' });
    await this.deps.ollama.pull(baseUrl, name, ctx.signal, (p) => ctx.report({ message: p.status, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal }));
    await this.importOllamaModel(baseUrl, name, 'installed');
    return `Installed ${name}.`;
  }

  private async runOllamaRemove(ctx: OperationContext, model: ModelRecord): Promise<string> {
    const info = this.deps.runtimes.info('ollama');
    if (info.state !== 'ready' && info.state !== 'external') {
      throw new AppError('runtime_not_ready', `Ollama is not running, so ${model.name} cannot be removed. Start Ollama from Runtimes, then remove it again.`);
    }
    ctx.report({ message: `Deleting ${model.name} from Ollama…`, progress: 10 });
    const result = await this.deps.ollama.remove(info.base_url, model.name);
    this.deps.models.delete(model.name);
    this.changed();
    return result === 'absent' ? `${model.name} was already gone from Ollama; removed from the manifest.` : `Removed ${model.name}.`;
  }

  private async runHfRemove(ctx: OperationContext, model: ModelRecord): Promise<string> {
    const cache = this.deps.hfHubCache();
    ctx.report({ message: `Removing ${model.name} from the Hugging Face cache…`, progress: 10 });
    const commits = await snapshotCommits(cache, model.name);
    const target = model.commit_sha && commits.includes(model.commit_sha) ? model.commit_sha : null;
    // Blobs still used by another snapshot of the same repo stay, and so do those snapshots.
    const freed = target ? await deleteSnapshot(cache, model.name, target) : 0;
    if (commits.every((c) => c === target)) await rm(repoDir(cache, model.name), { recursive: true, force: true });
    this.deps.models.delete(model.name);
    this.changed();
    return `Removed ${model.name} (${formatBytes(freed)} freed).`;
  }

  /**
   * After an update: the snapshot it replaced goes, with the blobs no other snapshot links to —
   * unless a ref other than ours still points at it, or a runtime is serving the model (it may be
   * reading those files). Returns a sentence for the operation's message.
   */
  private async pruneReplaced(cache: string, plan: HfPlan, replaced: ReplacedSnapshot): Promise<string> {
    const short = replaced.commit.slice(0, 8);
    const model = this.deps.models.get(plan.repo);
    if (model && this.isActive(model)) return `The previous snapshot ${short} was kept: ${plan.repo} is being served from it. Remove it from the HF cache once the runtime has switched.`;
    const refs = await refsTo(cache, plan.repo, replaced.commit);
    if (refs.length > 0) return `The previous snapshot ${short} was kept: ${refs.map((r) => `refs/${r}`).join(', ')} still points at it.`;
    try {
      const freed = await deleteSnapshot(cache, plan.repo, replaced.commit, replaced.blobs);
      return `The previous snapshot ${short} was removed (${formatBytes(freed)} freed).`;
    } catch (error) {
      this.deps.logger.warn({ error, repo: plan.repo, commit: replaced.commit }, 'could not remove the replaced snapshot');
      return `The previous snapshot ${short} could not be removed: ${errorMessage(error)}.`;
    }
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
        return model.provider === 'ollama' ? this.runOllamaRemove(ctx, model) : this.runHfRemove(ctx, model);
      });
      return;
    }
    if (row.provider === 'ollama') {
      this.deps.operations.resume(row, ollamaQueue, (ctx) => this.runOllamaInstall(ctx, row.model_name));
      return;
    }
    const plan = params.plan;
    this.deps.operations.resume(row, hfQueue, async (ctx) => {
      const p = plan ?? (await this.resolveHf(params.request, ctx.signal)).hfPlan;
      if (!plan) ctx.saveParams({ ...params, plan: p });
      return this.runHfInstall(ctx, p, params.replaces ?? null);
    });
  }

  private async resolveHf(request: { name: string; revision?: string; quantization?: string; files?: string[] }, signal?: AbortSignal): Promise<{ hfPlan: HfPlan; gated: boolean; quantizations: string[] }> {
    const revision = request.revision ?? 'main';
    const resolved = await this.deps.hub.resolve(request.name, revision, signal);
    if (resolved.gated) {
      const probe = resolved.files.find((f) => f.path === 'config.json') ?? resolved.files[0];
      if (probe) await this.deps.hub.checkAccess(resolved.repo, resolved.commit, probe.path, signal);
    }
    // vLLM loads only the shards the index names: read it (a few KiB) so a duplicate beside them is skipped
    const index = !request.files?.length && resolved.files.some((f) => f.path === 'model.safetensors.index.json')
      ? indexedShards(await this.deps.hub.readJson(resolved.repo, resolved.commit, 'model.safetensors.index.json', signal))
      : null;
    let selection;
    try {
      selection = selectFiles(resolved.files, { files: request.files, quantization: request.quantization, indexedShards: index });
    } catch (error) {
      if (error instanceof SelectionError) throw new AppError('bad_request', `${request.name}: ${error.message}`);
      throw error;
    }
    if (selection.files.length === 0) throw new AppError('bad_request', `${request.name} has no weights vLLM can load (no safetensors, GGUF or .bin files).`);
    if (index) {
      const listed = new Set(resolved.files.map((f) => f.path));
      const missing = [...index].filter((p) => !listed.has(p));
      if (missing.length) throw new AppError('unsupported_model', `${request.name}'s safetensors index names shards the repo does not hold (${missing.slice(0, 3).join(', ')}); vLLM could not load it. Pick another revision or repo.`);
    }
    return { hfPlan: { repo: resolved.repo, revision, commit: resolved.commit, files: selection.files, quantization: selection.quantization }, gated: resolved.gated, quantizations: selection.quantizations };
  }

  /** Bytes still to fetch: files not in `blobs/`, minus what unfinished downloads of them already hold. */
  private async bytesToFetch(plan: HfPlan): Promise<number> {
    const cache = this.deps.hfHubCache();
    let needed = 0;
    for (const f of plan.files) {
      const blob = blobPath(cache, plan.repo, blobIdOf(f));
      if (existsSync(blob)) continue;
      const partial = await bytesAlreadyFetched(blob);
      needed += Math.max(0, f.size - Math.min(partial, f.size));
    }
    return needed;
  }

  private missingFiles(plan: HfPlan): SnapshotFile[] {
    const snapshot = snapshotDir(this.deps.hfHubCache(), plan.repo, plan.commit);
    return plan.files.filter((f) => !existsSync(join(snapshot, f.path)));
  }

  /**
   * Cancel with cleanup: the partial files go, and so does the new snapshot with the blobs only it
   * links to (files already verified) — unless it is the installed one or a ref points at it.
   */
  private async deletePartials(cache: string, plan: HfPlan, prior: ModelRecord | null): Promise<void> {
    for (const f of plan.files) if (isBlobId(blobIdOf(f))) for (const file of partialFilesOf(blobPath(cache, plan.repo, blobIdOf(f)))) await unlink(file).catch(() => {});
    if (prior?.status === 'installed' && prior.commit_sha === plan.commit) return;
    if ((await refsTo(cache, plan.repo, plan.commit)).length > 0) return;
    await deleteSnapshot(cache, plan.repo, plan.commit);
    await removeRepoIfEmpty(cache, plan.repo);
  }

  private managedBytes(): number {
    return this.deps.models.list().reduce((a, m) => a + (m.status === 'installed' || m.status === 'downloading' ? m.size_bytes : 0), 0);
  }

  private checkNotBusy(name: string): void {
    const open = this.deps.operations.activeFor(name);
    if (open) throw new AppError('conflict', `${name} already has a ${open.operation_type} operation ${open.status} (${open.id}). Wait for it or cancel it.`);
  }

  /** Ollama installs need Ollama up; if it is down we start it, unless vLLM is serving (that would stop it). */
  private checkOllamaReachable(): void {
    const o = this.deps.runtimes.info('ollama');
    if (o.state === 'ready' || o.state === 'external' || o.state === 'starting') return;
    if (o.state === 'not_installed') throw new AppError('runtime_not_installed', 'Ollama is not installed, so Ollama models cannot be pulled. Install Ollama (https://ollama.com/download) or set its binary in Settings.');
    const v = this.deps.runtimes.info('vllm');
    if (v.active && (v.state === 'ready' || v.state === 'starting')) {
      throw new AppError('runtime_busy', `Ollama is not running and vLLM is the active runtime (serving ${v.model ?? 'a model'}). Switch to Ollama in Runtimes, then install — starting Ollama here would stop vLLM.`);
    }
  }

  private refusalOf(...checks: (() => void)[]): InstallPlan['refusal'] {
    for (const check of checks) {
      try {
        check();
      } catch (error) {
        if (error instanceof AppError) return { code: error.code, message: error.message };
        throw error;
      }
    }
    return null;
  }

  private async ensureOllama(signal: AbortSignal): Promise<string> {
    const o = this.deps.runtimes.info('ollama');
    if (o.state === 'ready' || o.state === 'external') return o.base_url;
    this.checkOllamaReachable();
    const info = await this.deps.runtimes.activate('ollama', { signal });
    return info.base_url;
  }

  private isActive(model: ModelRecord): boolean {
    return servingState(model, this.deps.runtimes.info(model.runtime)).active;
  }

  private require(name: string): ModelRecord {
    const m = this.deps.models.find(name);
    if (!m) throw new AppError('model_not_found', `No installed model "${name}". See GET /api/v1/models/registry.`);
    return m;
  }

  /** Ollama's cloud models as its /api/tags last listed them (shown as cloud, never as installed files). */
  cloudModels(): { name: string; remote_model: string; remote_host: string }[] {
    return this.cloud;
  }

  private ollamaModelsDir(): string {
    const o = this.deps.runtimes.info('ollama');
    return ollamaModelsDir({ configured: this.deps.settings.get().ollama.modelsDir, env: process.env, external: o.state === 'external' });
  }

  private toInstalled(m: ModelRecord): InstalledModel {
    const { capabilities_override, ...rest } = m;
    const { lifecycle } = this.deps;
    return {
      ...rest,
      capabilities: m.capabilities || capabilities_override ? effectiveCapabilities(m.capabilities, capabilities_override) : null,
      active: this.isActive(m),
      validated: lifecycle.validated(m),
      serving: lifecycle.serving(m),
      last_test: lifecycle.lastTest(m.name),
      remote_code: m.runtime === 'vllm' && m.local_path ? needsRemoteCode(readConfigJson(m.local_path)) : false,
    };
  }

  private changed(): void {
    this.deps.events.emit({ type: 'models.changed' });
  }

  /** Models already in the HF cache at refs/main become installed, not downloaded again. */
  private discoverHf(): void {
    const cache = this.deps.hfHubCache();
    let changed = false;
    const found = new Set<string>();
    for (const repo of scanCachedModels(cache)) {
      found.add(repo.repo);
      const existing = this.deps.models.get(repo.repo);
      if (existing && existing.status !== 'removed' && existing.status !== 'missing') continue;
      if (this.deps.operations.activeFor(repo.repo)) continue;
      const caps = capabilitiesFromHf(readJson(join(repo.snapshot, 'config.json')), readJson(join(repo.snapshot, 'tokenizer_config.json')));
      this.deps.models.save(
        {
          name: repo.repo,
          provider: 'huggingface',
          runtime: 'vllm',
          display_name: repo.repo,
          size_bytes: repo.sizeBytes,
          status: 'installed',
          revision: 'main',
          commit_sha: repo.commit,
          local_path: repo.snapshot,
          source: existing?.source ?? 'discovered',
          capabilities: caps,
          installed_at: existing?.installed_at ?? new Date().toISOString(),
        },
        repo.files.map((f) => ({ path: f.path, size: f.size, sha256: null, blob_id: f.blobId, local_path: f.localPath, status: 'verified' as const })),
      );
      this.deps.models.addValidation(repo.repo, 'files', true, { discovered: true, files: repo.files.length, bytes: repo.sizeBytes });
      changed = true;
    }
    // Installed HF models whose snapshot vanished (deleted by hand, or with the HF CLI).
    for (const m of this.deps.models.list()) {
      if (m.provider !== 'huggingface' || m.status !== 'installed' || found.has(m.name)) continue;
      if (m.local_path && existsSync(m.local_path)) continue;
      this.deps.models.setStatus(m.name, 'missing');
      this.deps.models.addValidation(m.name, 'files', false, { reason: 'snapshot directory is gone', path: m.local_path });
      changed = true;
    }
    if (changed) this.changed();
  }

  private async discoverOllama(): Promise<void> {
    const o = this.deps.runtimes.info('ollama');
    const tags = await this.deps.ollama.list(o.base_url);
    this.cloud = tags.filter((t) => t.remote).map((t) => ({ name: t.name, remote_model: t.remote!.model, remote_host: t.remote!.host }));
    for (const tag of tags) {
      // cloud models run on ollama.com: nothing on this machine to manage, verify or count
      if (tag.remote) continue;
      const existing = this.deps.models.get(tag.name);
      if (existing?.status === 'installed' || this.deps.operations.activeFor(tag.name)) continue;
      await this.importOllamaModel(o.base_url, tag.name, 'discovered', tags);
    }
  }

  private async importOllamaModel(baseUrl: string, name: string, source: 'installed' | 'discovered', known?: Awaited<ReturnType<OllamaModels['list']>>): Promise<void> {
    const tags = known ?? (await this.deps.ollama.list(baseUrl));
    const tag = tags.find((t) => t.name === name);
    const caps = await this.deps.ollama.capabilities(baseUrl, name).catch(() => null);
    this.deps.models.save(
      {
        name,
        provider: 'ollama',
        runtime: 'ollama',
        display_name: name,
        size_bytes: tag?.size ?? 0,
        status: 'installed',
        revision: name.split(':').pop() ?? 'latest',
        commit_sha: tag?.digest ?? null,
        local_path: null,
        source,
        capabilities: caps,
        installed_at: new Date().toISOString(),
      },
      tag ? [{ path: name, size: tag.size, sha256: tag.digest, blob_id: tag.digest, local_path: null, status: 'verified' }] : [],
    );
    this.deps.models.addValidation(name, 'files', Boolean(tag), { source: 'ollama /api/tags', digest: tag?.digest ?? null });
    this.changed();
  }
}

function readJson(file: string): Record<string, unknown> | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** Whether a running install operation was started by the same request (its stored params). */
function sameInstall(params: string, request: string): boolean {
  try {
    const r = (JSON.parse(params) as InstallParams).request;
    const name = r.provider === 'ollama' ? ollamaCanonicalName(r.name) : r.name;
    return JSON.stringify([r.provider, name, r.runtime ?? null, r.revision ?? null, r.files ?? null, r.quantization ?? null]) === request;
  } catch {
    return false;
  }
}

/** A snapshot's config.json, or null when it has none or it is unreadable. */
function readConfigJson(snapshot: string): Record<string, unknown> | null {
  try {
    return JSON.parse(readFileSync(join(snapshot, 'config.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}
