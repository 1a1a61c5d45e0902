import { statSync } from 'node:fs';
import type { Activation, ActivateBody, ModelRuntime, ModelTestResult, RuntimeFlags } from '../../shared/api/models';
import { AppError, errorMessage, isAppError } from '../../shared/errors';
import { hfShape } from '../catalog/huggingface';
import { localHfDetails } from '../catalog/installed';
import { estimateFit, type FitRequest } from '../catalog/fit';
import type { SettingsService } from '../config';
import type { ModelDriver } from '../drivers/model-driver';
import type { EventBus } from '../events';
import type { Logger } from '../logger';
import type { RuntimeManager } from '../runtimes/manager';
import type { ModelRecord, ModelsRepo, ValidationRecord } from './models-repo';
import { sameModelName } from '../../shared/model-names';
import { flagsFromSettings } from '../../shared/vllm-flags';
import { servingState } from './model-state';

type FlagSource = 'fit' | 'settings' | 'model' | 'request';

export interface ActivationDeps {
  models: ModelsRepo;
  runtimes: RuntimeManager;
  settings: SettingsService;
  events: EventBus;
  logger: Logger;
  /** one driver per runtime: what it takes to serve, unload, test and verify its models */
  drivers: Record<ModelRuntime, ModelDriver>;
  /** the fit request for the GPUs detected now (no GPU → flags come from Settings only) */
  fitRequest(): FitRequest;
}

const DEFAULT_TEST_PROMPT = 'Reply with one short sentence: what are you?';
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


/**
 * The coordinator of serving installed models over their drivers (drivers/): the lifecycle rules (only
 * installed, verified, unchanged files are activated), the flags priority, one activation at a time
 * (the latest wins), the events, and the validation history every activation, test and verification
 * lands in. What it takes to serve a model on its runtime is the driver's business.
 */
export class ActivationService {
  /** bumped by every activation/deactivation: a load that finishes after a newer request is dropped */
  private generation = 0;

  constructor(private readonly deps: ActivationDeps) {}

  private driver(m: { runtime: ModelRuntime }): ModelDriver {
    return this.deps.drivers[m.runtime];
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
      const loaded = await this.deps.drivers.ollama.loaded();
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
    const resolved = resolveFlags([
      { source: 'fit', flags: m.runtime === 'vllm' ? this.fitFlags(m) : {} },
      { source: 'settings', flags: flagsFromSettings(s) },
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
    const driver = this.driver(m);
    const { flags, sources } = m.runtime === 'vllm' ? this.effectiveFlags(m.name, body.flags ?? {}) : { flags: null, sources: null };
    if (driver.requiresNetwork && this.deps.settings.get().catalog.offline) {
      throw new AppError('offline', `${m.name} is served by a remote endpoint and Switchyard is offline. Turn offline mode off (Settings › Catalog) to use it.`);
    }
    const generation = ++this.generation;
    const started = Date.now();
    this.emit(m, 'starting', `Starting ${label(runtime)} for ${m.name}…`);
    try {
      driver.check(m, flags ?? {});
      const { baseUrl } = await driver.activate(m, flags ?? {}, {
        isCurrent: () => generation === this.generation,
        onLoading: (message) => this.emit(m, 'loading', message),
      });
      const activation: Activation = { model: m.name, runtime, serving: true, base_url: baseUrl, flags, flag_sources: sources, load_ms: Date.now() - started };
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
    await this.deps.drivers[runtime].unload(model);
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
    const result = await this.driver(m).test(m, info.model!, { prompt, maxTokens: body.max_tokens ?? 64 });
    this.deps.models.addValidation(m.name, 'test', result.ok, result);
    if (result.ok) this.deps.models.touchLastUsed(m.name);
    this.deps.events.emit({ type: 'models.changed' });
    return result;
  }

  // ---- verify ------------------------------------------------------------------------------------

  /** Re-hashes every file of an HF model (sha256 for LFS files, git sha1 for the others) and records the result. */
  async verify(name: string): Promise<ValidationRecord> {
    const m = this.require(name);
    const { ok, details } = await this.driver(m).verify(m);
    const record = this.deps.models.addValidation(m.name, 'files', ok, details);
    this.deps.events.emit({ type: 'models.changed' });
    return record;
  }

  // ---- internals ---------------------------------------------------------------------------------

  /** Fit-estimate flags from the snapshot's own config.json and weight sizes (no network). */
  private fitFlags(m: ModelRecord): RuntimeFlags {
    const local = m.local_path ? localHfDetails(m.name, m.local_path) : null;
    if (!local) return {};
    const shape = { ...hfShape(local.info, local.config), runtime: 'vllm' as const };
    return estimateFit(shape, this.deps.fitRequest()).runtime_flags ?? {};
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

function label(runtime: ModelRuntime): string {
  return runtime === 'vllm' ? 'vLLM' : 'Ollama';
}

