/**
 * Latency histogram with log-spaced buckets (10 % wide, 0.1 ms … ~1 h). Unlike percentiles, histograms
 * merge exactly, so a day's rollup can be built from many flushes; percentiles read from it are within
 * about 5 % of the exact value. Stored sparse (`{bucket: count}`) as JSON in SQLite.
 */
const BASE_MS = 0.1;
const GROWTH = 1.1;
const LOG_GROWTH = Math.log(GROWTH);
const MAX_BUCKET = 185;

export type SparseCounts = Record<string, number>;

export function bucketOf(ms: number): number {
  if (!(ms > BASE_MS)) return 0;
  return Math.min(MAX_BUCKET, Math.ceil(Math.log(ms / BASE_MS) / LOG_GROWTH));
}

/** Upper bound of a bucket in ms (bucket 0 holds everything up to BASE_MS). */
export const bucketUpper = (bucket: number): number => BASE_MS * GROWTH ** bucket;

export class LatencyHistogram {
  private counts = new Map<number, number>();
  private n = 0;
  private min = Infinity;
  private max = -Infinity;

  static fromJSON(json: string | null | undefined): LatencyHistogram {
    const h = new LatencyHistogram();
    if (!json) return h;
    try {
      const data = JSON.parse(json) as { c?: SparseCounts; min?: number; max?: number };
      for (const [k, v] of Object.entries(data.c ?? {})) h.addBucket(Number(k), v);
      if (typeof data.min === 'number') h.min = data.min;
      if (typeof data.max === 'number') h.max = data.max;
    } catch {
      // an unreadable row starts over rather than failing the flush
    }
    return h;
  }

  get count(): number {
    return this.n;
  }

  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.addBucket(bucketOf(ms), 1);
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
  }

  merge(other: LatencyHistogram): void {
    for (const [b, c] of other.counts) this.addBucket(b, c);
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
  }

  /** q in [0, 1]; null when empty. Interpolates geometrically inside the bucket, clamped to min/max. */
  percentile(q: number): number | null {
    if (this.n === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.n));
    let seen = 0;
    for (const b of [...this.counts.keys()].sort((x, y) => x - y)) {
      const c = this.counts.get(b)!;
      if (seen + c >= rank) {
        const lower = b === 0 ? 0 : bucketUpper(b - 1);
        const upper = bucketUpper(b);
        const within = (rank - seen) / c;
        const value = b === 0 ? upper * within : lower * (upper / lower) ** within;
        return Math.min(this.max, Math.max(this.min, value));
      }
      seen += c;
    }
    return this.max;
  }

  toJSON(): string {
    return JSON.stringify({ c: Object.fromEntries(this.counts), min: Number.isFinite(this.min) ? this.min : undefined, max: Number.isFinite(this.max) ? this.max : undefined });
  }

  private addBucket(b: number, c: number): void {
    if (!Number.isInteger(b) || !(c > 0)) return;
    this.counts.set(b, (this.counts.get(b) ?? 0) + c);
    this.n += c;
  }
}

/** Exact percentile (nearest rank) of a small list — used for the live dashboard window. */
export function exactPercentile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
