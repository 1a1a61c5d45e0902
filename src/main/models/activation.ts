import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Activation, ActivateBody, ModelRuntime, ModelTestResult, RuntimeFlags } from '../../shared/api/models';
import { AppError, errorMessage, isAppError } from '../../shared/errors';
import { hfShape } from '../catalog/huggingface';
import { localHfDetails } from '../catalog/installed';
import { estimateFit, type FitRequest } from '../catalog/fit';
import type { SettingsService } from '../config';
import type { EventBus } from '../events';
import type { Logger } from '../logger';
import type { VllmFlags } from '../runtimes/adapters';
import { needsRemoteCode, remoteCodeModules } from '../drivers/hf-vllm/model-config';
import { snapshotFiles } from '../hub/cache-scan';
import { ggufQuantization } from '../hub/file-selection';
import type { RuntimeManager } from '../runtimes/manager';
import type { ModelRecord, ModelsRepo, ValidationRecord } from './models-repo';
import { sameModelName } from '../../shared/model-names';
import { servingState } from './model-state';

interface Usage {
  prompt_tokens?: number;
  completion_tokens?: number;
}
type FlagSource = 'fit' | 'settings' | 'model' | 'request';
type FlagKey = keyof Omit<RuntimeFlags, 'extra_args'>;

export interface ActivationDeps {
  models: ModelsRepo;
  runtimes: RuntimeManager;
  settings: SettingsService;
  events: EventBus;
  logger: Logger;
  /** the fit request for the GPUs detected now (no GPU → flags come from Settings only) */
  fitRequest(): FitRequest;
  fetch?: typeof fetch;
}

const DEFAULT_TEST_PROMPT = 'Reply with one short sentence: what are you?';
const TEST_TIMEOUT_MS = 120_000;
const OLLAMA_CALL_TIMEOUT_MS = 10_000;
const SNAKE_TO_CAMEL: Record<FlagKey, keyof Omit<VllmFlags, 'extraArgs' | 'revision'>> = {
  gpu_memory_utilization: 'gpuMemoryUtilization',
  max_model_len: 'maxModelLen',
  tensor_parallel_size: 'tensorParallelSize',
  dtype: 'dtype',
  quantization: 'quantization',
  trust_remote_code: 'trustRemoteCode',
};
const FIT_FLAG: Record<string, FlagKey> = {
  '--gpu-memory-utilization': 'gpu_memory_utilization',
  '--max-model-len': 'max_model_len',
  '--tensor-parallel-size': 'tensor_parallel_size',
  '--quantization': 'quantization',
};

/** `--flag value` strings of a fit report → structured flags. */
export function flagsFromFit(lines: readonly string[] | null): RuntimeFlags {
  const out: Record<string, unknown> = {};
  for (const line of lines ?? []) {
    const [flag, value] = line.split(/\s+/, 2);
    const key = flag ? FIT_FLAG[flag] : undefined;
    if (!key || value === undefined) continue;
    out[key] = key === 'quantization' ? value : Number(value);
  }
  return out as RuntimeFlags;
}

/**
 * The flags an activation uses: fit estimate < Settings (when set) < the model's saved flags < the
 * request. Returns them with where each value came from.
 */
export function resolveFlags(layers: { source: FlagSource; flags: RuntimeFlags }[]): { flags: RuntimeFlags; sources: Record<string, FlagSource> } {
  const flags: Record<string, unknown> = {};
  const sources: Record<string, FlagSource> = {};
  for (const { source, flags: layer } of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) continue;
      flags[key] = value;
      sources[key] = source;
    }
  }
  return { flags: flags as RuntimeFlags, sources };
}

export function toVllmOverrides(flags: RuntimeFlags): Partial<VllmFlags> {
  const out: Partial<VllmFlags> = {};
  for (const [snake, camel] of Object.entries(SNAKE_TO_CAMEL) as [FlagKey, keyof Omit<VllmFlags, 'extraArgs' | 'revision'>][]) {
    const v = flags[snake];
    if (v !== undefined && v !== null) (out as Record<string, unknown>)[camel] = v;
  }
  if (flags.extra_args?.length) out.extraArgs = flags.extra_args;
  return out;
}

/**
 * Activation of installed models: makes a runtime serve one (vLLM restarted with it and its flags;
 * Ollama loading it with keep_alive), deactivation, the test chat, and the lifecycle rules — only
 * verified, unchanged files are activated; every activation and test lands in the validation history.
 */
export class ActivationService {
  private readonly fetchImpl: typeof fetch;
  /** bumped by every activation/deactivation: an Ollama load that finishes after a newer request is dropped */
  private generation = 0;

  constructor(private readonly deps: ActivationDeps) {
    this.fetchImpl = deps.fetch ?? fetch;
  }

  /**
   * After a restart of Switchyard, an Ollama it adopted (or one it found running) may still hold the
   * model that was active: if the remembered one is loaded, it is the active model again.
   */
  async init(): Promise<void> {
    const info = this.deps.runtimes.info('ollama');
    const last = info.last_model;
    if (info.model || !last || (info.state !== 'ready' && info.state !== 'external')) return;
    try {
      const loaded = await this.ollamaLoaded(info.base_url);
      if (loaded.some((n) => sameModelName(n, last))) this.deps.runtimes.setModel('ollama', last);
    } catch (error) {
      this.deps.logger.debug({ error: errorMessage(error) }, 'could not ask Ollama which models are loaded');
    }
  }

  // ---- state -------------------------------------------------------------------------------------

  /**
   * Files present, of the recorded size and not modified since their last good validation. A change
   * is recorded once (a failed `files` validation); the model stays unvalidated until `verify` passes.
   */
  validated(m: ModelRecord): boolean {
    if (m.status !== 'installed') return false;
    const last = this.deps.models.latestValidation(m.name, 'files');
    if (!last?.ok) return false;
    if (m.provider !== 'huggingface') return true;
    const changed = this.changedFiles(m, Date.parse(last.created_at));
    if (changed.length === 0) return true;
    this.deps.models.addValidation(m.name, 'files', false, { reason: 'files changed on disk since they were verified', changed: changed.slice(0, 20) });
    this.deps.logger.warn({ model: m.name, changed: changed.slice(0, 5) }, 'model files changed on disk');
    return false;
  }

  /** The runtime answers and serves this model (vLLM advertised it at readiness; Ollama after a load). */
  serving(m: ModelRecord): boolean {
    return servingState(m, this.deps.runtimes.info(m.runtime)).serving;
  }

  lastTest(name: string): ModelTestResult | null {
    return (this.deps.models.latestValidation(name, 'test')?.details as ModelTestResult | undefined) ?? null;
  }

  validations(name: string, limit: number): { validated: boolean; validations: ValidationRecord[] } {
    const m = this.require(name);
    return { validated: this.validated(m), validations: this.deps.models.validations(m.name, limit) };
  }

  /** The flags an activation of this model would use now, with their sources. */
  effectiveFlags(name: string, request: RuntimeFlags = {}): { model: ModelRecord; flags: RuntimeFlags; sources: Record<string, FlagSource> } {
    const m = this.require(name);
    const s = this.deps.settings.get().vllm;
    const settingsFlags: RuntimeFlags = {
      gpu_memory_utilization: s.gpuMemoryUtilization,
      max_model_len: s.maxModelLen,
      tensor_parallel_size: s.tensorParallelSize,
      dtype: s.dtype,
      quantization: s.quantization,
    };
    const resolved = resolveFlags([
      { source: 'fit', flags: m.runtime === 'vllm' ? this.fitFlags(m) : {} },
      { source: 'settings', flags: settingsFlags },
      { source: 'model', flags: m.runtime_flags ?? {} },
      { source: 'request', flags: request },
    ]);
    return { model: m, ...resolved };
  }

  setFlags(name: string, flags: RuntimeFlags | null): ModelRecord {
    const m = this.require(name);
    if (m.runtime !== 'vllm' && flags && Object.keys(flags).length) {
      throw new AppError('bad_request', `${m.name} runs on Ollama; launch flags apply to vLLM models only (Ollama options are set per request).`);
    }
    this.deps.models.setRuntimeFlags(m.name, flags);
    this.deps.events.emit({ type: 'models.changed' });
    return this.require(m.name);
  }

  // ---- activate / deactivate ---------------------------------------------------------------------

  /** Activations in progress, by request: the same activation asked again joins the one running. */
  private readonly inFlight = new Map<string, Promise<Activation>>();

  async activate(body: ActivateBody): Promise<Activation> {
    const key = JSON.stringify([body.name, body.runtime ?? null, body.flags ?? null]);
    const running = this.inFlight.get(key);
    if (running) return running;
    const activation = this.activateOnce(body);
    this.inFlight.set(key, activation);
    try {
      return await activation;
    } finally {
      this.inFlight.delete(key);
    }
  }

  private async activateOnce(body: ActivateBody): Promise<Activation> {
    const m = this.require(body.name);
    const runtime = body.runtime ?? m.runtime;
    if (runtime !== m.runtime) {
      throw new AppError('lifecycle_violation', `${m.name} is a ${m.provider === 'ollama' ? 'Ollama' : 'Hugging Face'} model served by ${label(m.runtime)}, not ${label(runtime)}. Activate it on ${label(m.runtime)}.`);
    }
    if (m.status !== 'installed') {
      throw new AppError('lifecycle_violation', `${m.name} is ${m.status}, not installed — finish or retry its install first (Operations).`);
    }
    if (!this.validated(m)) {
      throw new AppError(
        'model_not_validated',
        `${m.name}'s files are not verified (they changed on disk, or a check failed). Verify them again (POST /api/v1/models/${encodeURIComponent(m.name)}/verify, Installed › Verify) or reinstall the model.`,
      );
    }
    if (body.flags && Object.keys(body.flags).length && m.runtime !== 'vllm') {
      throw new AppError('bad_request', 'flags apply to vLLM models only.');
    }
    const generation = ++this.generation;
    const started = Date.now();
    this.emit(m, 'starting', `Starting ${label(runtime)} for ${m.name}…`);
    try {
      const activation = runtime === 'vllm' ? await this.activateVllm(m, body.flags ?? {}, started) : await this.activateOllama(m, generation, started);
      this.deps.models.addValidation(m.name, 'activation', true, { runtime, flags: activation.flags, load_ms: activation.load_ms });
      this.deps.models.touchLastUsed(m.name);
      this.emit(m, 'serving', `${m.name} is served by ${label(runtime)} (${activation.load_ms} ms).`);
      this.deps.events.emit({ type: 'models.changed' });
      return activation;
    } catch (error) {
      const code = isAppError(error) ? error.code : 'runtime_failed';
      if (code !== 'cancelled') this.deps.models.addValidation(m.name, 'activation', false, { runtime, error: { code, message: errorMessage(error) } });
      this.emit(m, 'failed', errorMessage(error), { code, message: errorMessage(error) });
      this.deps.events.emit({ type: 'models.changed' });
      throw error;
    }
  }

  /**
   * A runtime switch (Runtimes screen, tray, `llm-servers/active`): with a model — given, or vLLM's last
   * one — it is a model activation under the same rules; without, Ollama just starts.
   */
  async switchTo(runtime: ModelRuntime, model?: string | null): Promise<void> {
    const target = model ?? (runtime === 'vllm' ? this.deps.runtimes.activeInfo().last_models.vllm : null);
    if (target) await this.activate({ name: target, runtime });
    else await this.deps.runtimes.activate(runtime);
  }

  /** Unloads (Ollama, keep_alive 0) or stops (vLLM) the active model. */
  async deactivate(body: { name?: string; runtime?: ModelRuntime } = {}): Promise<{ runtime: ModelRuntime; model: string | null; message: string }> {
    const named = body.name ? this.require(body.name) : null;
    const runtime = body.runtime ?? named?.runtime ?? this.deps.runtimes.activeInfo().active_server;
    if (!runtime) return { runtime: named?.runtime ?? 'vllm', model: null, message: 'No runtime is active; nothing to deactivate.' };
    const info = this.deps.runtimes.info(runtime);
    if (named && (!info.model || !sameModelName(info.model, named.name))) {
      throw new AppError('model_not_active', `${named.name} is not the active model of ${label(runtime)} (${info.model ?? 'none is'}). Nothing to deactivate.`);
    }
    const model = info.model;
    this.generation++;
    if (runtime === 'vllm') {
      if (info.state !== 'stopped' && info.state !== 'not_installed') await this.deps.runtimes.stop('vllm');
    } else if (model && (info.state === 'ready' || info.state === 'external')) {
      await this.ollamaGenerate(info.base_url, model, 0).catch((error) => {
        throw new AppError('runtime_failed', `Ollama did not unload ${model}: ${errorMessage(error)}`);
      });
      this.deps.runtimes.setModel('ollama', null);
    } else {
      this.deps.runtimes.setModel('ollama', null);
    }
    const record = model ? this.deps.models.find(model) : null;
    if (record) this.emit(record, 'deactivated', `${record.name} is no longer served.`);
    this.deps.events.emit({ type: 'models.changed' });
    return { runtime, model, message: model ? `${model} is no longer served by ${label(runtime)}.` : `${label(runtime)} had no model loaded.` };
  }

  // ---- test --------------------------------------------------------------------------------------

  /**
   * A short chat completion sent straight to the runtime serving this model — never another runtime —
   * timed (latency, time to first token, tokens/s) and recorded, pass or fail.
   */
  async test(name: string, body: { prompt?: string; max_tokens?: number } = {}): Promise<ModelTestResult> {
    const m = this.require(name);
    const info = this.deps.runtimes.info(m.runtime);
    if (!this.serving(m)) {
      throw new AppError('model_not_active', `${m.name} is not being served (${label(m.runtime)} is ${info.state}${info.model ? ` with ${info.model}` : ''}). Activate it first.`);
    }
    const prompt = body.prompt ?? DEFAULT_TEST_PROMPT;
    const servedName = info.model!;
    if (m.runtime === 'ollama' && (await this.ollamaKind(info.base_url, servedName).catch(() => 'chat' as const)) === 'embedding') {
      const embedded = await this.embeddingTest(m, info.base_url, servedName, prompt);
      this.deps.models.addValidation(m.name, 'test', embedded.ok, embedded);
      if (embedded.ok) this.deps.models.touchLastUsed(m.name);
      this.deps.events.emit({ type: 'models.changed' });
      return embedded;
    }
    const at = new Date().toISOString();
    const t0 = performance.now();
    let ttft: number | null = null;
    let answer = '';
    let reasoning = '';
    let usage = null as Usage | null;
    let chunks = 0;
    let result: ModelTestResult;
    try {
      const res = await this.fetchImpl(`${info.base_url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...this.deps.runtimes.authHeaders(m.runtime) },
        body: JSON.stringify({
          model: servedName,
          messages: [{ role: 'user', content: prompt }],
          max_tokens: body.max_tokens ?? 64,
          temperature: 0,
          stream: true,
          stream_options: { include_usage: true },
        }),
        signal: AbortSignal.timeout(TEST_TIMEOUT_MS),
      });
      if (!res.ok || !res.body) throw new AppError('runtime_failed', `${label(m.runtime)} answered ${res.status}: ${await upstreamMessage(res)}`);
      const decoder = new TextDecoder();
      let buffer = '';
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (!line.startsWith('data:')) continue;
          const data = line.slice(5).trim();
          if (data === '[DONE]') continue;
          const chunk = JSON.parse(data) as { choices?: { delta?: ChatDelta }[]; usage?: Usage | null; error?: { message?: string } };
          if (chunk.error) throw new AppError('runtime_failed', `${label(m.runtime)} failed mid-answer: ${chunk.error.message ?? 'unknown error'}`);
          const delta = chunk.choices?.[0]?.delta;
          const thought = reasoningOf(delta);
          const text = (delta?.content ?? '') + thought;
          if (text) {
            ttft ??= performance.now() - t0;
            answer += delta?.content ?? '';
            reasoning += thought;
            chunks++;
          }
          if (chunk.usage) usage = chunk.usage;
        }
      }
      const latency = performance.now() - t0;
      const completion = usage?.completion_tokens ?? (chunks || null);
      const genSeconds = ttft !== null ? (latency - ttft) / 1000 : 0;
      result = {
        ok: true,
        runtime: m.runtime,
        model: m.name,
        prompt,
        answer,
        reasoning: reasoning || null,
        latency_ms: round(latency),
        ttft_ms: ttft === null ? null : round(ttft),
        prompt_tokens: usage?.prompt_tokens ?? null,
        completion_tokens: completion,
        tokens_per_second: completion && genSeconds > 0 ? round(completion > 1 ? (completion - 1) / genSeconds : completion / (latency / 1000)) : null,
        error: null,
        at,
      };
    } catch (error) {
      result = {
        ok: false,
        runtime: m.runtime,
        model: m.name,
        prompt,
        answer: answer || null,
        latency_ms: round(performance.now() - t0),
        ttft_ms: ttft === null ? null : round(ttft),
        prompt_tokens: null,
        completion_tokens: null,
        tokens_per_second: null,
        error: { code: isAppError(error) ? error.code : 'runtime_failed', message: isAppError(error) ? error.message : `${label(m.runtime)} did not answer: ${errorMessage(error)}` },
        at,
      };
    }
    this.deps.models.addValidation(m.name, 'test', result.ok, result);
    if (result.ok) this.deps.models.touchLastUsed(m.name);
    this.deps.events.emit({ type: 'models.changed' });
    return result;
  }

  // ---- verify ------------------------------------------------------------------------------------

  /** Re-hashes every file of an HF model (sha256 for LFS files, git sha1 for the others) and records the result. */
  async verify(name: string): Promise<ValidationRecord> {
    const m = this.require(name);
    if (m.provider !== 'huggingface') {
      const info = this.deps.runtimes.info('ollama');
      if (info.state !== 'ready' && info.state !== 'external') throw new AppError('runtime_not_ready', 'Ollama checks its own blobs: start Ollama (Runtimes) to verify an Ollama model.');
      const res = await this.fetchImpl(`${info.base_url}/api/show`, { method: 'POST', body: JSON.stringify({ model: m.name }), signal: AbortSignal.timeout(OLLAMA_CALL_TIMEOUT_MS) });
      await res.arrayBuffer();
      const record = this.deps.models.addValidation(m.name, 'files', res.ok, { source: 'ollama /api/show', status: res.status });
      this.deps.events.emit({ type: 'models.changed' });
      return record;
    }
    const bad: { path: string; reason: string }[] = [];
    for (const a of this.deps.models.artifacts(m.name)) {
      if (!a.local_path) continue;
      let size: number;
      try {
        size = statSync(a.local_path).size;
      } catch {
        bad.push({ path: a.path, reason: 'missing' });
        continue;
      }
      if (size !== a.size) {
        bad.push({ path: a.path, reason: `size ${size}, expected ${a.size}` });
        continue;
      }
      const expected = a.sha256 ?? a.blob_id;
      if (!expected) continue;
      const kind = expected.length === 64 ? 'sha256' : expected.length === 40 ? 'git-sha1' : null;
      if (!kind) continue;
      const actual = await hashFile(a.local_path, kind, size);
      if (actual !== expected) bad.push({ path: a.path, reason: `${kind} mismatch` });
    }
    const record = this.deps.models.addValidation(m.name, 'files', bad.length === 0, bad.length ? { reason: 'verification failed', bad } : { verified: 'sha256 / git sha1 re-hashed', files: this.deps.models.artifacts(m.name).length });
    this.deps.events.emit({ type: 'models.changed' });
    return record;
  }

  // ---- internals ---------------------------------------------------------------------------------

  private async activateVllm(m: ModelRecord, request: RuntimeFlags, started: number): Promise<Activation> {
    const { flags, sources } = this.effectiveFlags(m.name, request);
    checkVllmCanServe(m, flags);
    this.emit(m, 'loading', `vLLM is loading ${m.name} (${describeFlags(flags)}) — this can take minutes for large models.`);
    // served at the commit it was installed (and verified) at, whatever refs/main says now
    const revision = m.commit_sha && /^[0-9a-f]{40}$/.test(m.commit_sha) ? m.commit_sha : null;
    const info = await this.deps.runtimes.activate('vllm', { model: m.name, flags: { ...toVllmOverrides(flags), revision } });
    return { model: m.name, runtime: 'vllm', serving: true, base_url: info.base_url, flags, flag_sources: sources, load_ms: Date.now() - started };
  }

  private async activateOllama(m: ModelRecord, generation: number, started: number): Promise<Activation> {
    const info = await this.deps.runtimes.activate('ollama');
    this.checkCurrent(generation, m);
    const previous = info.model;
    if (previous && !sameModelName(previous, m.name)) {
      // one active model: free the previous one's VRAM before loading the next
      await this.ollamaGenerate(info.base_url, previous, 0).catch((error) => this.deps.logger.warn({ model: previous, error: errorMessage(error) }, 'could not unload the previous Ollama model'));
    }
    this.emit(m, 'loading', `Ollama is loading ${m.name}…`);
    // embedding models refuse /api/generate ("does not support generate"): they load through /api/embed
    if ((await this.ollamaKind(info.base_url, m.name)) === 'embedding') await this.ollamaEmbedLoad(info.base_url, m.name, this.deps.settings.get().runtime.startTimeoutMs);
    else await this.ollamaGenerate(info.base_url, m.name, -1, this.deps.settings.get().runtime.startTimeoutMs);
    this.checkCurrent(generation, m);
    const loaded = await this.ollamaLoaded(info.base_url);
    if (!loaded.some((n) => sameModelName(n, m.name))) {
      throw new AppError('runtime_failed', `Ollama accepted the load of ${m.name} but does not list it as loaded (/api/ps: ${loaded.join(', ') || 'nothing'}). Check the Ollama log.`);
    }
    const advertised = await this.advertised(info.base_url);
    if (!advertised.some((n) => sameModelName(n, m.name))) {
      throw new AppError('runtime_failed', `Ollama loaded ${m.name} but does not advertise it in /v1/models. Check the Ollama log.`);
    }
    this.deps.runtimes.setModel('ollama', m.name);
    return { model: m.name, runtime: 'ollama', serving: true, base_url: info.base_url, flags: null, flag_sources: null, load_ms: Date.now() - started };
  }

  private checkCurrent(generation: number, m: ModelRecord): void {
    if (generation !== this.generation) throw new AppError('cancelled', `The activation of ${m.name} was superseded by a newer request.`);
  }

  /** POST /api/generate without a prompt: keep_alive -1 loads and pins the model, 0 unloads it. */
  private async ollamaGenerate(baseUrl: string, model: string, keepAlive: number, timeoutMs = OLLAMA_CALL_TIMEOUT_MS): Promise<void> {
    const res = await this.fetchImpl(`${baseUrl}/api/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, keep_alive: keepAlive, stream: false }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (res.ok) {
      await res.arrayBuffer();
      return;
    }
    const message = await upstreamMessage(res);
    if (res.status === 404) throw new AppError('model_not_found', `Ollama does not have ${model} (${message}). Install it again from the catalog.`);
    throw new AppError('runtime_failed', `Ollama could not ${keepAlive === 0 ? 'unload' : 'load'} ${model}: ${message}`);
  }

  /** `/api/show` capabilities: an embedding model has `embedding` and no `completion`. */
  private async ollamaKind(baseUrl: string, model: string): Promise<'embedding' | 'chat'> {
    const res = await this.fetchImpl(`${baseUrl}/api/show`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model }), signal: AbortSignal.timeout(OLLAMA_CALL_TIMEOUT_MS) });
    if (!res.ok) {
      await res.arrayBuffer();
      return 'chat';
    }
    const caps = ((await res.json()) as { capabilities?: unknown }).capabilities;
    return Array.isArray(caps) && caps.includes('embedding') && !caps.includes('completion') ? 'embedding' : 'chat';
  }

  /** Loads and pins an embedding model: one tiny embedding with keep_alive -1. */
  private async ollamaEmbedLoad(baseUrl: string, model: string, timeoutMs: number): Promise<void> {
    const res = await this.fetchImpl(`${baseUrl}/api/embed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, input: 'load', keep_alive: -1 }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (res.ok) {
      await res.arrayBuffer();
      return;
    }
    const message = await upstreamMessage(res);
    if (res.status === 404) throw new AppError('model_not_found', `Ollama does not have ${model} (${message}). Install it again from the catalog.`);
    throw new AppError('runtime_failed', `Ollama could not load ${model}: ${message}`);
  }

  /** The test of an embedding model: one embedding through the runtime's OpenAI endpoint, timed. */
  private async embeddingTest(m: ModelRecord, baseUrl: string, servedName: string, prompt: string): Promise<ModelTestResult> {
    const at = new Date().toISOString();
    const t0 = performance.now();
    try {
      const res = await this.fetchImpl(`${baseUrl}/v1/embeddings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...this.deps.runtimes.authHeaders(m.runtime) },
        body: JSON.stringify({ model: servedName, input: prompt }),
        signal: AbortSignal.timeout(TEST_TIMEOUT_MS),
      });
      if (!res.ok) throw new AppError('runtime_failed', `${label(m.runtime)} answered ${res.status}: ${await upstreamMessage(res)}`);
      const body = (await res.json()) as { data?: { embedding?: unknown }[]; usage?: Usage };
      const vector = body.data?.[0]?.embedding;
      if (!Array.isArray(vector) || vector.length === 0) throw new AppError('runtime_failed', `${label(m.runtime)} returned no embedding.`);
      const latency = performance.now() - t0;
      return { ok: true, runtime: m.runtime, model: m.name, prompt, answer: `embedding of ${vector.length} dimensions`, reasoning: null, latency_ms: round(latency), ttft_ms: null, prompt_tokens: body.usage?.prompt_tokens ?? null, completion_tokens: null, tokens_per_second: null, error: null, at };
    } catch (error) {
      return {
        ok: false, runtime: m.runtime, model: m.name, prompt, answer: null, reasoning: null, latency_ms: round(performance.now() - t0), ttft_ms: null, prompt_tokens: null, completion_tokens: null, tokens_per_second: null,
        error: { code: isAppError(error) ? error.code : 'runtime_failed', message: isAppError(error) ? error.message : `${label(m.runtime)} did not answer: ${errorMessage(error)}` },
        at,
      };
    }
  }

  private async ollamaLoaded(baseUrl: string): Promise<string[]> {
    const res = await this.fetchImpl(`${baseUrl}/api/ps`, { signal: AbortSignal.timeout(OLLAMA_CALL_TIMEOUT_MS) });
    const body = (await res.json()) as { models?: { name?: string; model?: string }[] | null };
    return (body.models ?? []).flatMap((x) => [x.name, x.model].filter((n): n is string => typeof n === 'string'));
  }

  private async advertised(baseUrl: string): Promise<string[]> {
    const res = await this.fetchImpl(`${baseUrl}/v1/models`, { signal: AbortSignal.timeout(OLLAMA_CALL_TIMEOUT_MS) });
    const body = (await res.json()) as { data?: { id?: unknown }[] | null };
    return (body.data ?? []).map((x) => x.id).filter((n): n is string => typeof n === 'string');
  }

  /** Fit-estimate flags from the snapshot's own config.json and weight sizes (no network). */
  private fitFlags(m: ModelRecord): RuntimeFlags {
    const local = m.local_path ? localHfDetails(m.name, m.local_path) : null;
    if (!local) return {};
    const shape = { ...hfShape(local.info, local.config), runtime: 'vllm' as const };
    return flagsFromFit(estimateFit(shape, this.deps.fitRequest()).vllm_flags);
  }

  private changedFiles(m: ModelRecord, since: number): string[] {
    const changed: string[] = [];
    for (const a of this.deps.models.artifacts(m.name)) {
      if (!a.local_path) continue;
      try {
        const st = statSync(a.local_path);
        if (st.size !== a.size || st.mtimeMs > since + 1000) changed.push(a.path);
      } catch {
        changed.push(a.path);
      }
    }
    return changed;
  }

  private require(name: string): ModelRecord {
    const m = this.deps.models.find(name);
    if (!m || m.status === 'removed') throw new AppError('model_not_found', `No installed model "${name}". Install it first (Catalog), or see GET /api/v1/models/registry.`);
    return m;
  }

  private emit(m: ModelRecord, phase: 'starting' | 'loading' | 'serving' | 'failed' | 'deactivated', message: string, error: { code: string; message: string } | null = null): void {
    this.deps.events.emit({ type: 'model.activation', model: m.name, runtime: m.runtime, phase, message, error });
  }
}

/** A streamed chat delta: the answer, and the reasoning as vLLM/Ollama stream it now or did before. */
interface ChatDelta {
  content?: string | null;
  reasoning?: string | null;
  reasoning_content?: string | null;
}

/** `delta.reasoning` (current vLLM and Ollama), else `reasoning_content` (older vLLM, DeepSeek-style APIs). */
export function reasoningOf(delta: ChatDelta | null | undefined): string {
  return delta?.reasoning ?? delta?.reasoning_content ?? '';
}

/**
 * Refusals before a launch, for what vLLM would refuse after minutes of loading (or crash on): remote
 * code the user has not allowed for this model, remote code whose files are missing, and a GGUF
 * snapshot (vLLM needs the base model's tokenizer beside a single file; Ollama runs it as is).
 */
export function checkVllmCanServe(m: ModelRecord, flags: RuntimeFlags): void {
  if (!m.local_path) return;
  const files = snapshotFiles(m.local_path).map((f) => f.path);
  if (files.length === 0) return;
  const hasWeights = files.some((p) => !p.includes('/') && /\.(safetensors|bin|pt|pth)$/.test(p));
  if (!hasWeights && files.some((p) => p.endsWith('.gguf'))) {
    const quant = files.map((p) => ggufQuantization(p)).find((q) => q !== null);
    throw new AppError(
      'unsupported_model',
      `${m.name} holds GGUF files only: vLLM cannot serve a GGUF repo from the Hub cache (it needs one local .gguf file and the base model's tokenizer, and loads it slowly). Install it for Ollama instead — Catalog › ${m.name} › Ollama, i.e. "hf.co/${m.name}${quant ? `:${quant}` : ''}" — then activate that.`,
    );
  }
  let config: Record<string, unknown> | null = null;
  try {
    config = JSON.parse(readFileSync(join(m.local_path, 'config.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    config = null;
  }
  if (!needsRemoteCode(config)) return;
  if (!flags.trust_remote_code) {
    throw new AppError(
      'remote_code_not_allowed',
      `${m.name} ships its own Python code (config.json auto_map), which vLLM only runs with --trust-remote-code. If you trust its authors, allow remote code for this model (Installed › ${m.name} › Allow remote code, or PUT /api/v1/models/${encodeURIComponent(m.name)}/runtime-flags {"flags":{"trust_remote_code":true}}), then activate it again.`,
    );
  }
  const missing = remoteCodeModules(config).filter((p) => !files.includes(p));
  if (missing.length) {
    throw new AppError(
      'unsupported_model',
      `${m.name} needs ${missing.join(', ')} (named by config.json auto_map), which is not installed; offline, vLLM cannot fetch it. Reinstall the model (Installed › Remove, then install it again).`,
    );
  }
}

function label(runtime: ModelRuntime): string {
  return runtime === 'vllm' ? 'vLLM' : 'Ollama';
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function describeFlags(flags: RuntimeFlags): string {
  const parts = Object.entries(flags)
    .filter(([k, v]) => k !== 'extra_args' && v !== false)
    .map(([k, v]) => (v === true ? `--${k.replaceAll('_', '-')}` : `--${k.replaceAll('_', '-')} ${String(v)}`));
  if (flags.extra_args?.length) parts.push(flags.extra_args.join(' '));
  return parts.join(' ') || 'vLLM defaults';
}

async function upstreamMessage(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: string | { message?: string }; message?: string; detail?: unknown };
    if (typeof body.error === 'string') return body.error;
    if (body.error?.message) return body.error.message;
    if (body.message) return body.message;
    if (body.detail) return typeof body.detail === 'string' ? body.detail : JSON.stringify(body.detail);
  } catch {
    // not JSON
  }
  return text.slice(0, 300) || res.statusText;
}

async function hashFile(path: string, kind: 'sha256' | 'git-sha1', size: number): Promise<string> {
  const hash = kind === 'sha256' ? createHash('sha256') : createHash('sha1').update(`blob ${size}\0`);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
