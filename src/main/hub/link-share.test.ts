import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LinkShare, type LinkMember } from './link-share';

const WINDOW = 300;

/** A download that records its share; `room` is what it could use. */
function member(room: number): LinkMember & { share: number; room(): number } {
  return {
    share: 0,
    room: () => room,
    setShare(n) {
      this.share = n;
    },
  };
}

/**
 * Runs the link for `windows` windows over a model link: `rate(n)` bytes per second with n
 * connections in all. Returns the total count after each window.
 */
function run(share: LinkShare, members: { share: number }[], rate: (n: number) => number, windows: number): number[] {
  const counts: number[] = [];
  for (let w = 0; w < windows; w++) {
    const n = members.reduce((a, m) => a + m.share, 0);
    share.received((rate(n) * WINDOW) / 1000);
    vi.advanceTimersByTime(WINDOW);
    counts.push(members.reduce((a, m) => a + m.share, 0));
  }
  return counts;
}

describe('LinkShare', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] }));
  afterEach(() => vi.useRealTimers());

  it('a per-connection cap: doubles while doublings pay, then one at a time, and stops where one more does not', () => {
    const link = new LinkShare(WINDOW, () => 0);
    const a = member(8);
    const b = member(8);
    link.join(a);
    link.join(b);
    expect([a.share, b.share]).toEqual([1, 1]);
    // 10 per connection, 100 in all: 10 connections fill the link
    const counts = run(link, [a, b], (n) => Math.min(10 * n, 100), 20);
    expect(counts.at(-1)).toBe(10);
    // 2 → 4 → 8 by doubling (a window to settle, a window judged, each), 16 did not pay, then +1 twice
    expect(counts.slice(0, 6)).toEqual([2, 4, 4, 8, 8, 16]);
    expect(Math.max(...counts)).toBe(16);
    expect([a.share, b.share]).toEqual([5, 5]);
  });

  it('a link one stream fills (a CPU-bound loopback): stays on one connection per download', () => {
    const link = new LinkShare(WINDOW, () => 0);
    const a = member(4);
    link.join(a);
    const counts = run(link, [a], () => 300, 20);
    expect(counts.at(-1)).toBe(1);
    expect(counts.filter((n) => n > 1).length).toBeLessThanOrEqual(4); // two probes, two windows each
  });

  it('shares oldest first within each download\'s room, at least one each; a download that leaves gives its share back', () => {
    const link = new LinkShare(WINDOW, () => 0);
    const a = member(2);
    const b = member(8);
    link.join(a);
    link.join(b);
    run(link, [a, b], (n) => 10 * n, 12);
    expect(a.share).toBe(2);
    expect(b.share).toBe(8);
    link.leave(a);
    expect(b.share).toBe(8); // room-bound: the total stays learned, b takes what it can use
    link.leave(b);
    // the last one gone: the next downloads start over, one connection each
    const c = member(4);
    link.join(c);
    expect(c.share).toBe(1);
    link.leave(c);
  });

  it('a download joining during a probe takes the probe back: what it measured says nothing', () => {
    const link = new LinkShare(WINDOW, () => 0);
    const a = member(8);
    link.join(a);
    run(link, [a], (n) => 10 * n, 2); // skip, then a probe to 2
    expect(a.share).toBe(2);
    const b = member(8);
    link.join(b);
    expect([a.share, b.share]).toEqual([1, 1]);
    link.leave(a);
    link.leave(b);
  });

  it('tells the rate one connection gets, once a window has been measured', () => {
    const link = new LinkShare(WINDOW, () => 0);
    const a = member(1);
    link.join(a);
    link.connectionStarted();
    expect(link.perConnection()).toBeNull();
    run(link, [a], () => 3000, 1);
    expect(link.perConnection()).toBeCloseTo(3000, 0);
    link.connectionEnded();
    link.leave(a);
  });

  it('starts no probe while the event loop is saturated (the loop, not the link, is the limit), and probes once it is not', () => {
    let busy = 0.95;
    const link = new LinkShare(WINDOW, () => busy);
    const a = member(4);
    link.join(a);
    const counts = run(link, [a], (n) => 10 * n, 8);
    expect(Math.max(...counts)).toBe(1);
    busy = 0.5;
    expect(run(link, [a], (n) => 10 * n, 8).at(-1)).toBe(4);
    link.leave(a);
  });
});
