import type { Fallback, Governance, ProviderKind, ReasonCode, RemoteUsageDay, ValidationStep } from '../../shared/api/remote';
import type { Db } from '../db/database';

/** A provider as stored: no key (the secret store has it), headers non-secret only. */
export interface ProviderRow {
  id: string;
  kind: ProviderKind;
  base_url: string;
  headers: Record<string, string>;
  governance: Governance;
  fallback: Fallback | null;
  /** false: kept with its history, routed nothing (migration 16) */
  enabled: boolean;
  created_at: string;
  updated_at: string;
}

export interface ValidationRow {
  id: number;
  provider_id: string;
  provider_created_at: string;
  fingerprint: string;
  ok: boolean;
  reason_code: ReasonCode;
  message: string;
  steps: ValidationStep[];
  models: string[];
  started_at: string;
  duration_ms: number;
}

export interface UsageEntry {
  day: string;
  provider: string;
  model: string;
  error: ReasonCode | null;
  fallback: boolean;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}

export interface Spend {
  cost_usd: number;
  requests: number;
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
}

type Raw<T> = { [K in keyof T]: T[K] extends string | number | null ? T[K] : string | number | null };

const json = <T>(text: unknown, fallback: T): T => {
  try {
    return typeof text === 'string' ? (JSON.parse(text) as T) : fallback;
  } catch {
    return fallback;
  }
};

/** How long a request's usage may wait to be written with others (what a crash could lose). */
const USAGE_WRITE_MS = 250;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** SQL of the remote providers: providers, models added by hand, the append-only validation history, spend. */
export class ProviderRepo {
  private readonly stmts;
  private readonly replaceModels;
  private readonly addUsageTx;
  /** usage of requests that ended since the last write (see `addUsage`) */
  private readonly pendingUsage: UsageEntry[] = [];
  private usageTimer: NodeJS.Timeout | null = null;
  private readonly writeUsage;
  /** rows as last read, per id (null: none), dropped by every write: a request reads its provider from here */
  private readonly rows = new Map<string, Readonly<ProviderRow> | null>();

  constructor(private readonly db: Db) {
    this.stmts = {
      insert: db.prepare(
        'INSERT INTO remote_providers (id, kind, base_url, headers, governance, fallback, created_at, updated_at) VALUES (@id, @kind, @base_url, @headers, @governance, @fallback, @created_at, @updated_at)',
      ),
      update: db.prepare('UPDATE remote_providers SET base_url = @base_url, headers = @headers, governance = @governance, fallback = @fallback, updated_at = @updated_at WHERE id = @id'),
      remove: db.prepare('DELETE FROM remote_providers WHERE id = ?'),
      setEnabled: db.prepare('UPDATE remote_providers SET enabled = ?, updated_at = ? WHERE id = ?'),
      get: db.prepare<[string], Raw<ProviderRow>>('SELECT * FROM remote_providers WHERE id = ?'),
      list: db.prepare<[], Raw<ProviderRow>>('SELECT * FROM remote_providers ORDER BY created_at, id'),
      models: db.prepare<[string], { model_id: string }>('SELECT model_id FROM remote_models WHERE provider_id = ? ORDER BY added_at, model_id'),
      clearModels: db.prepare('DELETE FROM remote_models WHERE provider_id = ?'),
      addModel: db.prepare('INSERT OR IGNORE INTO remote_models (provider_id, model_id, added_at) VALUES (?, ?, ?)'),
      appendValidation: db.prepare(
        `INSERT INTO remote_validations (provider_id, provider_created_at, fingerprint, ok, reason_code, message, steps, models, started_at, duration_ms)
         VALUES (@provider_id, @provider_created_at, @fingerprint, @ok, @reason_code, @message, @steps, @models, @started_at, @duration_ms)`,
      ),
      validations: db.prepare<[string, string, number], Raw<ValidationRow>>(
        'SELECT * FROM remote_validations WHERE provider_id = ? AND provider_created_at = ? ORDER BY id DESC LIMIT ?',
      ),
      usageRow: db.prepare<[string, string, string], { errors_by_reason: string }>('SELECT errors_by_reason FROM remote_usage_daily WHERE day = ? AND provider_id = ? AND model = ?'),
      upsertUsage: db.prepare(
        `INSERT INTO remote_usage_daily (day, provider_id, model, requests, errors, fallbacks, prompt_tokens, completion_tokens, cost_usd, errors_by_reason)
         VALUES (@day, @provider, @model, 1, @errors, @fallbacks, @prompt, @completion, @cost, @reasons)
         ON CONFLICT (day, provider_id, model) DO UPDATE SET
           requests = requests + 1, errors = errors + excluded.errors, fallbacks = fallbacks + excluded.fallbacks,
           prompt_tokens = prompt_tokens + excluded.prompt_tokens, completion_tokens = completion_tokens + excluded.completion_tokens,
           cost_usd = cost_usd + excluded.cost_usd, errors_by_reason = excluded.errors_by_reason`,
      ),
      // a request without an error leaves the reason counts as they are: one statement, no read first
      addUsageOk: db.prepare(
        `INSERT INTO remote_usage_daily (day, provider_id, model, requests, errors, fallbacks, prompt_tokens, completion_tokens, cost_usd, errors_by_reason)
         VALUES (@day, @provider, @model, 1, 0, @fallbacks, @prompt, @completion, @cost, '{}')
         ON CONFLICT (day, provider_id, model) DO UPDATE SET
           requests = requests + 1, fallbacks = fallbacks + excluded.fallbacks, prompt_tokens = prompt_tokens + excluded.prompt_tokens,
           completion_tokens = completion_tokens + excluded.completion_tokens, cost_usd = cost_usd + excluded.cost_usd`,
      ),
      spendOf: db.prepare<[string, string], Spend>(
        `SELECT COALESCE(SUM(cost_usd), 0) AS cost_usd, COALESCE(SUM(requests), 0) AS requests, COALESCE(SUM(errors), 0) AS errors,
                COALESCE(SUM(prompt_tokens), 0) AS prompt_tokens, COALESCE(SUM(completion_tokens), 0) AS completion_tokens
         FROM remote_usage_daily WHERE provider_id = ? AND day >= ?`,
      ),
      spendAll: db.prepare<[string], Spend>(
        `SELECT COALESCE(SUM(cost_usd), 0) AS cost_usd, COALESCE(SUM(requests), 0) AS requests, COALESCE(SUM(errors), 0) AS errors,
                COALESCE(SUM(prompt_tokens), 0) AS prompt_tokens, COALESCE(SUM(completion_tokens), 0) AS completion_tokens
         FROM remote_usage_daily WHERE day >= ?`,
      ),
      usageSince: db.prepare<[string], Record<string, string | number>>('SELECT * FROM remote_usage_daily WHERE day >= ? ORDER BY day DESC, provider_id, model'),
    };
    this.replaceModels = db.transaction((id: string, ids: string[]) => {
      this.stmts.clearModels.run(id);
      const now = new Date().toISOString();
      for (const m of ids) this.stmts.addModel.run(id, m, now);
    });
    // read-merge-write of the reason counts in one transaction: two requests finishing together both count
    this.addUsageTx = db.transaction((e: UsageEntry) => {
      const reasons = json<Record<string, number>>(this.stmts.usageRow.get(e.day, e.provider, e.model)?.errors_by_reason, {});
      if (e.error) reasons[e.error] = (reasons[e.error] ?? 0) + 1;
      this.stmts.upsertUsage.run({
        day: e.day,
        provider: e.provider,
        model: e.model,
        errors: e.error ? 1 : 0,
        fallbacks: e.fallback ? 1 : 0,
        prompt: e.promptTokens,
        completion: e.completionTokens,
        cost: e.costUsd,
        reasons: JSON.stringify(reasons),
      });
    });
    this.writeUsage = db.transaction((entries: UsageEntry[]) => {
      for (const e of entries) {
        if (e.error) this.addUsageTx(e);
        else this.stmts.addUsageOk.run({ day: e.day, provider: e.provider, model: e.model, fallbacks: e.fallback ? 1 : 0, prompt: e.promptTokens, completion: e.completionTokens, cost: e.costUsd });
      }
    });
  }

  insert(row: ProviderRow, models: string[]): void {
    this.rows.delete(row.id);
    this.stmts.insert.run(this.toRaw(row));
    this.replaceModels(row.id, models);
  }

  update(row: ProviderRow, models: string[] | undefined): void {
    this.rows.delete(row.id);
    this.stmts.update.run(this.toRaw(row));
    if (models) this.replaceModels(row.id, models);
  }

  setEnabled(id: string, enabled: boolean, at: string): void {
    this.rows.delete(id);
    this.stmts.setEnabled.run(enabled ? 1 : 0, at, id);
  }

  remove(id: string): boolean {
    this.rows.delete(id);
    return this.stmts.remove.run(id).changes > 0;
  }

  /** The provider's row (frozen: it is shared until the next write), or null. */
  get(id: string): Readonly<ProviderRow> | null {
    let row = this.rows.get(id);
    if (row === undefined) {
      const r = this.stmts.get.get(id);
      row = r ? deepFreeze(this.fromRaw(r)) : null;
      this.rows.set(id, row);
    }
    return row;
  }

  list(): ProviderRow[] {
    return this.stmts.list.all().map((r) => this.fromRaw(r));
  }

  manualModels(id: string): string[] {
    return this.stmts.models.all(id).map((r) => r.model_id);
  }

  appendValidation(v: Omit<ValidationRow, 'id'>): number {
    const result = this.stmts.appendValidation.run({ ...v, ok: v.ok ? 1 : 0, steps: JSON.stringify(v.steps), models: JSON.stringify(v.models) });
    return Number(result.lastInsertRowid);
  }

  /** Newest first: this registration's validations only. */
  validations(provider: ProviderRow, limit = 100): ValidationRow[] {
    return this.stmts.validations.all(provider.id, provider.created_at, limit).map((r) => ({
      ...(r as unknown as ValidationRow),
      ok: r.ok === 1,
      steps: json<ValidationStep[]>(r.steps, []),
      models: json<string[]>(r.models, []),
    }));
  }

  /**
   * Records one request's usage. Written with the others that ended within `USAGE_WRITE_MS`, in one
   * transaction (a write per request was a measurable part of the remote path's CPU); every read of
   * usage or spend writes what is pending first, so budgets and views never miss a request, and
   * `flushUsage` runs on shutdown.
   */
  addUsage(entry: UsageEntry): void {
    this.pendingUsage.push(entry);
    if (!this.usageTimer) {
      // a database closed meanwhile (the core stopping) has had its flush: nothing is left to write
      this.usageTimer = setTimeout(() => this.db.open && this.flushUsage(), USAGE_WRITE_MS);
      this.usageTimer.unref();
    }
  }

  /** Writes the pending usage now. */
  flushUsage(): void {
    if (this.usageTimer) clearTimeout(this.usageTimer);
    this.usageTimer = null;
    if (this.pendingUsage.length === 0) return;
    this.writeUsage(this.pendingUsage.splice(0));
  }

  /** Spend since `firstDay` (inclusive, `YYYY-MM-DD`), of one provider or of all. */
  spend(provider: string | null, firstDay: string): Spend {
    this.flushUsage();
    return provider === null ? this.stmts.spendAll.get(firstDay)! : this.stmts.spendOf.get(provider, firstDay)!;
  }

  usageSince(firstDay: string): RemoteUsageDay[] {
    this.flushUsage();
    return this.stmts.usageSince.all(firstDay).map((r) => ({
      day: String(r.day),
      provider: String(r.provider_id),
      model: String(r.model),
      requests: Number(r.requests),
      errors: Number(r.errors),
      fallbacks: Number(r.fallbacks),
      prompt_tokens: Number(r.prompt_tokens),
      completion_tokens: Number(r.completion_tokens),
      cost_usd: Math.round(Number(r.cost_usd) * 1e6) / 1e6,
      errors_by_reason: json<Record<string, number>>(r.errors_by_reason, {}),
    }));
  }

  private toRaw(row: ProviderRow) {
    const { enabled: _enabled, ...rest } = row; // written by setEnabled only
    return { ...rest, headers: JSON.stringify(row.headers), governance: JSON.stringify(row.governance), fallback: row.fallback ? JSON.stringify(row.fallback) : null };
  }

  private fromRaw(r: Raw<ProviderRow>): ProviderRow {
    return {
      id: String(r.id),
      kind: r.kind as ProviderKind,
      base_url: String(r.base_url),
      headers: json<Record<string, string>>(r.headers, {}),
      governance: json<Governance>(r.governance, {}),
      fallback: json<Fallback | null>(r.fallback, null),
      enabled: r.enabled !== 0,
      created_at: String(r.created_at),
      updated_at: String(r.updated_at),
    };
  }
}
