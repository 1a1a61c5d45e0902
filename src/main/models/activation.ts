import type { Activation, ActivateBody, RuntimeFlags } from '../../shared/api/models';
import type { RuntimeName } from '../../shared/api/runtimes';
import { AppError, errorMessage, isAppError } from '../../shared/errors';
import { sameModelName } from '../../shared/model-names';
import type { FitRequest } from '../catalog/fit';
import type { SettingsService } from '../config';
import { slotsOf, type DriverRegistry, type ServedModel, type ServingDriver } from '../drivers/serving-driver';
import type { EventBus } from '../events';
import type { Logger } from '../logger';
import type { RuntimeManager } from '../runtimes/manager';
import { ActiveServing, eventSlot } from '../serving/active-serving';
import type { ServingEndpoint } from '../serving/endpoint';
import { activeRuntimeInfo, endpointInfo, type ActiveEndpointInfo, type ActiveRuntimeInfo } from '../serving/endpoint-info';
import { ActivationFlags, type FlagSource } from './activation-flags';
import { driverOf, requireInstalled } from './installed-model';
import { ModelChecks } from './model-checks';
import { servingState } from './model-state';
import type { ModelRecord, ModelsRepo } from './models-repo';
import type { Slot } from '../../shared/api/router';
import { EmbeddingsSlot } from '../serving/embeddings-slot';
import { adoptLoadedModels, DefaultRoute, restoreEmbeddings } from '../serving/restore';
import { RuntimeStops } from '../serving/runtime-stops';
import { slotFit } from './slot-memory';
import type { StateStore } from '../serving/saved-choice';

export interface ActivationDeps {
  models: ModelsRepo;
  runtimes: RuntimeManager;
  settings: SettingsService;
  events: EventBus;
  logger: Logger;
  /** every driver, local and process-less, each registered with one line */
  drivers: DriverRegistry;
  /** the fit request for the GPUs detected now (no GPU → flags come from Settings only) */
  fitRequest(): FitRequest;
  /** how a test reaches an endpoint off this machine (NetClient's fetch: proxy, CAs, offline refusal) */
  netFetch: typeof fetch;
  /** where the default route and the embeddings slot's model are kept across restarts (none: not kept) */
  state?: StateStore;
}

/**
 * The coordinator of serving over the drivers (drivers/): the lifecycle rules for installed models
 * (only installed, verified, unchanged files are activated), the flags priority, one activation at a
 * time (the latest wins), the activations' entries in the validation history (the tests and file
 * checks are `checks`', model-checks.ts) and the active endpoint (the proxy, `/v1/models` and the model
 * test send to it). Every stop, switch and deactivation — API, tray, CLI, a crash — ends here, in the
 * same `model.activation` events.
 */
export class ActivationService {
  /** bumped by every activation/deactivation of the chat slot: a load that finishes after a newer request is dropped */
  private generation = 0;
  /** the same for the default route's remote model (it never cancels a chat slot's load, nor is cancelled by one) */
  private defaultGeneration = 0;
  private readonly flags: ActivationFlags;
  readonly active: ActiveServing;
  /** the local embeddings slot (the chat slot is `active`) */
  readonly embeddings: EmbeddingsSlot;
  /** the stored remote default: the default while its provider can serve it, back once it can again */
  readonly defaultRoute: DefaultRoute;
  /** what "validated" means, the model test and the file verification (the validation history's other entries) */
  readonly checks: ModelChecks;
  /** a local runtime stopped or restarted on request, and "Off" (serving/runtime-stops.ts) */
  readonly stops: RuntimeStops;
  /** the launch flags the chat slot's model was started with (its share of the GPU, for the slots' fit) */
  private chatFlags: { model: string; flags: RuntimeFlags } | null = null;

  constructor(private readonly deps: ActivationDeps) {
    this.flags = new ActivationFlags(deps);
    this.active = new ActiveServing(deps.drivers, deps.events, deps.state ?? null);
    this.embeddings = new EmbeddingsSlot(this.active, deps.runtimes, deps.events, deps.state ?? null);
    this.defaultRoute = new DefaultRoute({ active: this.active, drivers: deps.drivers, logger: deps.logger });
    this.checks = new ModelChecks({ ...deps, slots: this });
    this.stops = new RuntimeStops({
      ...deps,
      active: this.active,
      embeddings: this.embeddings,
      supersedeChat: () => void this.generation++,
      deactivateRemote: (runtime) => this.deactivate({ runtime }),
    });
  }

  /** Adds a driver (a remote provider's, a test's): one line, nothing else to change. */
  register<D extends ServingDriver>(driver: D): D {
    return this.deps.drivers.register(driver);
  }

  /**
   * Where OpenAI-compatible requests without a route go now (the default: the chat slot or a remote
   * default), else the embeddings slot when it is all that serves; null when nothing answers. The
   * router (router/) resolves every named model; this is the proxy's view until it asks the router.
   */
  endpoint(): ServingEndpoint | null {
    return this.active.endpoint() ?? this.embeddings.endpoint();
  }

  /** `llm-runtime/active` (serving/endpoint-info.ts). */
  endpointInfo(): ActiveEndpointInfo {
    return endpointInfo(this.active, this.defaultRoute);
  }

  /** `llm-servers/active`: the local runtime view, or the process-less endpoint that serves instead. */
  activeInfo(): ActiveRuntimeInfo {
    return activeRuntimeInfo(this.active, this.defaultRoute, this.deps.runtimes);
  }

  /**
   * After a restart of Switchyard: the runtimes it adopted are followed again, and a runtime it found
   * running (an Ollama) that still holds the model that was active makes it the active model again.
   */
  async init(): Promise<void> {
    await adoptLoadedModels(this.deps);
    for (const info of this.deps.runtimes.list()) this.active.sync(info);
    await this.defaultRoute.restore();
    // after the remote drivers follow the providers (app.ts): a provider's change reaches them first
    this.defaultRoute.follow(this.deps.events);
    restoreEmbeddings({ ...this.deps, active: this.active, embeddings: this.embeddings });
  }

  // ---- state -------------------------------------------------------------------------------------

  /** The runtime answers and serves this model (vLLM advertised it at readiness; Ollama after a load), in either slot. */
  serving(m: ModelRecord): boolean {
    return servingState(m, this.deps.runtimes.info(m.runtime)).serving || this.slotOf(m) === 'embeddings';
  }

  /** The local slot a model is in now, or null. */
  slotOf(m: ModelRecord): Slot | null {
    const emb = this.embeddings.current();
    if (emb && emb.driver.provider === m.provider && sameModelName(emb.model, m.name)) return 'embeddings';
    return servingState(m, this.deps.runtimes.info(m.runtime)).active ? 'chat' : null;
  }

  /** The flags an activation of this model would use now, with their sources. */
  effectiveFlags(name: string, request: RuntimeFlags = {}): { model: ModelRecord; flags: RuntimeFlags; sources: Record<string, FlagSource> } {
    const m = requireInstalled(this.deps.models, name);
    return { model: m, ...this.flags.effective(m, request, driverOf(this.deps.drivers, m).launchFlags === true) };
  }

  setFlags(name: string, flags: RuntimeFlags | null): ModelRecord {
    const m = requireInstalled(this.deps.models, name);
    this.flags.save(m, flags, driverOf(this.deps.drivers, m));
    return requireInstalled(this.deps.models, name);
  }

  // ---- activate / deactivate ---------------------------------------------------------------------

  /** Activations in progress, by request: the same activation asked again joins the one running. */
  private readonly inFlight = new Map<string, Promise<unknown>>();

  private joined<T>(key: string, run: () => Promise<T>): Promise<T> {
    const running = this.inFlight.get(key) as Promise<T> | undefined;
    if (running) return running;
    const p = run().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }

  /** The slot an installed model goes in by its capability (an embedding model on Ollama → embeddings). */
  async slotFor(name: string): Promise<Slot> {
    const m = requireInstalled(this.deps.models, name);
    return (await driverOf(this.deps.drivers, m).slotOf?.(m)) ?? 'chat';
  }

  /** An installed model, under the lifecycle rules. */
  activate(body: ActivateBody): Promise<Activation> {
    return this.joined(JSON.stringify([body.name, body.runtime ?? null, body.flags ?? null, body.slot ?? null]), () => this.activateInstalled(body));
  }

  /**
   * By provider and model (`POST /api/v1/system/llm-runtime/active`): an installed model of a local
   * provider goes through `activate`; a provider whose driver knows its own models (remote) serves the
   * model it names — such models are not in the manifest, so a remote `Qwen/Qwen3-8B` and a local
   * install of that name stay apart.
   */
  async activateProvider(body: { provider: string; model: string; flags?: RuntimeFlags }): Promise<ActiveEndpointInfo> {
    const driver = this.deps.drivers.byProvider(body.provider);
    if (!driver) {
      const known = this.deps.drivers.all().map((d) => d.provider).join(', ');
      throw new AppError('bad_request', `No provider "${body.provider}" is set up in Switchyard (known: ${known}). Add it first (Providers), or pick one of those.`);
    }
    if (driver.models === 'manifest') {
      const m = requireInstalled(this.deps.models, body.model);
      if (m.provider !== driver.provider) throw new AppError('model_not_found', `${m.name} is installed from ${m.provider}, not ${body.provider}. Ask for provider "${m.provider}".`);
      await this.activate({ name: m.name, flags: body.flags });
      // a local model named here is the default: the chat slot is, instead of a remote model
      await this.clearDefault(`${m.name} (the chat slot) is the default now.`);
    } else {
      if (body.flags && Object.keys(body.flags).length) throw new AppError('bad_request', `flags apply to vLLM models only; ${driver.label} is configured by its provider.`);
      await this.joined(JSON.stringify([body.provider, body.model]), () => this.run(driver, { name: body.model, provider: driver.provider, runtime: driver.runtime }, {}, Date.now()));
    }
    return this.endpointInfo();
  }

  private async activateInstalled(body: ActivateBody): Promise<Activation> {
    const m = requireInstalled(this.deps.models, body.name);
    const driver = driverOf(this.deps.drivers, m);
    const runtime = body.runtime ?? m.runtime;
    if (runtime !== m.runtime) {
      const wanted = this.deps.drivers.requireLocalRuntime(runtime).label;
      throw new AppError('lifecycle_violation', `${m.name} is served by ${driver.label}, not ${wanted}. Activate it on ${driver.label}.`);
    }
    if (m.status !== 'installed') {
      throw new AppError('lifecycle_violation', `${m.name} is ${m.status}, not installed — finish or retry its install first (Operations).`);
    }
    if (!this.checks.validated(m)) {
      throw new AppError(
        'model_not_validated',
        `${m.name}'s files are not verified (they changed on disk, or a check failed). Verify them again (POST /api/v1/models/${encodeURIComponent(m.name)}/verify, Installed › Verify) or reinstall the model.`,
      );
    }
    if (body.flags && Object.keys(body.flags).length && !driver.launchFlags) {
      throw new AppError('bad_request', `flags apply to vLLM models only; ${driver.label} takes its options per request.`);
    }
    const slot = body.slot ?? (await driver.slotOf?.(m)) ?? 'chat';
    if (!slotsOf(driver).includes(slot)) {
      throw new AppError('lifecycle_violation', `${driver.label} serves the ${slotsOf(driver).join(' and ')} slot only — activate ${m.name} without "slot", or install an embedding model for a runtime that serves the embeddings slot (Ollama).`);
    }
    const { flags, sources } = driver.launchFlags ? this.flags.effective(m, body.flags ?? {}, true) : { flags: null, sources: null };
    this.checkSlotsFit(slot, m, driver, flags ?? {});
    const started = Date.now();
    if (slot === 'embeddings') {
      const endpoint = await this.embeddings.activate(driver, m, (ok, details) => {
        this.deps.models.addValidation(m.name, 'activation', ok, details);
        if (ok) this.deps.models.touchLastUsed(m.name);
      });
      this.deps.events.emit({ type: 'models.changed' });
      return { model: m.name, runtime, slot, serving: true, base_url: endpoint.apiBase.replace(/\/v1$/, ''), api_base: endpoint.apiBase, flags: null, flag_sources: null, load_ms: Date.now() - started };
    }
    const endpoint = await this.run(driver, m, flags ?? {}, started, (load_ms) => {
      this.chatFlags = { model: m.name, flags: flags ?? {} };
      this.deps.models.addValidation(m.name, 'activation', true, { runtime, flags, load_ms });
      this.deps.models.touchLastUsed(m.name);
    });
    this.deps.events.emit({ type: 'models.changed' });
    return { model: m.name, runtime, slot, serving: true, base_url: endpoint.apiBase.replace(/\/v1$/, ''), api_base: endpoint.apiBase, flags, flag_sources: sources, load_ms: Date.now() - started };
  }

  /** One activation on any driver: offline check, the driver's refusals, leaving the previous endpoint, events. */
  private async run(driver: ServingDriver, model: ServedModel, flags: RuntimeFlags, started: number, recorded?: (loadMs: number) => void): Promise<ServingEndpoint> {
    const remote = driver.localRuntime === null;
    const generation = remote ? ++this.defaultGeneration : ++this.generation;
    const current = () => generation === (remote ? this.defaultGeneration : this.generation);
    const record = driver.models === 'manifest';
    const slot = eventSlot(driver);
    this.active.begin(driver);
    this.active.emit(model, 'starting', `Starting ${driver.label} for ${model.name}…`, null, slot);
    try {
      if (driver.requiresNetwork && this.deps.settings.get().catalog.offline) {
        throw new AppError('offline', `${model.name} is served by a remote endpoint and Switchyard is offline. Turn offline mode off (Settings › Catalog) to use it.`);
      }
      driver.check?.(model, flags);
      await this.leave(driver);
      const endpoint = await driver.activate(model, flags, {
        slot: 'chat',
        isCurrent: current,
        onLoading: (message) => this.active.emit(model, 'loading', message, null, slot),
      });
      if (!current()) throw new AppError('cancelled', `The activation of ${model.name} was superseded by a newer request.`);
      const loadMs = Date.now() - started;
      recorded?.(loadMs);
      this.active.served(driver, model, `${model.name} is served by ${driver.label} (${loadMs} ms).`);
      return endpoint;
    } catch (error) {
      const code = isAppError(error) ? error.code : 'runtime_failed';
      if (record && code !== 'cancelled') this.deps.models.addValidation(model.name, 'activation', false, { runtime: model.runtime, error: { code, message: errorMessage(error) } });
      this.active.emit(model, 'failed', errorMessage(error), { code, message: errorMessage(error) }, slot);
      if (record) this.deps.events.emit({ type: 'models.changed' });
      throw error;
    }
  }

  /**
   * Before `next` serves, what it replaces: a local driver replaces the chat slot's (the runtime
   * manager's switch stops the other runtime), a process-less one the remote default. Neither touches
   * the other: a remote default stays while the chat slot changes, and the chat slot keeps serving by
   * name while a remote model becomes the default.
   */
  private async leave(next: ServingDriver): Promise<void> {
    if (next.localRuntime !== null) {
      const chat = this.active.chatDriver();
      // the runtime keeps serving the embeddings slot (the switch leaves it running): its chat model goes
      if (chat && chat !== next && this.embeddings.current()?.driver === chat) await chat.deactivate(null, 'chat');
      return;
    }
    const current = this.active.remoteDriver();
    if (!current || current === next) return;
    this.active.clear(current);
    this.active.retire(current, `${next.label} serves the default route instead.`);
    await current.deactivate(null);
  }

  /** The remote default is forgotten: the chat slot is the default again (`deactivated` for the remote model). */
  private async clearDefault(reason: string): Promise<void> {
    const remote = this.active.remoteDriver();
    // a stored default not in effect (its provider cannot serve now) does not come back either
    if (!remote) return this.active.forgetSaved();
    this.defaultGeneration++;
    // forgotten before the event, so the table rebuilt on it has the chat slot as the default
    this.active.clear(remote);
    this.active.retire(remote, reason);
    await remote.deactivate(null);
  }

  /**
   * A runtime switch (Runtimes screen, tray, `llm-servers/active`): with a model — given, or vLLM's last
   * one — it is a model activation under the same rules; without, the runtime just starts.
   */
  async switchTo(runtime: RuntimeName, model?: string | null): Promise<void> {
    const next = this.deps.drivers.byLocalRuntime(runtime);
    // a driver that requires a model (vLLM: one per process) takes its last one; none: refused before anything stops
    const target = model ?? (next?.requiresModel ? this.deps.runtimes.activeInfo().last_models[runtime] : null);
    if (target) {
      await this.activate({ name: target, runtime });
      return;
    }
    if (next?.requiresModel) throw new AppError('bad_request', `${next.label} serves one model per process and has served none yet: pass model_name (one of its installed models), or activate one under Installed.`);
    if (next) await this.leave(next);
    this.generation++;
    await this.deps.runtimes.activate(runtime);
  }

  /** Unloads (Ollama, keep_alive 0), stops (vLLM) or forgets (a remote endpoint) the active model. */
  async deactivate(body: { name?: string; runtime?: string; slot?: Slot } = {}): Promise<{ runtime: string | null; model: string | null; message: string }> {
    if (body.runtime && !this.deps.drivers.byRuntime(body.runtime)) this.deps.drivers.requireLocalRuntime(body.runtime);
    const inEmbeddings = this.embeddings.current();
    const namesEmbeddings = body.name !== undefined && inEmbeddings !== null && sameModelName(body.name, inEmbeddings.model);
    if (body.slot === 'embeddings' || (namesEmbeddings && !body.slot)) {
      const off = await this.embeddings.deactivate();
      this.deps.events.emit({ type: 'models.changed' });
      return off ? { ...off, message: `${off.model} is no longer served in the embeddings slot.` } : { runtime: body.runtime ?? null, model: null, message: 'The embeddings slot is empty; nothing to deactivate.' };
    }
    // no slot, model or runtime named: both slots
    if (!body.slot && !body.name && !body.runtime && inEmbeddings) {
      const chat = await this.deactivate({ slot: 'chat' });
      const off = await this.embeddings.deactivate();
      this.deps.events.emit({ type: 'models.changed' });
      const message = [chat.model ? chat.message : null, off ? `${off.model} is no longer served in the embeddings slot.` : null].filter(Boolean).join(' ');
      // the answer names the chat slot's model, or the embedding model when it was all that served
      return chat.model || !off ? { ...chat, message } : { ...off, message };
    }
    const named = body.name ? requireInstalled(this.deps.models, body.name) : null;
    const runtime = body.runtime ?? named?.runtime ?? null;
    const chat = this.active.chatDriver();
    const remote = this.active.remoteDriver();
    // several remote providers share the runtime 'remote': the default's is meant; nothing named: the
    // chat slot's model, else the remote default
    const driver = runtime
      ? chat?.runtime === runtime
        ? chat
        : remote?.runtime === runtime
          ? remote
          : this.deps.drivers.byRuntime(runtime)
      : chat?.state().model
        ? chat
        : (remote ?? chat);
    if (!driver) return { runtime, model: null, message: 'No runtime is active; nothing to deactivate.' };
    const model = driver.state().model;
    if (named && (!model || !sameModelName(model, named.name))) {
      throw new AppError('model_not_active', `${named.name} is not the active model of ${driver.label} (${model ?? 'none is'}). Nothing to deactivate.`);
    }
    if (driver.localRuntime === null) this.defaultGeneration++;
    else this.generation++;
    const announced = this.active.announcedModel(driver);
    await driver.deactivate(model);
    if (driver.localRuntime === null) {
      this.active.clear(driver);
      // deactivating the remote default forgets a stored one waiting for its provider too
      this.active.forgetSaved();
    }
    // a model activated on the runtime directly (not announced) still gets its one `deactivated` event
    // only what this driver announced is retired (a remote default stays when a local slot is emptied)
    if (!(announced && this.active.retire(driver, 'deactivated on request.')) && model && !announced) this.active.emit({ name: model, runtime: driver.runtime }, 'deactivated', `${model} is no longer served.`, null, eventSlot(driver));
    this.deps.events.emit({ type: 'models.changed' });
    return { runtime: driver.runtime, model, message: model ? `${model} is no longer served by ${driver.label}.` : `${driver.label} had no model loaded.` };
  }

  // ---- internals ---------------------------------------------------------------------------------

  /** The two slots' models must fit in the GPU's memory together (the RAM without one): refused with the numbers. */
  private checkSlotsFit(slot: Slot, m: ModelRecord, driver: ServingDriver, flags: RuntimeFlags): void {
    const otherSlot: Slot = slot === 'chat' ? 'embeddings' : 'chat';
    const held = slot === 'chat' ? this.embeddings.current() : this.chatHeld();
    if (!held || sameModelName(held.model, m.name)) return;
    const other = this.deps.models.find(held.model);
    if (!other) return;
    slotFit(this.deps.fitRequest().gpus, [
      { slot, model: m, driver, flags },
      { slot: otherSlot, model: other, driver: held.driver, flags: this.chatFlags?.model === other.name ? this.chatFlags.flags : held.driver.launchFlags ? this.flags.effective(other, {}, true).flags : {} },
    ]);
  }

  /** The chat slot's local model, if one is served. */
  private chatHeld(): { driver: ServingDriver; model: string } | null {
    const driver = this.active.chatDriver();
    const model = driver ? this.active.announcedModel(driver) : null;
    return driver && model ? { driver, model } : null;
  }
}
