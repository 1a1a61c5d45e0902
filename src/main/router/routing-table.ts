import type { Alias, Route, RouteEndpoint, Slot } from '../../shared/api/router';
import { AppError } from '../../shared/errors';
import type { SettingsService } from '../config';
import type { DriverRegistry, ServingDriver } from '../drivers/serving-driver';
import type { EventBus } from '../events';
import type { Logger } from '../logger';
import type { ActivationService } from '../models/activation';
import type { ModelsRepo } from '../models/models-repo';
import type { RemoteProviders } from '../remote/provider-service';
import type { ServingEndpoint } from '../serving/endpoint';
import type { AliasRepo } from './alias-repo';
import { HealthChecks } from './health';
import { OnDemand } from './on-demand';
import { RoutingSnapshot, type RemoteInput, type Resolution, type RouteEntry, type SlotInput } from './table';

export interface RoutingTableDeps {
  activation: ActivationService;
  drivers: DriverRegistry;
  models: ModelsRepo;
  providers: RemoteProviders;
  aliases: AliasRepo;
  settings: SettingsService;
  events: EventBus;
  logger: Logger;
  /** NetClient's fetch, for the health checks */
  fetch: typeof fetch;
  now?: () => number;
}

const RETRY_AFTER_S = 5;

/**
 * The router: one table for every model by name, rebuilt when a slot, a provider, a validation, a
 * health result, an alias, offline mode or a router setting changes — never per request. The relay
 * asks `resolve()` (a map read), then `ensureLoaded()` for the endpoint (at once unless a load on
 * demand is due), and `touch()`es what it used (idle unload).
 */
export class RoutingTable {
  private snapshot: RoutingSnapshot;
  readonly health: HealthChecks;
  readonly onDemand: OnDemand;
  private readonly off: (() => void)[] = [];

  constructor(private readonly deps: RoutingTableDeps) {
    this.health = new HealthChecks({
      targets: () => this.healthTargets(),
      intervalSeconds: () => deps.settings.get().router.healthIntervalSeconds,
      offline: () => deps.settings.get().catalog.offline,
      fetch: deps.fetch,
      // a provider's health is news for every screen that shows it; the table is rebuilt on that event
      onChange: (provider) => deps.events.emit({ type: 'providers.changed', provider }),
      logger: deps.logger,
      now: deps.now,
    });
    this.onDemand = new OnDemand({
      slotFor: (model) => deps.activation.slotFor(model),
      activate: async (model, slot) => void (await deps.activation.activate({ name: model, slot })),
      // the chat slot's own runtime: a remote default route is not what idles
      deactivate: async (slot) => void (await deps.activation.deactivate(slot === 'chat' ? { slot, runtime: this.snapshot.slot('chat')?.runtime } : { slot })),
      held: (slot) => this.held()[slot],
      endpointOf: (model) => this.snapshot.byName(model)?.endpoint ?? null,
      changed: () => this.rebuild(),
      settings: () => deps.settings.get().router,
      logger: deps.logger,
      now: deps.now,
    });
    this.snapshot = this.build();
    this.off.push(deps.events.on(() => this.rebuild(), ['runtime.state', 'model.activation', 'models.changed', 'providers.changed']));
    let router = JSON.stringify(deps.settings.get().router);
    this.off.push(
      deps.events.on(() => {
        const next = JSON.stringify(deps.settings.get().router);
        if (next !== router) {
          router = next;
          this.health.schedule();
          this.onDemand.retime(this.held());
        }
        this.rebuild();
      }, ['settings.changed']),
    );
    this.health.schedule();
    // the providers kept from the last session are checked now, not one interval later
    if (deps.settings.get().router.healthIntervalSeconds > 0) void this.health.round().catch((error) => deps.logger.warn({ error: String(error) }, 'health check failed'));
  }

  /** The route for a request's `model` on an endpoint, or the refusal (status, code, message, Retry-After). */
  resolve(model: string | undefined, endpoint: RouteEndpoint): Resolution {
    return this.snapshot.resolve(model, endpoint);
  }

  /** Where a resolved route's requests go: at once when it serves, after its load on demand otherwise. */
  ensureLoaded(route: RouteEntry, signal?: AbortSignal): Promise<ServingEndpoint> {
    return this.onDemand.ensureLoaded(route, signal);
  }

  /** A request used a local route (idle unload counts from the last use): call at its start and its end. */
  touch(route: RouteEntry): void {
    if (route.slot) this.onDemand.touch(route.slot, route.name);
  }

  /** Every route (`GET /api/v1/router/routes`), health as of the latest check. */
  routes(): Route[] {
    return this.snapshot.routes().map((r) => (r.target.kind === 'remote' ? { ...r, health: this.health.of(r.target.provider) } : r));
  }

  /** `/v1/models`: what answers now. */
  models(): { object: 'list'; data: ReturnType<RoutingSnapshot['models']> } {
    return { object: 'list', data: this.snapshot.models() };
  }

  defaultRoute(): string | null {
    return this.snapshot.defaultRoute()?.name ?? null;
  }

  // ---- aliases -------------------------------------------------------------------------------------

  aliases(): Alias[] {
    return this.deps.aliases.list();
  }

  /** A target must be a route (not an alias: no cycles); an alias may not shadow an installed local model. */
  setAlias(alias: string, target: string): Alias {
    if (this.deps.aliases.get(target)) throw new AppError('validation_error', `${target} is an alias itself — point ${alias} at a route (GET /api/v1/router/routes lists them).`);
    if (!this.snapshot.byName(target) && !this.installedRoute(target)) throw new AppError('model_not_found', `No route is named ${target} — use a name GET /api/v1/router/routes lists (a local model, or <provider>/<model>).`);
    const local = this.deps.models.find(alias);
    if (local && local.status !== 'removed') throw new AppError('conflict', `${alias} is an installed local model: an alias of that name would hide it — choose another name.`);
    const saved = this.deps.aliases.set(alias, target, new Date((this.deps.now ?? Date.now)()).toISOString());
    this.rebuild();
    return saved;
  }

  removeAlias(alias: string): void {
    if (!this.deps.aliases.remove(alias)) throw new AppError('not_found', `No alias ${alias} — GET /api/v1/router/aliases lists them.`);
    this.rebuild();
  }

  stop(): void {
    for (const off of this.off) off();
    this.health.close();
    this.onDemand.close();
  }

  /** Builds the table again from what serves now (an event, a health change, an alias, a load). */
  rebuild(): void {
    this.snapshot = this.build();
    this.onDemand.follow(this.held());
  }

  // ---- sources -------------------------------------------------------------------------------------

  private build(): RoutingSnapshot {
    const settings = this.deps.settings.get();
    return new RoutingSnapshot({
      slots: this.slots(),
      installed: this.deps.models
        .list()
        .filter((m) => m.status === 'installed')
        .map((m) => ({ name: m.name, provider: m.provider, runtime: m.runtime, slot: 'chat' as Slot })),
      remotes: this.remotes(),
      aliases: this.deps.aliases.list(),
      defaultRoute: this.defaultName(),
      offline: settings.catalog.offline,
      loadOnDemand: settings.router.loadOnDemand,
      switching: this.onDemand?.switching ?? new Set(),
      retryAfterS: RETRY_AFTER_S,
    });
  }

  /** The chat slot: the active local driver's model, or a local runtime left serving a model. */
  private chatDriver(): ServingDriver | null {
    const chat = this.deps.activation.active.chatDriver();
    if (chat) return chat;
    return this.deps.drivers.all().find((d) => d.localRuntime !== null && d.state('chat').phase !== 'down' && d.state('chat').model !== null) ?? null;
  }

  private slots(): SlotInput[] {
    const out: SlotInput[] = [];
    const chat = this.chatDriver();
    const chatState = chat?.state('chat');
    if (chat && chatState?.model) out.push({ slot: 'chat', model: chatState.model, provider: chat.provider, runtime: chat.runtime, phase: chatState.phase, endpoint: chat.endpoint('chat'), label: chat.label });
    const emb = this.deps.activation.embeddings.current();
    if (emb) {
      const state = emb.driver.state('embeddings');
      out.push({ slot: 'embeddings', model: emb.model, provider: emb.driver.provider, runtime: emb.driver.runtime, phase: state.phase, endpoint: emb.driver.endpoint('embeddings'), label: emb.driver.label });
    }
    return out;
  }

  private held(): Record<Slot, string | null> {
    return { chat: this.snapshot?.slot('chat')?.name ?? null, embeddings: this.snapshot?.slot('embeddings')?.name ?? null };
  }

  private remotes(): RemoteInput[] {
    return [...this.providerRoutes(), ...this.driverRoutes()];
  }

  /**
   * A process-less driver that is not a registered provider (a plugin's, a test's) and serves now: its
   * model is routed too, as `<provider>/<model>`, trusted as its activation checked it.
   */
  private driverRoutes(): RemoteInput[] {
    const active = this.deps.activation.active.remoteDriver();
    if (!active || this.deps.providers.find(active.provider)) return [];
    const model = active.state('chat').model;
    const endpoint = active.endpoint('chat');
    if (!model || !endpoint) return [];
    const { model: _served, ...target } = endpoint;
    return [{ provider: active.provider, models: [model], enabled: true, validation: 'current', health: { status: 'unknown', last_check_at: null, latency_ms: null, error: null }, supports: { embeddings: true, completions: true }, endpoint: target, requiresNetwork: active.requiresNetwork }];
  }

  private providerRoutes(): RemoteInput[] {
    return this.deps.providers.list().map((p) => {
      const last = p.validation.last;
      const validation = !last ? 'never' : !last.ok ? 'failed' : last.current ? 'current' : 'stale';
      return {
        provider: p.id,
        models: this.deps.providers.models(p.id).models.map((m) => m.id),
        enabled: p.enabled,
        validation,
        health: this.health.of(p.id),
        supports: p.supports,
        endpoint: this.remoteEndpoint(p.id),
        fallback: p.fallback,
      };
    });
  }

  /**
   * Where a provider's requests go: the configuration its last passing validation saw (a provider
   * changed since has none, so its routes are `stale` and nothing is sent to it).
   */
  private remoteEndpoint(id: string): Omit<ServingEndpoint, 'model'> | null {
    try {
      const target = this.deps.providers.servingTarget(id);
      return { kind: 'remote', provider: id, runtime: 'remote', apiBase: target.base, headers: target.headers, transport: 'net' };
    } catch {
      return null;
    }
  }

  private healthTargets(): { provider: string; apiBase: string; headers: Record<string, string> }[] {
    return this.deps.providers
      .list()
      .filter((p) => p.enabled && p.validation.last?.ok)
      .flatMap((p) => {
        const e = this.remoteEndpoint(p.id);
        return e ? [{ provider: p.id, apiBase: e.apiBase, headers: e.headers }] : [];
      });
  }

  /**
   * The default route: the remote model `llm-runtime/active` made the default while it is in effect
   * (one offline or down still answers requests without a model with its route's refusal); none, or a
   * stored one whose provider cannot serve now (disabled, changed, removed: `serving/restore.ts`): the
   * chat slot is the default, as `llm-runtime/active` says.
   */
  private defaultName(): string | null {
    const remote = this.deps.activation.active.remoteDriver();
    const model = remote?.state('chat').model;
    return remote && model ? `${remote.provider}/${model}` : null;
  }

  private installedRoute(name: string): boolean {
    const m = this.deps.models.find(name);
    return m !== null && m !== undefined && m.status === 'installed';
  }
}
