import type { UsageDay } from '../../shared/api/system';
import type { Db } from '../db/database';
import { LatencyHistogram } from './histogram';

/** In-memory part of a day's rollup, merged into its row at flush time. */
export interface UsageDelta {
  day: string;
  model: string;
  runtime: string;
  requests: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
  latency: LatencyHistogram;
  ttft: LatencyHistogram;
}

interface Row {
  day: string;
  model: string;
  runtime: string;
  requests: number;
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  latency_hist: string;
  ttft_hist: string;
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
  latency_p99_ms: number | null;
  ttft_p50_ms: number | null;
  ttft_p95_ms: number | null;
  ttft_p99_ms: number | null;
}

/** `usage_daily`: the OpenAI endpoint's per-model daily rollups. */
export class UsageRepo {
  private readonly getRow;
  private readonly upsert;
  private readonly since;
  private readonly mergeAll;

  constructor(db: Db) {
    this.getRow = db.prepare<[string, string, string], Row>('SELECT * FROM usage_daily WHERE day = ? AND model = ? AND runtime = ?');
    this.upsert = db.prepare(
      `INSERT INTO usage_daily (day, model, runtime, requests, errors, prompt_tokens, completion_tokens, latency_hist, ttft_hist,
         latency_p50_ms, latency_p95_ms, latency_p99_ms, ttft_p50_ms, ttft_p95_ms, ttft_p99_ms, updated_at)
       VALUES (@day, @model, @runtime, @requests, @errors, @prompt_tokens, @completion_tokens, @latency_hist, @ttft_hist,
         @latency_p50_ms, @latency_p95_ms, @latency_p99_ms, @ttft_p50_ms, @ttft_p95_ms, @ttft_p99_ms, @updated_at)
       ON CONFLICT (day, model, runtime) DO UPDATE SET
         requests = excluded.requests, errors = excluded.errors, prompt_tokens = excluded.prompt_tokens,
         completion_tokens = excluded.completion_tokens, latency_hist = excluded.latency_hist, ttft_hist = excluded.ttft_hist,
         latency_p50_ms = excluded.latency_p50_ms, latency_p95_ms = excluded.latency_p95_ms, latency_p99_ms = excluded.latency_p99_ms,
         ttft_p50_ms = excluded.ttft_p50_ms, ttft_p95_ms = excluded.ttft_p95_ms, ttft_p99_ms = excluded.ttft_p99_ms,
         updated_at = excluded.updated_at`,
    );
    // a remote route (`<provider>/<model>`, runtime `remote`) has its cost in the providers' daily spend
    this.since = db.prepare<[string], Row & { cost_usd: number | null }>(
      `SELECT u.*, r.cost_usd AS cost_usd FROM usage_daily u
       LEFT JOIN remote_usage_daily r ON u.runtime = 'remote' AND r.day = u.day AND r.provider_id || '/' || r.model = u.model
       WHERE u.day >= ? ORDER BY u.day DESC, u.requests DESC`,
    );
    this.mergeAll = db.transaction((deltas: UsageDelta[]) => {
      for (const d of deltas) this.mergeOne(d);
    });
  }

  /** Adds the deltas to their rows in one transaction (read-merge-write: histograms merge, counts add). */
  merge(deltas: UsageDelta[]): void {
    if (deltas.length > 0) this.mergeAll(deltas);
  }

  /** Rows of the last `days` days (today included), newest first; a remote route's with its cost. */
  listSince(firstDay: string): UsageDay[] {
    return this.since.all(firstDay).map((r) => ({
      day: r.day,
      model: r.model,
      runtime: r.runtime,
      requests: r.requests,
      errors: r.errors,
      prompt_tokens: r.prompt_tokens,
      completion_tokens: r.completion_tokens,
      latency_p50_ms: r.latency_p50_ms,
      latency_p95_ms: r.latency_p95_ms,
      latency_p99_ms: r.latency_p99_ms,
      ttft_p50_ms: r.ttft_p50_ms,
      ttft_p95_ms: r.ttft_p95_ms,
      ttft_p99_ms: r.ttft_p99_ms,
      cost_usd: r.runtime === 'remote' ? (r.cost_usd ?? 0) : null,
    }));
  }

  private mergeOne(d: UsageDelta): void {
    const row = this.getRow.get(d.day, d.model, d.runtime);
    const latency = LatencyHistogram.fromJSON(row?.latency_hist);
    latency.merge(d.latency);
    const ttft = LatencyHistogram.fromJSON(row?.ttft_hist);
    ttft.merge(d.ttft);
    const p = (h: LatencyHistogram, q: number) => {
      const v = h.percentile(q);
      return v === null ? null : Math.round(v * 100) / 100;
    };
    this.upsert.run({
      day: d.day,
      model: d.model,
      runtime: d.runtime,
      requests: (row?.requests ?? 0) + d.requests,
      errors: (row?.errors ?? 0) + d.errors,
      prompt_tokens: (row?.prompt_tokens ?? 0) + d.promptTokens,
      completion_tokens: (row?.completion_tokens ?? 0) + d.completionTokens,
      latency_hist: latency.toJSON(),
      ttft_hist: ttft.toJSON(),
      latency_p50_ms: p(latency, 0.5),
      latency_p95_ms: p(latency, 0.95),
      latency_p99_ms: p(latency, 0.99),
      ttft_p50_ms: p(ttft, 0.5),
      ttft_p95_ms: p(ttft, 0.95),
      ttft_p99_ms: p(ttft, 0.99),
      updated_at: new Date().toISOString(),
    });
  }
}
