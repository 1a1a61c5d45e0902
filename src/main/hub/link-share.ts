import { performance as perfHooks } from 'node:perf_hooks';
import { hashThreadUtilization } from './hasher';

/**
 * How many connections the ranged downloads of the process run, in all, and each one's share.
 * Files fetched side by side share one link and one CPU, so the count is judged on their total
 * throughput, one probe at a time: every {@link WINDOW_MS} the total is measured; a probe adds
 * connections (doubling while doublings pay, as TCP's slow start does, then one at a time) and keeps
 * them only when the throughput rose by at least {@link GAIN} of their share. No probe starts while
 * the event loop or the hash thread was busy for {@link BUSY} of the last window: every connection's
 * bytes go through that one loop (TLS, parsing, writes) and that one thread, so a saturated one is
 * the limit and more connections only add their cost (a probe cost ~10 % of a loopback download).
 * A fast link, or a CPU-bound loopback, stays on one stream per file; a per-connection cap climbs to
 * the setting in a few windows.
 */

/** A ranged download, as the link sees it. */
export interface LinkMember {
  /** connections it could use now: its setting, and no more than it has runs left to claim */
  room(): number;
  /** the connections it should run: it starts more, or lets the extra ones stop after their run */
  setShare(n: number): void;
}

const WINDOW_MS = 300;
const GAIN = 0.5;
/** Measured on the bench: a TLS stream at the CPU's limit keeps the loop 0.91–0.99 busy, a throttled link 0.3–0.7. */
const BUSY = 0.85;

/** How busy the busier of the event loop and the hash thread was since the last call (0–1). */
function loopUtilization(): () => number {
  let last = perfHooks.eventLoopUtilization();
  const hashing = hashThreadUtilization();
  return () => {
    const now = perfHooks.eventLoopUtilization();
    const u = perfHooks.eventLoopUtilization(now, last).utilization;
    last = now;
    return Math.max(u, hashing());
  };
}

export class LinkShare {
  private readonly members = new Map<LinkMember, number>();
  /** connections wanted in all */
  private total = 0;
  private bytes = 0;
  private running = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private lastBytes = 0;
  private lastAt = 0;
  /** bytes per second over the last window */
  private rate = 0;
  /** windows not judged: a change's handshakes and ramp-up */
  private skip = 1;
  private doubling = true;
  /** a one-at-a-time probe did not pay: the count stays while these downloads run */
  private settled = false;
  private probe: { baseline: number; before: number; added: number } | null = null;

  constructor(
    private readonly windowMs = WINDOW_MS,
    private readonly loopBusy: () => number = loopUtilization(),
  ) {}

  join(member: LinkMember): void {
    this.members.set(member, 0);
    this.total = Math.max(this.total, this.members.size);
    this.abandonProbe();
    if (!this.timer) {
      this.lastAt = performance.now();
      this.lastBytes = this.bytes;
      this.timer = setInterval(() => this.tick(), this.windowMs);
      this.timer.unref?.();
    }
    this.share();
  }

  leave(member: LinkMember): void {
    if (!this.members.delete(member)) return;
    if (this.members.size === 0) {
      // the next downloads may run over another link: learn it again
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      this.total = 0;
      this.rate = 0;
      this.doubling = true;
      this.settled = false;
      this.probe = null;
      this.skip = 1;
      return;
    }
    this.abandonProbe();
    this.share();
  }

  /** Bytes received by any member. */
  received(n: number): void {
    this.bytes += n;
  }

  connectionStarted(): void {
    this.running += 1;
  }

  connectionEnded(): void {
    this.running -= 1;
  }

  /** A probe is on: connections added for it should claim short runs, to stop soon if it fails. */
  probing(): boolean {
    return this.probe !== null;
  }

  /** Bytes per second one connection gets (over the last window), or null before the first window. */
  perConnection(): number | null {
    return this.rate > 0 ? this.rate / Math.max(1, this.running) : null;
  }

  private tick(): void {
    const now = performance.now();
    this.rate = ((this.bytes - this.lastBytes) * 1000) / (now - this.lastAt);
    this.lastBytes = this.bytes;
    this.lastAt = now;
    const busy = this.loopBusy();
    if (this.skip > 0) {
      this.skip -= 1;
      return this.share();
    }
    const probe = this.probe;
    if (probe) {
      this.probe = null;
      if (this.rate < probe.baseline * (1 + (GAIN * probe.added) / probe.before)) {
        // it did not pay: back to what was; after a doubling, one at a time; after one, no more
        this.total -= probe.added;
        if (probe.added === 1) this.settled = true;
        this.doubling = false;
        this.skip = 1;
        return this.share();
      }
    }
    const room = this.room();
    if (this.settled || this.total >= room || busy >= BUSY) return this.share();
    const added = this.doubling ? Math.min(room - this.total, this.total) : 1;
    this.probe = { baseline: this.rate, before: this.total, added };
    this.total += added;
    this.skip = 1;
    this.share();
  }

  /** A download came or went: what the probe measured no longer says anything. */
  private abandonProbe(): void {
    if (this.probe) this.total -= this.probe.added;
    this.probe = null;
    this.skip = 1;
  }

  private room(): number {
    let n = 0;
    for (const m of this.members.keys()) n += Math.max(1, m.room());
    return n;
  }

  /** One connection each, then the rest one by one to those with room, oldest download first. */
  private share(): void {
    const rooms = new Map([...this.members.keys()].map((m) => [m, Math.max(1, m.room())]));
    const shares = new Map([...this.members.keys()].map((m) => [m, 1]));
    let left = this.total - this.members.size;
    while (left > 0) {
      let gave = false;
      for (const m of this.members.keys()) {
        if (left > 0 && shares.get(m)! < rooms.get(m)!) {
          shares.set(m, shares.get(m)! + 1);
          left -= 1;
          gave = true;
        }
      }
      if (!gave) break;
    }
    for (const [m, n] of shares) {
      if (this.members.get(m) === n) continue;
      this.members.set(m, n);
      m.setShare(n);
    }
  }
}

/** The one link every ranged download of the process goes through. */
export const link = new LinkShare();
