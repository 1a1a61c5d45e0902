import { Ollama } from 'ollama';
import type { InstallBody, InstallPlan, ModelTestResult, RuntimeFlags } from '../../../shared/api/models';
import { AppError, errorMessage } from '../../../shared/errors';
import { ollamaCanonicalName, sameModelName } from '../../../shared/model-names';
import type { SettingsService } from '../../config';
import type { Logger } from '../../logger';
import { diskInfo, refusalOf } from '../../models/guards';
import type { ModelRecord } from '../../models/models-repo';
import type { OllamaModels, OllamaTag } from './ollama-models';
import type { OperationContext } from '../../operations/operation-service';
import type { RuntimeManager } from '../../runtimes/manager';
import type { ActivateContext, CloudModel, InstallParams, InstallRequest, ManifestHost, ModelDriver, PreparedInstall, TestRequest, VerifyResult } from '../model-driver';
import { chatTest, embeddingTest } from '../openai-test';
import { localEndpoint } from '../local-endpoint';
import type { ServingEndpoint } from '../../serving/endpoint';
import type { EndpointState } from '../serving-driver';
import type { Slot } from '../../../shared/api/router';
import { ollamaModelsDir } from './models-dir';
import { isUp, runtimeLabel } from '../../../shared/runtimes';
import { basename } from 'node:path';
import { formatBytes } from '../../../shared/format';
import type { LocalSource } from '../model-driver';
import { inspectGguf } from './gguf-file';
import { createFromBlob, pushBlob, sha256File } from './ollama-blobs';
import type { Settings } from '../../../shared/settings';
import { binarySetting, ollamaAdapter } from '../../runtimes/adapters';
import { commandLines } from '../command-lines';
import type { SettingsText } from '../settings-group';
import { librarySize, manifestSize, manifestUrl, type PullEstimate } from './pull-size';

const CALL_TIMEOUT_MS = 10_000;

export interface OllamaDriverDeps {
  runtimes: Pick<RuntimeManager, 'activate' | 'activeInfo' | 'bringUp' | 'info' | 'setModel' | 'serving'>;
  /** pull, delete, list and show through the official client */
  store: OllamaModels;
  settings: Pick<SettingsService, 'get'>;
  /** how long a load may take (Settings › Runtime › start timeout) */
  loadTimeoutMs: () => number;
  logger: Logger;
  fetch?: typeof fetch;
  /** the registry's manifests for a pull's size (through `net/`: offline mode refuses it); absent: the library list's sizes only */
  registryFetch?: typeof fetch;
}

/**
 * Models in Ollama's store, loaded and pinned with keep_alive -1 and unloaded with keep_alive 0, over
 * the official `ollama` client. Embedding models refuse /api/generate ("does not support generate"):
 * they load through /api/embed and their test is an embedding. Installing is a pull, removing a delete,
 * discovery is `/api/tags` (cloud models listed apart, never imported as local files).
 */
/** Ollama names: `model[:tag]`, `namespace/model[:tag]` (a registry host in front at most). */
export const OLLAMA_NAME_RULE = { pattern: /^[^/]+(?:\/[^/]+){0,2}$/, hint: 'Ollama models are named "model[:tag]" or "namespace/model[:tag]"' };

/** Settings › Ollama: what it is for, and its fields' texts. */
export const OLLAMA_SETTINGS_TEXT: SettingsText = {
  about: 'Runs GGUF models from the Ollama library, on the GPU or the CPU.',
  fields: {
    port: { label: 'Port', env: 'SWITCHYARD_OLLAMA_PORT' },
    modelsDir: { label: 'Models folder (OLLAMA_MODELS)', hint: 'empty: Ollama’s default', env: 'OLLAMA_MODELS' },
    keepAlive: { label: 'Keep a model loaded for', hint: 'e.g. 5m, 1h; -1 keeps it loaded' },
    env: { label: 'Extra environment', hint: 'KEY=value, one per line' },
  },
};

export class OllamaDriver implements ModelDriver {
  readonly runtime = 'ollama' as const;
  readonly provider = 'ollama' as const;
  readonly label = runtimeLabel('ollama');
  readonly kind = 'local' as const;
  readonly models = 'manifest' as const;
  readonly localRuntime = 'ollama';
  readonly requiresNetwork = false;
  readonly installQueue = 'ollama';
  readonly discovery = 'runtime' as const;
  readonly imports = 'gguf' as const;
  /** Ollama keeps several models loaded: an embedding model answers beside its own chat model or vLLM's */
  readonly slots = ['chat', 'embeddings'] as const;
  readonly settingsText = OLLAMA_SETTINGS_TEXT;
  readonly requiresModel = false;
  readonly nameRule = OLLAMA_NAME_RULE;
  private readonly fetchImpl: typeof fetch;
  private cloud: CloudModel[] = [];
  /** the model loaded for the embeddings slot (the chat slot's is the runtime's model) */
  private embeddingsModel: string | null = null;

  constructor(private readonly deps: OllamaDriverDeps) {
    this.fetchImpl = deps.fetch ?? fetch;
  }

  canonicalName(name: string): string {
    return ollamaCanonicalName(name);
  }

  /** `ollama serve` as the supervisor starts it (its address from the adapter's launch), then the model loaded by name */
  launchPreview(model: string, _flags: RuntimeFlags | null, settings: Settings): string[][] {
    const { args, env } = ollamaAdapter.launch({ settings, model: null, env: {}, hfHubCache: '' });
    const program = [`OLLAMA_HOST=${env.OLLAMA_HOST}`, binarySetting(ollamaAdapter, settings) ?? ollamaAdapter.defaultBinary];
    return [commandLines([...program, ...args]), commandLines([...program, 'run', this.canonicalName(model)])];
  }

  /**
   * A pull's size before any byte is pulled: the registry manifest's layers when online, else the
   * library list's size of that tag; unknown (null) for what neither lists. An update of a model
   * already here pulls only changed layers: not estimated.
   */
  async plan(request: InstallRequest, host: ManifestHost, signal?: AbortSignal): Promise<InstallPlan> {
    const name = ollamaCanonicalName(request.name);
    const dir = this.modelsDir();
    const disk = await diskInfo(dir);
    const estimate = await this.estimate(name, host, signal);
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
      total_bytes: estimate?.bytes ?? null,
      download_bytes: estimate?.bytes ?? null,
      disk: { ...disk, free_after_bytes: estimate ? disk.free_bytes - estimate.bytes : null },
      refusal: refusalOf(() => this.checkReachable()),
    };
  }

  async prepareInstall(body: InstallBody, host: ManifestHost): Promise<PreparedInstall> {
    const name = ollamaCanonicalName(body.name);
    host.checkNotBusy(name);
    this.checkReachable();
    const estimate = await this.estimate(name, host);
    // held to the quota and free-space rules by the coordinator before the pull request is sent
    return { name, params: { request: { ...body, name } }, download: estimate ? { bytes: estimate.bytes, dir: this.modelsDir() } : null };
  }

  private async estimate(name: string, host: ManifestHost, signal?: AbortSignal): Promise<PullEstimate | null> {
    if (host.models.get(name)?.status === 'installed') return null;
    const url = this.deps.registryFetch ? manifestUrl(name) : null;
    if (url) {
      try {
        const res = await this.deps.registryFetch!(url, {
          headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' },
          signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(5_000)]) : AbortSignal.timeout(5_000),
        });
        const bytes = res.ok ? manifestSize(await res.json()) : (await res.arrayBuffer(), null);
        if (bytes) return { bytes, source: 'registry' };
      } catch {
        // offline, or the registry did not answer: the library's sizes
      }
    }
    const bytes = librarySize(name);
    return bytes ? { bytes, source: 'library' } : null;
  }

  async install(name: string, _params: InstallParams, ctx: OperationContext, host: ManifestHost): Promise<string> {
    const baseUrl = await this.ensureRunning(ctx);
    ctx.report({ message: 'pulling manifest' });
    await this.deps.store.pull(baseUrl, name, ctx.signal, (p) => ctx.report({ message: p.status, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal }));
    await this.importModel(host, baseUrl, name, 'installed');
    return `Installed ${name}.`;
  }

  /**
   * A GGUF file becomes an Ollama model the way `ollama create` makes one: hashed, put into Ollama's
   * blob store (`HEAD`/`POST /api/blobs/<digest>`, streamed), then `POST /api/create {model, files}`.
   * Progress counts the hashing pass and the upload. Ollama keeps its own copy: the file stays the user's.
   */
  async importLocal(name: string, source: LocalSource, ctx: OperationContext, host: ManifestHost): Promise<string> {
    const file = await inspectGguf(source.path); // again: the file may have changed since the request was checked
    const baseUrl = await this.ensureRunning(ctx);
    const total = file.size * 2;
    let done = 0;
    const onBytes = (n: number) => {
      done += n;
      ctx.report({ bytesDone: done });
    };
    ctx.report({ message: `Hashing ${basename(file.path)} (${formatBytes(file.size)})…`, bytesDone: 0, bytesTotal: total });
    const digest = await sha256File(file.path, ctx.signal, onBytes);
    ctx.report({ message: `Copying ${basename(file.path)} into Ollama's store…` });
    const sent = await pushBlob(baseUrl, file.path, digest, this.fetchImpl, ctx.signal, onBytes);
    ctx.report({ message: sent ? 'creating the model' : 'Ollama already holds this file; creating the model', bytesDone: total });
    await createFromBlob(baseUrl, name, file.path, digest, this.fetchImpl, ctx.signal, (status) => ctx.report({ message: status }));
    await this.importModel(host, baseUrl, name, 'local', undefined, file.path);
    return `Imported ${file.path} as ${name} (${formatBytes(file.size)}${file.architecture ? `, ${file.architecture}` : ''}).`;
  }

  /** Ollama's own list, when it is up (a model created there by hand is not in the manifest yet). */
  async nameTaken(name: string): Promise<boolean> {
    const o = this.deps.runtimes.info('ollama');
    if (!isUp(o.state)) return false;
    const tags = await this.deps.store.list(o.base_url);
    return tags.some((t) => sameModelName(t.name, name));
  }

  checkRemove(model: ModelRecord): void {
    const o = this.deps.runtimes.info('ollama');
    if (!isUp(o.state)) {
      throw new AppError('runtime_not_ready', `Ollama is not running, so ${model.name} cannot be removed through it. Start Ollama from Runtimes, then remove the model again.`);
    }
  }

  async remove(model: ModelRecord, ctx: OperationContext): Promise<string> {
    const info = this.deps.runtimes.info('ollama');
    if (!isUp(info.state)) {
      throw new AppError('runtime_not_ready', `Ollama is not running, so ${model.name} cannot be removed. Start Ollama from Runtimes, then remove it again.`);
    }
    ctx.report({ message: `Deleting ${model.name} from Ollama…`, progress: 10 });
    const result = await this.deps.store.remove(info.base_url, model.name);
    return result === 'absent' ? `${model.name} was already gone from Ollama; removed from the manifest.` : `Removed ${model.name}.`;
  }

  /** `/api/tags` of the running Ollama: its local models become installed; cloud models are kept apart. */
  async discover(host: ManifestHost): Promise<void> {
    const o = this.deps.runtimes.info('ollama');
    const tags = await this.deps.store.list(o.base_url);
    this.cloud = tags.filter((t) => t.remote).map((t) => ({ name: t.name, remote_model: t.remote!.model, remote_host: t.remote!.host }));
    for (const tag of tags) {
      // cloud models run on ollama.com: nothing on this machine to manage, verify or count
      if (tag.remote) continue;
      const existing = host.models.get(tag.name);
      if (existing?.status === 'installed' || host.busy(tag.name)) continue;
      await this.importModel(host, o.base_url, tag.name, 'discovered', tags);
    }
  }

  /** Ollama's cloud models as its /api/tags last listed them. */
  cloudModels(): CloudModel[] {
    return this.cloud;
  }

  /** An embedding-only model (`/api/show` capabilities) goes in the embeddings slot; Ollama is brought up beside to ask. */
  async slotOf(m: ModelRecord): Promise<Slot> {
    const info = await this.deps.runtimes.bringUp('ollama');
    return (await this.modelKind(info.base_url, m.name).catch(() => 'chat' as const)) === 'embedding' ? 'embeddings' : 'chat';
  }

  async activate(m: ModelRecord, _flags: RuntimeFlags, ctx: ActivateContext): Promise<ServingEndpoint> {
    if (ctx.slot === 'embeddings') return this.activateEmbeddings(m, ctx);
    const info = await this.deps.runtimes.activate('ollama');
    this.checkCurrent(ctx, m);
    const previous = info.model;
    if (previous && !sameModelName(previous, m.name)) {
      // one active model: free the previous one's VRAM before loading the next
      await this.keepAlive(info.base_url, previous, 0).catch((error) => this.deps.logger.warn({ model: previous, error: errorMessage(error) }, 'could not unload the previous Ollama model'));
    }
    ctx.onLoading(`Ollama is loading ${m.name}…`);
    await this.keepAlive(info.base_url, m.name, -1, this.deps.loadTimeoutMs());
    this.checkCurrent(ctx, m);
    const loaded = await this.ps(info.base_url);
    if (!loaded.some((n) => sameModelName(n, m.name))) {
      throw new AppError('runtime_failed', `Ollama accepted the load of ${m.name} but does not list it as loaded (/api/ps: ${loaded.join(', ') || 'nothing'}). Check the Ollama log.`);
    }
    const advertised = await this.advertised(info.base_url);
    if (!advertised.some((n) => sameModelName(n, m.name))) {
      throw new AppError('runtime_failed', `Ollama loaded ${m.name} but does not advertise it in /v1/models. Check the Ollama log.`);
    }
    this.deps.runtimes.setModel('ollama', m.name);
    const endpoint = this.endpoint();
    if (!endpoint) throw new AppError('runtime_failed', `Ollama loaded ${m.name} but stopped answering right away. Check its log (Runtimes › Ollama).`);
    return endpoint;
  }

  /**
   * The embeddings slot: Ollama up beside whatever serves chat (not made the active runtime, nothing
   * stopped), the previous embedding model unloaded, this one loaded and pinned.
   */
  private async activateEmbeddings(m: ModelRecord, ctx: ActivateContext): Promise<ServingEndpoint> {
    const info = await this.deps.runtimes.bringUp('ollama');
    this.checkCurrent(ctx, m);
    const previous = this.embeddingsModel;
    if (previous && !sameModelName(previous, m.name) && !(info.model && sameModelName(previous, info.model))) {
      await this.keepAlive(info.base_url, previous, 0).catch((error) => this.deps.logger.warn({ model: previous, error: errorMessage(error) }, 'could not unload the previous embedding model'));
    }
    ctx.onLoading(`Ollama is loading ${m.name} for embeddings…`);
    await this.keepAlive(info.base_url, m.name, -1, this.deps.loadTimeoutMs());
    this.checkCurrent(ctx, m);
    const loaded = await this.ps(info.base_url);
    if (!loaded.some((n) => sameModelName(n, m.name))) {
      throw new AppError('runtime_failed', `Ollama accepted the load of ${m.name} but does not list it as loaded (/api/ps: ${loaded.join(', ') || 'nothing'}). Check the Ollama log.`);
    }
    this.embeddingsModel = m.name;
    const endpoint = this.endpoint('embeddings');
    if (!endpoint) throw new AppError('runtime_failed', `Ollama loaded ${m.name} but stopped answering right away. Check its log (Runtimes › Ollama).`);
    return endpoint;
  }

  endpoint(slot: Slot = 'chat'): ServingEndpoint | null {
    const serving = this.deps.runtimes.serving('ollama');
    if (slot === 'chat') return localEndpoint(serving, this.provider, this.runtime);
    return this.embeddingsModel ? localEndpoint({ ...serving, model: this.embeddingsModel }, this.provider, this.runtime) : null;
  }

  state(slot: Slot = 'chat'): EndpointState {
    const { phase, model } = this.deps.runtimes.serving('ollama');
    if (slot === 'chat') return { phase, model };
    return { phase: this.embeddingsModel ? phase : 'down', model: this.embeddingsModel };
  }

  async deactivate(model: string | null, slot: Slot = 'chat'): Promise<void> {
    const info = this.deps.runtimes.info('ollama');
    if (slot === 'embeddings') {
      const target = model ?? this.embeddingsModel;
      this.embeddingsModel = null;
      // the chat slot may hold the same model: it stays loaded then
      if (target && isUp(info.state) && !(info.model && sameModelName(info.model, target))) await this.keepAlive(info.base_url, target, 0).catch(() => {});
      return;
    }
    const target = model ?? info.model;
    if (target && isUp(info.state)) {
      await this.keepAlive(info.base_url, target, 0).catch((error) => {
        throw new AppError('runtime_failed', `Ollama did not unload ${target}: ${errorMessage(error)}`);
      });
    }
    this.deps.runtimes.setModel('ollama', null);
  }

  loaded(): Promise<string[]> {
    return this.ps(this.deps.runtimes.info('ollama').base_url);
  }

  async test(m: ModelRecord, endpoint: ServingEndpoint, request: TestRequest): Promise<ModelTestResult> {
    const servedName = endpoint.model ?? m.name;
    const call = { fetch: this.fetchImpl, endpoint, runtime: 'ollama', label: this.label, model: m.name, servedName };
    const kind = await this.modelKind(this.deps.runtimes.info('ollama').base_url, servedName).catch(() => 'chat' as const);
    return kind === 'embedding' ? embeddingTest(call, request.prompt) : chatTest(call, request.prompt, request.maxTokens);
  }

  /** Ollama checks its own blobs; `show` failing means the manifest or a layer is gone. */
  async verify(m: ModelRecord): Promise<VerifyResult> {
    const info = this.deps.runtimes.info('ollama');
    if (!isUp(info.state)) throw new AppError('runtime_not_ready', 'Ollama checks its own blobs: start Ollama (Runtimes) to verify an Ollama model.');
    try {
      await this.client(info.base_url).show({ model: m.name });
      return { ok: true, details: { source: 'ollama /api/show', status: 200 } };
    } catch (error) {
      return { ok: false, details: { source: 'ollama /api/show', status: (error as { status_code?: number }).status_code ?? null, error: errorMessage(error) } };
    }
  }

  /** `/api/show` capabilities: an embedding model has `embedding` and no `completion`. */
  async modelKind(baseUrl: string, model: string): Promise<'embedding' | 'chat'> {
    const show = await this.client(baseUrl).show({ model });
    const caps = (show as { capabilities?: unknown }).capabilities;
    return Array.isArray(caps) && caps.includes('embedding') && !caps.includes('completion') ? 'embedding' : 'chat';
  }

  /**
   * keep_alive -1 loads and pins a model, 0 unloads it. Chat models: `/api/generate` without a prompt;
   * embedding models: `/api/embed` with a tiny input (generate refuses them). Unloading through generate
   * works for both: Ollama expires the runner before it checks capabilities.
   */
  private async keepAlive(baseUrl: string, model: string, keepAlive: number, timeoutMs = CALL_TIMEOUT_MS): Promise<void> {
    const client = this.client(baseUrl, timeoutMs);
    try {
      if (keepAlive !== 0 && (await this.modelKind(baseUrl, model)) === 'embedding') await client.embed({ model, input: 'load', keep_alive: keepAlive });
      else await client.generate({ model, prompt: '', keep_alive: keepAlive, stream: false });
    } catch (error) {
      const status = (error as { status_code?: number }).status_code;
      if (status === 404) throw new AppError('model_not_found', `Ollama does not have ${model} (${errorMessage(error)}). Install it again from the catalog.`);
      throw new AppError('runtime_failed', `Ollama could not ${keepAlive === 0 ? 'unload' : 'load'} ${model}: ${errorMessage(error)}`);
    }
  }

  private async ps(baseUrl: string): Promise<string[]> {
    const res = await this.client(baseUrl).ps();
    return (res.models ?? []).flatMap((x) => [x.name, x.model].filter((n): n is string => typeof n === 'string'));
  }

  /** `/v1/models`: what Ollama's OpenAI endpoint (the one Switchyard proxies to) answers for. */
  private async advertised(baseUrl: string): Promise<string[]> {
    const res = await this.fetchImpl(`${baseUrl}/v1/models`, { signal: AbortSignal.timeout(CALL_TIMEOUT_MS) });
    const body = (await res.json()) as { data?: { id?: unknown }[] | null };
    return (body.data ?? []).map((x) => x.id).filter((n): n is string => typeof n === 'string');
  }

  /** One client per call (the client's abort() aborts all its streams), with a deadline on every request. */
  private client(baseUrl: string, timeoutMs = CALL_TIMEOUT_MS): Ollama {
    const base = this.fetchImpl;
    const timed: typeof fetch = (input, init) => base(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs) });
    return new Ollama({ host: baseUrl, fetch: timed });
  }

  private async importModel(host: ManifestHost, baseUrl: string, name: string, source: 'installed' | 'discovered' | 'local', known?: OllamaTag[], importPath: string | null = null): Promise<void> {
    const tags = known ?? (await this.deps.store.list(baseUrl));
    const tag = tags.find((t) => t.name === name);
    const caps = await this.deps.store.capabilities(baseUrl, name).catch(() => null);
    host.models.save(
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
        import_path: importPath,
        capabilities: caps,
        installed_at: new Date().toISOString(),
      },
      tag ? [{ path: name, size: tag.size, sha256: tag.digest, blob_id: tag.digest, local_path: null, status: 'verified' }] : [],
    );
    host.models.addValidation(name, 'files', Boolean(tag), { source: 'ollama /api/tags', digest: tag?.digest ?? null });
    host.changed();
  }

  /** Pulls need Ollama up: refused only when it is not installed (it is started for the pull otherwise). */
  private checkReachable(): void {
    const o = this.deps.runtimes.info('ollama');
    if (o.state === 'not_installed') throw new AppError('runtime_not_installed', 'Ollama is not installed, so Ollama models cannot be pulled. Install Ollama (https://ollama.com/download) or set its binary in Settings.');
  }

  /**
   * Ollama up for a pull, without switching anything: it is started beside whatever serves (vLLM, a
   * remote endpoint) and does not become the active runtime. No model is loaded, so it takes no VRAM.
   */
  private async ensureRunning(ctx: OperationContext): Promise<string> {
    const o = this.deps.runtimes.info('ollama');
    if (isUp(o.state)) return o.base_url;
    this.checkReachable();
    const { active_server, active_model } = this.deps.runtimes.activeInfo();
    if (active_server && active_server !== 'ollama') {
      ctx.report({ message: `Starting Ollama for the pull only: ${runtimeLabel(active_server)} keeps serving ${active_model ?? 'its model'} (Ollama loads no model, so it takes no GPU memory).` });
    }
    return (await this.deps.runtimes.bringUp('ollama', { signal: ctx.signal })).base_url;
  }

  /** The models folder of the Ollama in use (the plan shows the disk it lands on). */
  private modelsDir(): string {
    const o = this.deps.runtimes.info('ollama');
    return ollamaModelsDir({ configured: this.deps.settings.get().ollama.modelsDir, env: process.env, external: o.state === 'external' });
  }

  private checkCurrent(ctx: ActivateContext, m: ModelRecord): void {
    if (!ctx.isCurrent()) throw new AppError('cancelled', `The activation of ${m.name} was superseded by a newer request.`);
  }
}
