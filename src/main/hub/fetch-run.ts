import { errorMessage } from '../../shared/errors';
import type { BlobWriter } from './blob-writer';
import { backOff, diskError, fetchFollowing, statusError } from './download-common';
import { PartialWriteError, RetryableError, type BlobDownloadOptions, type BlobTarget, type Part } from './download-types';

/** A server answered a ranged request with the whole file (200): it does not do ranges. */
export class RangesIgnored extends Error {}

/** Where requests go once the first one has followed the Hub's redirect (the CDN URL). */
export interface Route {
  landed: { url: string; headers: Record<string, string> } | null;
}

export interface PartJob {
  target: BlobTarget;
  writer: BlobWriter;
  options: BlobDownloadOptions;
  signal: AbortSignal;
  /**
   * One stream: ask `bytes=N-` (or nothing from 0), and a 200 (Range ignored) starts the file over.
   * Ranged runs: ask exactly the run; a 200 throws {@link RangesIgnored}.
   */
  openEnded: boolean;
  /** set for ranged runs: later requests go straight to where the first redirect led */
  route: Route | null;
  /** bytes written (negative when a restart threw some away) */
  onBytes(n: number): void;
}

/**
 * Fetches what `run` lacks (contiguous parts in file order; see {@link BlobWriter.take}) with one
 * request from the first byte missing to the end of the run, retrying with `Range` from the bytes on
 * disk (the caller's retry policy, {@link backOff}) until every part is done. Both strategies go
 * through here: one stream is a run of one part, a ranged download runs this for each run it claims.
 */
export async function fetchRun(run: Part[], job: PartJob): Promise<void> {
  const { target, options, signal, route } = job;
  let failures = 0;
  for (let first = missing(run); first !== -1; first = missing(run)) {
    signal.throwIfAborted();
    const rest = run.slice(first);
    const from = rest[0]!.start + rest[0]!.done;
    const to = rest.at(-1)!.end;
    let taken = 0;
    const via = route?.landed ?? null;
    try {
      const res = await fetchFollowing(via?.url ?? target.url, { from, to: job.openEnded ? null : to - 1 }, {
        get: options.get,
        signal,
        headers: via?.headers ?? options.headers,
        landed: route ? (url, headers) => (route.landed ??= { url, headers }) : undefined,
      });
      if (via && res.status >= 400 && res.status < 500) {
        // a signed CDN URL that expired (or was revoked): ask the Hub again
        res.discard();
        if (route!.landed === via) route!.landed = null;
        throw new RetryableError(`HTTP ${res.status} from ${new URL(via.url).host}; asking the Hub again`);
      }
      if (res.status === 200) {
        if (!job.openEnded) {
          res.discard();
          throw new RangesIgnored(`${new URL(target.url).host} ignored Range`);
        }
        if (from > 0) {
          // The server ignored Range: start over rather than append a second copy.
          await job.writer.restart();
          job.onBytes(-from);
        }
      } else if (res.status === 206) {
        const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.header('content-range') ?? '');
        if (!m || Number(m[1]) !== from || (!job.openEnded && Number(m[2]) !== to - 1)) {
          res.discard();
          throw new RetryableError(`asked bytes ${from}-${job.openEnded ? '' : to - 1}, got Content-Range "${res.header('content-range')}"`);
        }
      } else {
        res.discard();
        throw statusError(res.status, res.header('x-error-code'), target);
      }
      const resumeAt = () => {
        const at = missing(run);
        return at === -1 ? to : run[at]!.start + run[at]!.done;
      };
      try {
        await job.writer.take(res, rest, (n) => {
          taken += n;
          job.onBytes(n);
        });
      } catch (error) {
        if (signal.aborted) throw signal.reason ?? error;
        if (error instanceof PartialWriteError) throw diskError(error, target);
        throw new RetryableError(`connection lost at byte ${resumeAt()} of ${target.size}: ${errorMessage(error)}`, { cause: error });
      }
      if (missing(run) !== -1) throw new RetryableError(`body ended at ${resumeAt()} of ${to} bytes`);
    } catch (error) {
      failures = await backOff(error, failures, taken > 0, target, options, signal);
    }
  }
}

/** The first part of the run not yet done, or -1. */
function missing(run: Part[]): number {
  return run.findIndex((p) => p.done < p.end - p.start);
}
