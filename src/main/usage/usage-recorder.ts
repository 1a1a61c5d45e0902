import type { EndpointStats } from '../../shared/api/system';
import { errorMessage } from '../../shared/errors';
import type { Logger } from '../logger';
import { exactPercentile, LatencyHistogram } from './histogram';
import type { UsageDelta, UsageRepo } from './usage-repo';

/** Prometheus buckets (seconds) for request duration and time to first token. */
export const PROM_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export interface RequestOutcome {
  /** HTTP status sent to the client; 499 when the client went away */
  status: number;
  promptTokens?: number | null;
  completionTokens?: number | null;
}

/** One request in flight; `finish` is idempotent. */
export interface RequestTracker {
  firstToken(): void;
  finish(outcome: RequestOutcome): void;
}

export interface PromSeries {
  model: string;
  runtime: string;
  endpoint: string;
  status: string;
  count: number;
}

export interface PromHistogram {
  model: string;
  runtime: string;
  buckets: number[];
  count: number;
  sum: number;
}

interface Lifetime {
  latency: PromHistogram;
  ttft: PromHistogram;
  promptTokens: number;
  completionTokens: number;
}

const RECENT_WINDOW_MS = 5 * 60_000;
const RECENT_MAX = 4096;
const DAY_MS = 86_400_000;

export interface UsageRecorderOptions {
  repo: UsageRepo;
  logger: Logger;
  flushIntervalMs?: number;
  now?: () => number;
}

/**
 * Usage of the OpenAI-compatible endpoint: per model and UTC day in memory, merged into SQLite every
 * `flushIntervalMs` and on close; lifetime counters and histograms for `/metrics`; a short window of
 * recent requests for the dashboard.
 */
export class UsageRecorder {
  private readonly now: () => number;
  private pending = new Map<string, UsageDelta>();
  private readonly counters = new Map<string, PromSeries>();
  private readonly lifetime = new Map<string, Lifetime>();
  private recent: { ts: number; latency: number; ttft: number | null; error: boolean }[] = [];
  private inFlight = 0;
  private day = { start: 0, text: utcDay(0) };
  private totals = { requests: 0, errors: 0 };
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly options: UsageRecorderOptions) {
    this.now = options.now ?? Date.now;
    this.timer = setInterval(() => this.flush(), options.flushIntervalMs ?? 30_000);
    this.timer.unref();
  }

  begin(model: string, runtime: string, endpoint: string): RequestTracker {
    const started = performance.now();
    let ttft: number | null = null;
    let done = false;
    this.inFlight++;
    return {
      firstToken: () => {
        if (ttft === null) ttft = performance.now() - started;
      },
      finish: (outcome) => {
        if (done) return;
        done = true;
        this.inFlight--;
        this.record(model, runtime, endpoint, performance.now() - started, ttft, outcome);
      },
    };
  }

  /** Writes the in-memory rollups to SQLite. Safe to call any time; failures are logged and retried. */
  flush(): void {
    if (this.pending.size === 0) return;
    const deltas = [...this.pending.values()];
    this.pending = new Map();
    try {
      this.options.repo.merge(deltas);
    } catch (error) {
      this.options.logger.warn({ error: errorMessage(error) }, 'could not write usage rollups; will retry');
      for (const d of deltas) this.mergePending(d);
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
  }

  stats(): EndpointStats {
    this.trimRecent();
    const lastMinute = this.recent.filter((r) => r.ts >= this.now() - 60_000).length;
    const latencies = this.recent.map((r) => r.latency);
    const ttfts = this.recent.map((r) => r.ttft).filter((t): t is number => t !== null);
    const round = (v: number | null) => (v === null ? null : Math.round(v * 100) / 100);
    return {
      requests_per_minute: lastMinute,
      in_flight: this.inFlight,
      latency_p50_ms: round(exactPercentile(latencies, 0.5)),
      latency_p95_ms: round(exactPercentile(latencies, 0.95)),
      ttft_p50_ms: round(exactPercentile(ttfts, 0.5)),
      total_requests: this.totals.requests,
      total_errors: this.totals.errors,
    };
  }

  promCounters(): PromSeries[] {
    return [...this.counters.values()];
  }

  promLifetime(): { model: string; runtime: string; latency: PromHistogram; ttft: PromHistogram; promptTokens: number; completionTokens: number }[] {
    return [...this.lifetime.values()].map((l) => ({ model: l.latency.model, runtime: l.latency.runtime, ...l }));
  }

  get inFlightCount(): number {
    return this.inFlight;
  }

  private record(model: string, runtime: string, endpoint: string, latencyMs: number, ttftMs: number | null, outcome: RequestOutcome): void {
    const error = outcome.status >= 400;
    const now = this.now();
    const day = this.dayOf(now);
    const key = `${day}\u0000${model}\u0000${runtime}`;
    let delta = this.pending.get(key);
    if (!delta) {
      delta = emptyDelta(day, model, runtime);
      this.pending.set(key, delta);
    }
    delta.requests++;
    if (error) delta.errors++;
    delta.promptTokens += outcome.promptTokens ?? 0;
    delta.completionTokens += outcome.completionTokens ?? 0;
    // latency percentiles describe answered requests; failures would skew them towards 0
    if (!error) {
      delta.latency.record(latencyMs);
      if (ttftMs !== null) delta.ttft.record(ttftMs);
    }

    const counterKey = `${model}\u0000${runtime}\u0000${endpoint}\u0000${outcome.status}`;
    const counter = this.counters.get(counterKey) ?? { model, runtime, endpoint, status: String(outcome.status), count: 0 };
    counter.count++;
    this.counters.set(counterKey, counter);

    const lifeKey = `${model}\u0000${runtime}`;
    let life = this.lifetime.get(lifeKey);
    if (!life) {
      const h = (): PromHistogram => ({ model, runtime, buckets: new Array(PROM_BUCKETS.length).fill(0), count: 0, sum: 0 });
      life = { latency: h(), ttft: h(), promptTokens: 0, completionTokens: 0 };
      this.lifetime.set(lifeKey, life);
    }
    life.promptTokens += outcome.promptTokens ?? 0;
    life.completionTokens += outcome.completionTokens ?? 0;
    if (!error) {
      observe(life.latency, latencyMs / 1000);
      if (ttftMs !== null) observe(life.ttft, ttftMs / 1000);
    }

    this.totals.requests++;
    if (error) this.totals.errors++;
    this.recent.push({ ts: now, latency: latencyMs, ttft: ttftMs, error });
    // trimmed in batches: trimming at every request past the cap copied 4096 entries per request
    if (this.recent.length >= 2 * RECENT_MAX) this.trimRecent();
  }

  /** The UTC day of `ms`, formatted once per day rather than per request. */
  private dayOf(ms: number): string {
    if (ms < this.day.start || ms >= this.day.start + DAY_MS) {
      const start = ms - (ms % DAY_MS);
      this.day = { start, text: utcDay(ms) };
    }
    return this.day.text;
  }

  /** Keeps the last 5 minutes, at most `RECENT_MAX` requests. */
  private trimRecent(): void {
    const since = this.now() - RECENT_WINDOW_MS;
    let first = this.recent.findIndex((r) => r.ts >= since);
    if (first === -1) first = this.recent.length;
    this.recent = this.recent.slice(Math.max(first, this.recent.length - RECENT_MAX));
  }

  private mergePending(d: UsageDelta): void {
    const key = `${d.day}\u0000${d.model}\u0000${d.runtime}`;
    const existing = this.pending.get(key);
    if (!existing) {
      this.pending.set(key, d);
      return;
    }
    existing.requests += d.requests;
    existing.errors += d.errors;
    existing.promptTokens += d.promptTokens;
    existing.completionTokens += d.completionTokens;
    existing.latency.merge(d.latency);
    existing.ttft.merge(d.ttft);
  }
}

function observe(h: PromHistogram, seconds: number): void {
  h.count++;
  h.sum += seconds;
  for (let i = 0; i < PROM_BUCKETS.length; i++) if (seconds <= PROM_BUCKETS[i]!) h.buckets[i]!++;
}

function emptyDelta(day: string, model: string, runtime: string): UsageDelta {
  return { day, model, runtime, requests: 0, errors: 0, promptTokens: 0, completionTokens: 0, latency: new LatencyHistogram(), ttft: new LatencyHistogram() };
}

export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
