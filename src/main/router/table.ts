import { REFUSAL_STATUS, type RefusalCode, type Route, type RouteEndpoint, type RouteHealth, type RouteState, type Slot } from '../../shared/api/router';
import type { ServingEndpoint } from '../serving/endpoint';

/**
 * The routing table as data: built from a snapshot of what serves (slots, installed models, remote
 * providers, aliases, the default route, offline mode, load on demand) whenever one of those changes,
 * never per request. `resolve` is a map read; every refusal is decided here at build time.
 */

/** A local slot that holds a model now. */
export interface SlotInput {
  slot: Slot;
  model: string;
  provider: string;
  runtime: string;
  phase: 'serving' | 'starting' | 'unresponsive' | 'down';
  endpoint: ServingEndpoint | null;
  /** what users read for its runtime ("vLLM", "Ollama") */
  label: string;
}

/** An installed local model (a row of the manifest), and the slot it would load into. */
export interface InstalledInput {
  name: string;
  provider: string;
  runtime: string;
  slot: Slot;
}

export interface RemoteInput {
  provider: string;
  /** the models its last validation listed plus those added by hand */
  models: string[];
  enabled: boolean;
  /** `current`: the last validation passed with today's configuration */
  validation: 'current' | 'stale' | 'failed' | 'never';
  health: RouteHealth;
  supports: { embeddings: boolean; completions: boolean };
  /** where requests go (null: its target cannot be built, e.g. unregistered meanwhile) */
  endpoint: Omit<ServingEndpoint, 'model'> | null;
  /** false for an endpoint offline mode does not concern (a process-less driver on this machine) */
  requiresNetwork?: boolean;
  /** the provider's configured fallback, offered when its routes are down */
  fallback?: { provider: string; model: string } | null;
}

export interface TableInput {
  slots: SlotInput[];
  installed: InstalledInput[];
  remotes: RemoteInput[];
  aliases: { alias: string; target: string }[];
  /** a route's name (`openai/gpt-4o-mini`, or a local model's), or null */
  defaultRoute: string | null;
  offline: boolean;
  loadOnDemand: boolean;
  /** local models being evicted by a load on demand: `model_switching` until it ends */
  switching: ReadonlySet<string>;
  /** seconds a client should wait before retrying a `model_switching` */
  retryAfterS: number;
}

export interface Refusal {
  status: number;
  code: RefusalCode;
  message: string;
  /** seconds, for `Retry-After` (model_switching) */
  retryAfter?: number;
  /** upstream_down: the route to try instead (the provider's configured fallback), resolved like any name */
  fallback?: string;
}

/** Internal states: the API's plus the local ones that never show as routes of their own. */
type EntryState = RouteState | 'not_loaded' | 'switching' | 'starting' | 'unresponsive';

export interface RouteEntry {
  /** the route's name: a local model's, or `<provider>/<model>` */
  name: string;
  kind: 'local' | 'remote';
  provider: string;
  runtime: string;
  upstreamModel: string;
  slot: Slot | null;
  /** the slot a load on demand puts it in (local models) */
  loadSlot: Slot | null;
  state: EntryState;
  health: RouteHealth;
  /** null until a local model is loaded (then `RoutingTable.ensureLoaded` gives it) */
  endpoint: ServingEndpoint | null;
  embeddings: boolean;
  completions: boolean;
  refusal: Refusal | null;
}

export type Resolution = { ok: true; route: RouteEntry; endpoint: ServingEndpoint | null; upstreamModel: string; load: boolean } | ({ ok: false } & Refusal);

type Lookup = { route: RouteEntry } | { refusal: Refusal };

const UNKNOWN_HEALTH: RouteHealth = { status: 'unknown', last_check_at: null, latency_ms: null, error: null };

export function refusal(code: RefusalCode, message: string, retryAfter?: number): Refusal {
  return retryAfter === undefined ? { status: REFUSAL_STATUS[code], code, message } : { status: REFUSAL_STATUS[code], code, message, retryAfter };
}

/** How clients may spell a local model: case aside, without `:latest`, without the repo's organisation. */
export function loose(name: string): string {
  return name.toLowerCase().replace(/:latest$/, '');
}

export class RoutingSnapshot {
  private readonly names = new Map<string, Lookup>();
  /** the local spellings (`loose`), read only when the exact name missed */
  private readonly looseNames = new Map<string, Lookup>();
  private readonly entries: RouteEntry[] = [];
  private readonly aliasesOf = new Map<string, string[]>();
  private readonly defaultEntry: RouteEntry | null;
  private readonly slotEntries = new Map<Slot, RouteEntry>();

  private readonly remotes: RemoteInput[];

  constructor(private readonly input: TableInput) {
    // a provider that never passed a validation contributes nothing; one changed since it passed is `stale`
    this.remotes = input.remotes.filter((r) => r.validation === 'current' || r.validation === 'stale');
    // lowest priority first: a later set() of the same name wins (resolution order, reversed)
    this.addBareRemoteNames();
    for (const r of this.remotes) for (const m of r.models) this.addRemote(r, m);
    for (const m of input.installed) this.addInstalled(m);
    const def = input.defaultRoute ? this.lookup(input.defaultRoute) : undefined;
    this.defaultEntry = def && 'route' in def ? def.route : null;
    if (this.defaultEntry) {
      // the default's model as clients of "the active model" spell it (case aside, without the organisation);
      // a local slot's names, added next, win over these
      const up = this.defaultEntry.upstreamModel;
      this.set(up, { route: this.defaultEntry });
      this.looseNames.set(loose(up), { route: this.defaultEntry });
      const short = up.slice(up.lastIndexOf('/') + 1);
      if (short !== up) this.looseNames.set(loose(short), { route: this.defaultEntry });
    }
    for (const s of input.slots) this.addSlot(s);
    for (const a of input.aliases) {
      const target = this.lookup(a.target);
      this.set(a.alias, target ?? { refusal: refusal('model_not_found', `The alias \`${a.alias}\` points at \`${a.target}\`, which no route serves now — point it elsewhere (PUT /api/v1/router/aliases/${a.alias}) or make \`${a.target}\` available.`) });
      if (target && 'route' in target) this.aliasesOf.set(target.route.name, [...(this.aliasesOf.get(target.route.name) ?? []), a.alias]);
    }
  }

  /** The route for a request's `model` on an endpoint, or the refusal that answers it. A map read. */
  resolve(model: string | undefined, endpoint: RouteEndpoint): Resolution {
    const name = model?.trim() ? model.trim() : null;
    const found = name === null ? this.unnamed(endpoint) : this.lookup(name);
    if (!found) return { ok: false, ...this.unknown(name!) };
    if ('refusal' in found) return { ok: false, ...found.refusal };
    const route = found.route;
    if (route.refusal) return { ok: false, ...route.refusal };
    if (endpoint === 'embeddings' ? !route.embeddings : endpoint === 'completions' && !route.completions) {
      return { ok: false, ...refusal('endpoint_not_supported', `${route.provider} does not offer /v1/${endpoint === 'embeddings' ? 'embeddings' : 'completions'} — use another route for it (GET /api/v1/router/routes).`) };
    }
    return { ok: true, route, endpoint: route.endpoint, upstreamModel: route.upstreamModel, load: route.state === 'loadable' };
  }

  /** Every route as the API lists it (installed models not loaded are routes only with load on demand). */
  routes(): Route[] {
    // local first (slots, then loadable), then remote: the order users read them in
    return [...this.entries.filter((e) => e.kind === 'local').sort((a, b) => slotRank(a) - slotRank(b)), ...this.entries.filter((e) => e.kind === 'remote')]
      .filter((e) => e.state !== 'not_loaded')
      .map((e) => ({
        model: e.name,
        target: { kind: e.kind, provider: e.provider, runtime: e.runtime, upstream_model: e.upstreamModel },
        slot: e.slot,
        state: publicState(e.state),
        health: e.health,
        aliases: this.aliasesOf.get(e.name) ?? [],
        default: e === this.defaultRoute(),
      }));
  }

  /** `/v1/models`: what answers now — both slots, routable remote models, loadable local ones; the default route first (Chat's initial choice). */
  models(): { id: string; object: 'model'; created: number; owned_by: string }[] {
    const created = Math.floor(Date.now() / 1000);
    const def = this.defaultRoute();
    return [...(def ? [def] : []), ...this.entries.filter((e) => e !== def)]
      .filter((e) => e.state === 'serving' || e.state === 'loadable' || e.state === 'starting')
      .map((e) => ({ id: e.name, object: 'model' as const, created, owned_by: e.kind === 'remote' ? e.provider : e.runtime }));
  }

  /** The default route: the remote model set as the default, else the chat slot's model (null: neither). */
  defaultRoute(): RouteEntry | null {
    return this.defaultEntry ?? this.slotEntries.get('chat') ?? null;
  }

  slot(slot: Slot): RouteEntry | null {
    return this.slotEntries.get(slot) ?? null;
  }

  /** A route by its own name (an alias's target, a default to set). */
  byName(name: string): RouteEntry | null {
    const found = this.names.get(name);
    return found && 'route' in found && found.route.name === name ? found.route : null;
  }

  lookup(name: string): Lookup | undefined {
    return this.names.get(name) ?? this.looseNames.get(loose(name));
  }

  // ---- build ---------------------------------------------------------------------------------------

  private set(name: string, value: Lookup): void {
    this.names.set(name, value);
  }

  private unnamed(endpoint: RouteEndpoint): Lookup | undefined {
    const chat = this.slotEntries.get('chat');
    const pick = endpoint === 'embeddings' ? (this.slotEntries.get('embeddings') ?? this.defaultEntry ?? chat) : (this.defaultEntry ?? chat);
    if (pick) return { route: pick };
    return { refusal: refusal('no_active_model', 'No model is active in Switchyard and the request names none — name a model (GET /v1/models lists them), or activate one (Switchyard › Installed › Activate).') };
  }

  /** what an unknown name's message lists: built once per table, not per request */
  private served: string | null = null;

  private unknown(name: string): Refusal {
    if (this.served === null) {
      const ids = this.entries.filter((e) => e.state === 'serving' || e.state === 'loadable').map((e) => `\`${e.name}\``);
      this.served = ids.length ? ` (it serves ${ids.slice(0, 8).join(', ')}${ids.length > 8 ? ', …' : ''})` : '';
    }
    return refusal(
      'model_not_found',
      `The model \`${name}\` is not served by Switchyard${this.served} — install or activate it, add a provider that lists it, or set an alias (PUT /api/v1/router/aliases/{alias}).`,
    );
  }

  private addBareRemoteNames(): void {
    const servers = new Map<string, string[]>();
    for (const r of this.remotes) for (const m of r.models) servers.set(m, [...(servers.get(m) ?? []), `${r.provider}/${m}`]);
    for (const [model, qualified] of servers) {
      if (qualified.length === 1) continue; // the route itself is added under this name below
      this.set(model, { refusal: refusal('ambiguous_model', `Several routes serve \`${model}\`: ${qualified.map((q) => `\`${q}\``).join(', ')} — name one of them, or set an alias.`) });
    }
  }

  private addRemote(r: RemoteInput, model: string): void {
    const name = `${r.provider}/${model}`;
    const state: EntryState = !r.enabled ? 'disabled' : this.input.offline && r.requiresNetwork !== false ? 'offline' : r.validation === 'stale' || !r.endpoint ? 'stale' : r.health.status === 'down' ? 'down' : 'serving';
    const entry: RouteEntry = {
      name,
      kind: 'remote',
      provider: r.provider,
      runtime: 'remote',
      upstreamModel: model,
      slot: null,
      loadSlot: null,
      state,
      health: r.health,
      endpoint: r.endpoint ? { ...r.endpoint, model } : null,
      embeddings: r.supports.embeddings,
      completions: r.supports.completions,
      refusal: remoteRefusal(state, name, r),
    };
    this.entries.push(entry);
    this.set(name, { route: entry });
    const bare = this.names.get(model);
    if (!bare || !('refusal' in bare && bare.refusal.code === 'ambiguous_model')) this.set(model, { route: entry });
  }

  private addInstalled(m: InstalledInput): void {
    if (this.input.slots.some((s) => s.model === m.name && s.runtime === m.runtime)) return;
    const switching = this.input.switching.has(m.name);
    const state: EntryState = switching ? 'switching' : this.input.loadOnDemand ? 'loadable' : 'not_loaded';
    const entry: RouteEntry = {
      name: m.name,
      kind: 'local',
      provider: m.provider,
      runtime: m.runtime,
      upstreamModel: m.name,
      slot: null,
      loadSlot: m.slot,
      state,
      health: UNKNOWN_HEALTH,
      endpoint: null,
      embeddings: true,
      completions: true,
      refusal:
        state === 'switching'
          ? refusal('model_switching', `${m.name} is being unloaded to make room for another model — retry in a moment, or load it again then.`, this.input.retryAfterS)
          : state === 'not_loaded'
            ? refusal('model_not_loaded', `${m.name} is installed but not loaded — activate it (POST /api/v1/models/activate {"name":"${m.name}"}, Installed › Activate), or turn on load on demand (Settings › Router).`)
            : null,
    };
    this.entries.push(entry);
    this.addLocalNames(entry);
  }

  private addSlot(s: SlotInput): void {
    const switching = this.input.switching.has(s.model);
    const state: EntryState = switching ? 'switching' : s.phase === 'serving' ? 'serving' : s.phase === 'unresponsive' ? 'unresponsive' : s.phase === 'starting' ? 'starting' : 'down';
    const entry: RouteEntry = {
      name: s.model,
      kind: 'local',
      provider: s.provider,
      runtime: s.runtime,
      upstreamModel: s.endpoint?.model ?? s.model,
      slot: s.slot,
      loadSlot: s.slot,
      state,
      health: UNKNOWN_HEALTH,
      endpoint: s.endpoint,
      embeddings: true,
      completions: true,
      refusal:
        state === 'switching'
          ? refusal('model_switching', `${s.model} is being unloaded to make room for another model — retry in a moment.`, this.input.retryAfterS)
          : state === 'unresponsive'
            ? refusal('runtime_unresponsive', `${s.label} stopped answering its health probe (it may be hung) while serving ${s.model}. Restart it (Switchyard › Runtimes › Restart, or POST /api/v1/system/llm-servers/${s.runtime}/restart).`)
            : state === 'down'
              ? refusal('model_not_loaded', `${s.model} is in the ${s.slot} slot but ${s.label} is not running — activate it again (Installed › Activate).`)
              : state === 'starting'
                ? refusal('model_switching', `${s.label} is still loading ${s.model} — retry in a moment.`, this.input.retryAfterS)
                : null,
    };
    this.entries.push(entry);
    this.slotEntries.set(s.slot, entry);
    this.addLocalNames(entry);
  }

  private addLocalNames(entry: RouteEntry): void {
    this.set(entry.name, { route: entry });
    this.looseNames.set(loose(entry.name), { route: entry });
    const short = entry.name.slice(entry.name.lastIndexOf('/') + 1);
    if (short !== entry.name) this.looseNames.set(loose(short), { route: entry });
  }
}

function remoteRefusal(state: EntryState, name: string, r: RemoteInput): Refusal | null {
  switch (state) {
    case 'disabled':
      return refusal('model_disabled', `${r.provider} is disabled, so ${name} is not routed — enable it (Providers › Enable, or PATCH /api/v1/remote-providers/${r.provider} {"enabled":true}).`);
    case 'offline':
      return refusal('offline', `Switchyard is in offline mode, so ${name} (a remote model) is not contacted — turn offline mode off (Settings › Catalog) to use it.`);
    case 'stale':
      return refusal('validation_stale', `${r.provider} changed since its last validation, so nothing is sent to it — validate it again (Providers › Validate, or POST /api/v1/remote-providers/${r.provider}/validate).`);
    case 'down': {
      const down = refusal('upstream_down', `${r.provider} failed its last health check (${r.health.error ?? 'no answer'}${r.health.last_check_at ? ` at ${r.health.last_check_at}` : ''}) — its routes are back as soon as a check passes; use another route meanwhile.`);
      return r.fallback ? { ...down, fallback: `${r.fallback.provider}/${r.fallback.model}` } : down;
    }
    default:
      return null;
  }
}

const slotRank = (e: RouteEntry) => (e.slot === 'chat' ? 0 : e.slot === 'embeddings' ? 1 : 2);

function publicState(state: EntryState): RouteState {
  switch (state) {
    case 'switching':
    case 'starting':
    case 'not_loaded':
      return 'loadable';
    case 'unresponsive':
      return 'down';
    default:
      return state;
  }
}
