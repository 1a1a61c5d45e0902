import { describe, expect, it } from 'vitest';
import { bucketOf, bucketUpper, exactPercentile, LatencyHistogram } from './histogram';

describe('exactPercentile (nearest rank)', () => {
  it('matches hand-computed ranks', () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(exactPercentile(v, 0.5)).toBe(50);
    expect(exactPercentile(v, 0.95)).toBe(95);
    expect(exactPercentile(v, 0.99)).toBe(99);
    expect(exactPercentile(v, 1)).toBe(100);
    expect(exactPercentile([7], 0.99)).toBe(7);
    expect(exactPercentile([], 0.5)).toBeNull();
  });
});

describe('LatencyHistogram', () => {
  it('puts values in 10 % log buckets', () => {
    for (const ms of [0.05, 0.1, 1, 12.3, 950, 60_000]) {
      const b = bucketOf(ms);
      expect(ms).toBeLessThanOrEqual(bucketUpper(b) * 1.0000001);
      if (b > 0) expect(ms).toBeGreaterThan(bucketUpper(b - 1));
    }
  });

  it('estimates percentiles within 5 % of the exact value', () => {
    const values = Array.from({ length: 10_000 }, (_, i) => 1 + ((i * 7919) % 10_000) / 10); // 1..1000 ms, shuffled
    const h = new LatencyHistogram();
    for (const v of values) h.record(v);
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = exactPercentile(values, q)!;
      expect(Math.abs(h.percentile(q)! - exact) / exact).toBeLessThan(0.05);
    }
    expect(h.percentile(1)).toBe(1000.9);
    expect(new LatencyHistogram().percentile(0.5)).toBeNull();
  });

  it('merges exactly and survives a JSON round trip (how daily rows accumulate)', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    const all = new LatencyHistogram();
    for (let i = 1; i <= 500; i++) {
      (i % 2 ? a : b).record(i);
      all.record(i);
    }
    const merged = LatencyHistogram.fromJSON(a.toJSON());
    merged.merge(LatencyHistogram.fromJSON(b.toJSON()));
    expect(merged.count).toBe(500);
    for (const q of [0.5, 0.95, 0.99]) expect(merged.percentile(q)).toBeCloseTo(all.percentile(q)!, 9);
    expect(LatencyHistogram.fromJSON('not json').count).toBe(0);
  });
});
