import { Ollama } from 'ollama';
import type { ModelTestResult, RuntimeFlags } from '../../../shared/api/models';
import { AppError, errorMessage } from '../../../shared/errors';
import { sameModelName } from '../../../shared/model-names';
import type { Logger } from '../../logger';
import type { ModelRecord } from '../../models/models-repo';
import type { RuntimeManager } from '../../runtimes/manager';
import type { ActivateContext, ModelDriver, TestRequest, VerifyResult } from '../model-driver';
import { chatTest, embeddingTest } from '../openai-test';

const CALL_TIMEOUT_MS = 10_000;

export interface OllamaDriverDeps {
  runtimes: Pick<RuntimeManager, 'activate' | 'info' | 'setModel' | 'authHeaders'>;
  /** how long a load may take (Settings › Runtime › start timeout) */
  loadTimeoutMs: () => number;
  logger: Logger;
  fetch?: typeof fetch;
}

/**
 * Models in Ollama's store, loaded and pinned with keep_alive -1 and unloaded with keep_alive 0, over
 * the official `ollama` client. Embedding models refuse /api/generate ("does not support generate"):
 * they load through /api/embed and their test is an embedding.
 */
export class OllamaDriver implements ModelDriver {
  readonly runtime = 'ollama' as const;
  readonly requiresNetwork = false;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly deps: OllamaDriverDeps) {
    this.fetchImpl = deps.fetch ?? fetch;
  }

  check(): void {
    // Ollama refuses nothing it holds: a pulled model is a runnable one
  }

  async activate(m: ModelRecord, _flags: RuntimeFlags, ctx: ActivateContext): Promise<{ baseUrl: string }> {
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
    return { baseUrl: info.base_url };
  }

  async unload(model: string | null): Promise<void> {
    const info = this.deps.runtimes.info('ollama');
    const target = model ?? info.model;
    if (target && (info.state === 'ready' || info.state === 'external')) {
      await this.keepAlive(info.base_url, target, 0).catch((error) => {
        throw new AppError('runtime_failed', `Ollama did not unload ${target}: ${errorMessage(error)}`);
      });
    }
    this.deps.runtimes.setModel('ollama', null);
  }

  loaded(): Promise<string[]> {
    return this.ps(this.deps.runtimes.info('ollama').base_url);
  }

  async test(m: ModelRecord, servedName: string, request: TestRequest): Promise<ModelTestResult> {
    const info = this.deps.runtimes.info('ollama');
    const call = { fetch: this.fetchImpl, baseUrl: info.base_url, headers: {}, runtime: 'ollama' as const, model: m.name, servedName };
    const kind = await this.kind(info.base_url, servedName).catch(() => 'chat' as const);
    return kind === 'embedding' ? embeddingTest(call, request.prompt) : chatTest(call, request.prompt, request.maxTokens);
  }

  /** Ollama checks its own blobs; `show` failing means the manifest or a layer is gone. */
  async verify(m: ModelRecord): Promise<VerifyResult> {
    const info = this.deps.runtimes.info('ollama');
    if (info.state !== 'ready' && info.state !== 'external') throw new AppError('runtime_not_ready', 'Ollama checks its own blobs: start Ollama (Runtimes) to verify an Ollama model.');
    try {
      await this.client(info.base_url).show({ model: m.name });
      return { ok: true, details: { source: 'ollama /api/show', status: 200 } };
    } catch (error) {
      return { ok: false, details: { source: 'ollama /api/show', status: (error as { status_code?: number }).status_code ?? null, error: errorMessage(error) } };
    }
  }

  /** `/api/show` capabilities: an embedding model has `embedding` and no `completion`. */
  async kind(baseUrl: string, model: string): Promise<'embedding' | 'chat'> {
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
      if (keepAlive !== 0 && (await this.kind(baseUrl, model)) === 'embedding') await client.embed({ model, input: 'load', keep_alive: keepAlive });
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

  private checkCurrent(ctx: ActivateContext, m: ModelRecord): void {
    if (!ctx.isCurrent()) throw new AppError('cancelled', `The activation of ${m.name} was superseded by a newer request.`);
  }
}
