import type { ProviderCreate, ProviderPatch, RemoteModel, RemoteProvider, Validation } from '../../shared/api/remote';
import { AppError } from '../../shared/errors';
import type { EventBus } from '../events';
import type { Logger } from '../logger';
import type { SecretStore } from '../secrets';
import type { Budgets } from './budgets';
import { periodStart } from './governance';
import { authHeaders, checkBaseUrl, configFingerprint, keyUpdate, maskKey, resolveKey, secretName, type ResolvedKey } from './keys';
import { PRESETS } from './presets';
import type { ProviderRepo, ProviderRow, ValidationRow } from './provider-repo';
import { runValidation } from './validation';
import { checkDestination, type SelfAddresses } from '../net/destinations';

type Env = Record<string, string | undefined>;

export interface RemoteProvidersOptions {
  repo: ProviderRepo;
  secrets: SecretStore;
  budgets: Budgets;
  events: EventBus;
  logger: Logger;
  env: Env;
  offline: () => boolean;
  /** NetClient's fetch: TLS with the extra CAs, proxies, and the offline refusal */
  fetch: typeof fetch;
  /** the remote model being served, if any (its provider's validation must list it) */
  active: () => { provider: string; model: string } | null;
  /** told when the active provider is unregistered, so serving stops through the one place that does it */
  onRemoved?: (provider: string) => Promise<void> | void;
  validationTimeoutMs?: number;
  now?: () => number;
  /** Switchyard's own listening addresses: a base URL may not point there */
  self?: SelfAddresses | null;
}

/** Where and how to reach a provider: what the forwarder and the test need, key included (never shown). */
export interface ProviderTarget {
  row: ProviderRow;
  base: string;
  key: string | null;
  /** non-secret headers, then the auth headers */
  headers: Record<string, string>;
}

/**
 * The registry of remote providers: registered → validated → active ↔ inactive → unregistered. Keys are
 * write-only (secret store, shown masked); a validation is current only while the configuration it saw
 * (base URL, auth, headers, key) is unchanged, and the history of validations is never rewritten.
 */
export class RemoteProviders {
  private readonly now: () => number;
  /** per provider: the validated target requests go to, or why none (see `servingTarget`) */
  private readonly snapshots = new Map<string, { target: ProviderTarget } | { error: AppError }>();

  constructor(private readonly options: RemoteProvidersOptions) {
    this.now = options.now ?? Date.now;
  }

  list(): RemoteProvider[] {
    return this.options.repo.list().map((row) => this.view(row));
  }

  ids(): string[] {
    return this.options.repo.list().map((r) => r.id);
  }

  get(id: string): RemoteProvider {
    return this.view(this.row(id));
  }

  async create(body: ProviderCreate): Promise<RemoteProvider> {
    if (this.options.repo.get(body.id)) throw new AppError('conflict', `A provider named ${body.id} exists already — change it (PATCH) or choose another id.`);
    const preset = PRESETS[body.kind];
    const rawBase = body.base_url ?? preset.baseUrl;
    if (!rawBase) throw new AppError('validation_error', `A ${preset.label} provider needs base_url: ${preset.baseHint}.`);
    this.checkFallback(body.id, body.fallback ?? null);
    const base = await this.checkedBase(rawBase);
    const key = keyUpdate(body.api_key);
    if (this.options.repo.get(body.id)) throw new AppError('conflict', `A provider named ${body.id} exists already — change it (PATCH) or choose another id.`);
    const now = new Date(this.now()).toISOString();
    const row: ProviderRow = {
      id: body.id,
      kind: body.kind,
      base_url: base,
      headers: body.headers ?? {},
      governance: body.governance ?? {},
      fallback: body.fallback ?? null,
      enabled: true,
      created_at: now,
      updated_at: now,
    };
    this.options.repo.insert(row, body.models ?? []);
    if (!key.keep && key.value) {
      try {
        this.options.secrets.set(secretName(row.id), key.value);
      } catch (error) {
        // no provider without the key it was given: the row goes, the error says why
        this.options.repo.remove(row.id);
        throw new AppError('internal_error', `The API key could not be stored in the secret store (${(error as Error).message}); nothing was registered.`);
      }
    }
    this.changed(row.id);
    return this.view(row);
  }

  async update(id: string, patch: ProviderPatch): Promise<RemoteProvider> {
    this.row(id);
    if (patch.fallback !== undefined) this.checkFallback(id, patch.fallback);
    const base = patch.base_url !== undefined ? await this.checkedBase(patch.base_url) : null;
    // read after the DNS wait: another change may have landed meanwhile
    const old = this.row(id);
    const key = keyUpdate(patch.api_key, maskKey(this.key(old)?.key ?? null));
    const row: ProviderRow = {
      ...old,
      base_url: base ?? old.base_url,
      headers: patch.headers ?? old.headers,
      governance: patch.governance ?? old.governance,
      fallback: patch.fallback !== undefined ? patch.fallback : old.fallback,
      enabled: patch.enabled ?? old.enabled,
      updated_at: new Date(this.now()).toISOString(),
    };
    const name = secretName(id);
    const previousKey = this.options.secrets.get(name);
    if (!key.keep) this.options.secrets.set(name, key.value);
    try {
      this.options.repo.update(row, patch.models);
      if (row.enabled !== old.enabled) this.options.repo.setEnabled(id, row.enabled, row.updated_at);
    } catch (error) {
      if (!key.keep) this.options.secrets.set(name, previousKey);
      throw error;
    }
    this.changed(id);
    return this.view(row);
  }

  /** Unregisters: the row, its hand-added models and its key go; its validation history stays. */
  async remove(id: string): Promise<void> {
    // ModelOps: what serves is taken off before unregister — disabling is that step, and undoable
    if (this.row(id).enabled) throw new AppError('conflict', `${id} is enabled: disable it first (PATCH /api/v1/remote-providers/${id} {"enabled":false}, or Providers › Disable), then unregister it.`);
    if (this.options.active()?.provider === id) await this.options.onRemoved?.(id);
    this.options.repo.remove(id);
    this.options.secrets.set(secretName(id), null);
    this.changed(id);
  }

  async validate(id: string, requiredModel?: string | null, signal?: AbortSignal): Promise<Validation> {
    const row = this.row(id);
    // refused, not recorded: offline says nothing about the provider, so its last validation stands
    if (this.options.offline()) {
      throw new AppError('offline', `Offline mode is on, so ${id} was not contacted and its last validation stands — turn offline mode off to validate it.`);
    }
    const key = this.key(row);
    const active = this.options.active();
    const started = new Date(this.now()).toISOString();
    const outcome = await runValidation({
      provider: row,
      key: key?.key ?? null,
      manualModels: this.options.repo.manualModels(id),
      requiredModel: requiredModel ?? (active?.provider === id ? active.model : null),
      offline: this.options.offline(),
      fetch: this.options.fetch,
      timeoutMs: this.options.validationTimeoutMs ?? 15_000,
      signal,
    });
    const record: Omit<ValidationRow, 'id'> = {
      provider_id: id,
      provider_created_at: row.created_at,
      fingerprint: this.fingerprint(row, key),
      ok: outcome.ok,
      reason_code: outcome.reason_code,
      message: outcome.message,
      steps: outcome.steps,
      models: outcome.models,
      started_at: started,
      duration_ms: Math.round(outcome.steps.reduce((n, s) => n + s.duration_ms, 0) * 100) / 100,
    };
    const saved = this.options.repo.appendValidation(record);
    this.options.logger.info({ provider: id, ok: outcome.ok, reason_code: outcome.reason_code }, 'remote provider validated');
    this.changed(id);
    return this.validationView({ ...record, id: saved }, row, key);
  }

  validations(id: string): Validation[] {
    const row = this.row(id);
    const key = this.key(row);
    return this.options.repo.validations(row).map((v) => this.validationView(v, row, key));
  }

  /** The models listed at the last validation, and those added by hand. */
  models(id: string): { models: RemoteModel[]; validated_at: string | null } {
    const row = this.row(id);
    const manual = new Set(this.options.repo.manualModels(id));
    const last = this.options.repo.validations(row, 1)[0] ?? null;
    const listed = (last?.models ?? []).filter((m) => !manual.has(m));
    return {
      models: [...listed.map((m) => ({ provider: id, id: m, source: 'listed' as const })), ...[...manual].map((m) => ({ provider: id, id: m, source: 'manual' as const }))],
      validated_at: last?.started_at ?? null,
    };
  }

  /**
   * Refuses unless the provider's last validation passed with its current configuration and knows the
   * model (listed or added by hand) — activation and fallbacks both need it.
   */
  assertServable(id: string, model: string): ProviderTarget {
    const target = this.target(id);
    const last = this.options.repo.validations(target.row, 1)[0];
    if (!last) throw new AppError('model_not_validated', `${id} has never been validated — validate it first (Providers › Validate, or POST /api/v1/remote-providers/${id}/validate).`);
    if (last.fingerprint !== this.fingerprint(target.row, this.key(target.row))) {
      throw new AppError('validation_stale', `${id}'s configuration (base URL, headers or key) changed after its last validation, so nothing is sent to it — validate it again (Providers › Validate, or POST /api/v1/remote-providers/${id}/validate).`);
    }
    if (!last.ok) throw new AppError('model_not_validated', `${id}'s last validation failed (${last.reason_code}: ${last.message}) — fix it and validate again.`);
    const known = new Set([...last.models, ...this.options.repo.manualModels(id)]);
    if (!known.has(model)) throw new AppError('model_not_found', `${model} is not among ${id}'s models at its last validation — use an id it lists, or add it by hand and validate again.`);
    return target;
  }

  /**
   * The target requests go to: the configuration the last passing validation saw, or a refusal
   * (`validation_stale` once anything changed, `model_not_validated` when it never passed). Kept per
   * provider and dropped on every change, so a request costs a map read, not a hash of the key.
   */
  servingTarget(id: string): ProviderTarget {
    let snap = this.snapshots.get(id);
    if (!snap) {
      try {
        snap = { target: this.validatedTarget(id) };
      } catch (error) {
        snap = { error: error as AppError };
      }
      this.snapshots.set(id, snap);
    }
    if ('error' in snap) throw snap.error;
    return snap.target;
  }

  private validatedTarget(id: string): ProviderTarget {
    const target = this.target(id);
    const last = this.options.repo.validations(target.row, 1)[0];
    if (!last) throw new AppError('model_not_validated', `${id} has never been validated — validate it first (Providers › Validate, or POST /api/v1/remote-providers/${id}/validate).`);
    if (last.fingerprint !== this.fingerprint(target.row, this.key(target.row))) {
      throw new AppError('validation_stale', `${id} changed after its last validation (base URL, headers or key), so nothing is sent to it — validate it again (Providers › Validate, or POST /api/v1/remote-providers/${id}/validate).`);
    }
    if (!last.ok) throw new AppError('model_not_validated', `${id}'s last validation failed (${last.reason_code}) — fix it and validate again.`);
    return target;
  }

  target(id: string): ProviderTarget {
    const row = this.row(id);
    const key = this.key(row);
    return { row, base: row.base_url, key: key?.key ?? null, headers: { ...row.headers, ...authHeaders(row.kind, key?.key ?? null) } };
  }

  find(id: string): ProviderRow | null {
    return this.options.repo.get(id);
  }

  row(id: string): ProviderRow {
    const row = this.options.repo.get(id);
    if (!row) throw new AppError('not_found', `No remote provider named ${id} — GET /api/v1/remote-providers lists them.`);
    return row;
  }

  private key(row: ProviderRow): ResolvedKey | null {
    return resolveKey(row, this.options.secrets, this.options.env);
  }

  private fingerprint(row: ProviderRow, key: ResolvedKey | null): string {
    return configFingerprint(row, key?.key ?? null);
  }

  /** A base URL as stored: the static checks, then where it leads (metadata, link-local, ourselves). */
  private async checkedBase(raw: string): Promise<string> {
    const url = checkBaseUrl(raw).url;
    await checkDestination(new URL(url), this.options.self ?? null);
    return url;
  }

  private checkFallback(id: string, fallback: { provider: string } | null): void {
    if (fallback?.provider === id) throw new AppError('validation_error', `${id} cannot fall back to itself — name another provider.`);
  }

  private changed(provider: string): void {
    this.snapshots.delete(provider);
    this.options.events.emit({ type: 'providers.changed', provider });
  }

  private validationView(v: ValidationRow, row: ProviderRow, key: ResolvedKey | null): Validation {
    return {
      id: v.id,
      provider: v.provider_id,
      ok: v.ok,
      reason_code: v.reason_code,
      message: v.message,
      steps: v.steps,
      models: v.models,
      current: v.fingerprint === this.fingerprint(row, key),
      started_at: v.started_at,
      duration_ms: v.duration_ms,
    };
  }

  private view(row: ProviderRow): RemoteProvider {
    const key = this.key(row);
    const last = this.options.repo.validations(row, 1)[0] ?? null;
    const lastView = last ? this.validationView(last, row, key) : null;
    const state = !lastView ? 'never' : !lastView.current ? 'stale' : lastView.ok ? 'current' : 'failed';
    const period = row.governance.budget?.period ?? 'month';
    const spend = this.options.repo.spend(row.id, periodStart(period, this.now()));
    const preset = PRESETS[row.kind];
    const warnings = checkBaseUrl(row.base_url).warnings;
    if (!key && preset.cloud) warnings.push(`No API key: set one here${preset.envKeys.length ? ` or in ${preset.envKeys.join(' / ')}` : ''}.`);
    return {
      id: row.id,
      kind: row.kind,
      base_url: row.base_url,
      api_key: maskKey(key?.key ?? null),
      api_key_source: key?.source ?? null,
      headers: row.headers,
      models: this.options.repo.manualModels(row.id),
      governance: row.governance,
      fallback: row.fallback,
      enabled: row.enabled,
      validation: { state, last: lastView },
      spend: { period, ...spend, cost_usd: Math.round(spend.cost_usd * 1e6) / 1e6 },
      supports: { embeddings: preset.embeddings, completions: preset.completions },
      warnings,
      created_at: row.created_at,
      updated_at: row.updated_at,
    };
  }
}
