import { describe, expect, it } from 'vitest';
import { formatGb, formatMs, formatRelative } from './format';

describe('times and sizes in words', () => {
  const now = Date.parse('2026-12-07T12:00:00Z');
  it('says how long ago, in the largest unit that fits', () => {
    expect(formatRelative('2026-12-07T11:59:50Z', now)).toBe('just now');
    expect(formatRelative('2026-12-07T11:55:00Z', now)).toBe('5 minutes ago');
    expect(formatRelative('2026-12-07T09:00:00Z', now)).toBe('3 hours ago');
    expect(formatRelative('2026-12-06T10:00:00Z', now)).toBe('yesterday');
    expect(formatRelative('2026-12-07T14:00:00Z', now)).toBe('in 2 hours');
    expect(formatRelative('not a time', now)).toBe('not a time');
  });
  it('shows catalog GB as GiB, as every other size', () => {
    expect(formatGb(16.1)).toBe('15 GiB');
    expect(formatGb(null)).toBe('—');
  });
  it('gives durations from milliseconds in ms below a second, then in s and min', () => {
    expect(formatMs(340.4)).toBe('340 ms');
    expect(formatMs(2400)).toBe('2.4 s');
    expect(formatMs(42_000)).toBe('42 s');
    expect(formatMs(125_000)).toBe('2 min 5 s');
    expect(formatMs(null)).toBe('—');
  });
});
