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
   * Ranged pieces: ask exactly the piece; a 200 throws {@link RangesIgnored}.
   */
  openEnded: boolean;
  /** set for ranged pieces: later pieces go straight to where the first redirect led */
  route: Route | null;
  /** bytes written (negative when a restart threw some away) */
  onBytes(n: number): void;
}

/**
 * Fetches what `part` lacks, one request at a time, retrying with `Range` from the bytes on disk
 * (the caller's retry policy, {@link backOff}) until the part is done. Both strategies go through
 * here: one stream is a single part, a ranged download runs this for each piece.
 */
export async function fetchPart(part: Part, job: PartJob): Promise<void> {
  const { target, options, signal, route } = job;
  const length = part.end - part.start;
  let failures = 0;
  while (part.done < length) {
    signal.throwIfAborted();
    const from = part.start + part.done;
    let taken = 0;
    const via = route?.landed ?? null;
    try {
      const res = await fetchFollowing(via?.url ?? target.url, { from, to: job.openEnded ? null : part.end - 1 }, {
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
        if (!m || Number(m[1]) !== from || (!job.openEnded && Number(m[2]) !== part.end - 1)) {
          res.discard();
          throw new RetryableError(`asked bytes ${from}-${job.openEnded ? '' : part.end - 1}, got Content-Range "${res.header('content-range')}"`);
        }
      } else {
        res.discard();
        throw statusError(res.status, res.header('x-error-code'), target);
      }
      try {
        await job.writer.take(res, part, (n) => {
          taken += n;
          job.onBytes(n);
        });
      } catch (error) {
        if (signal.aborted) throw signal.reason ?? error;
        if (error instanceof PartialWriteError) throw diskError(error, target);
        throw new RetryableError(`connection lost at byte ${part.start + part.done} of ${target.size}: ${errorMessage(error)}`, { cause: error });
      }
      if (part.done < length) throw new RetryableError(`body ended at ${part.start + part.done} of ${part.end} bytes`);
    } catch (error) {
      failures = await backOff(error, failures, taken > 0, target, options, signal);
    }
  }
}
