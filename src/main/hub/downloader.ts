import { mkdir, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AppError, errorMessage } from '../../shared/errors';
import type { HttpGet } from '../net/net-client';
import { backOff, diskError, fetchFollowing, hashSpec, RetryableError, statusError } from './download-common';
import { PartialFile, PartialWriteError } from './partial-file';
import { downloadRanges, hasRangedState } from './ranged-download';

export { bytesAlreadyFetched, partialFilesOf } from './ranged-download';

export type { HttpGet, HttpResponse } from '../net/net-client';

/** One blob to fetch into the HF cache. */
export interface BlobTarget {
  /** where to GET it (resolve URL; redirects to the CDN are followed) */
  url: string;
  /** final path `blobs/<hash>`; partial bytes live at `<blobPath>.incomplete` */
  blobPath: string;
  size: number;
  /** LFS sha256: verified while streaming */
  sha256: string | null;
  /** git blob sha1 (regular files): verified too, with git's `blob <size>\0` header */
  gitOid: string | null;
  /** label for messages */
  label: string;
}

export interface BlobDownloadOptions {
  /** transport: the net layer's `get` (proxies, keep-alive, offline refusal) */
  get: HttpGet;
  signal: AbortSignal;
  /** headers for the first request (Authorization); dropped when a redirect leaves the origin */
  headers?: Record<string, string>;
  maxRetries: number;
  retryBaseMs: number;
  /** bytes added (positive) or discarded (negative, when a partial file had to be restarted) */
  onBytes(delta: number): void;
  /** a retry is about to happen */
  onRetry?(attempt: number, error: unknown, delayMs: number): void;
  /** files at least `thresholdBytes` big are fetched as `parts` ranges over separate connections */
  parallel?: { parts: number; thresholdBytes: number };
}

export interface BlobDownloadResult {
  /** bytes received over the network for this blob */
  fetched: number;
  /** bytes taken from an existing `.incomplete` file */
  resumedFrom: number;
  skipped: boolean;
}

/**
 * Downloads one blob, resumably: existing `.incomplete` bytes are hashed first, then the rest is
 * requested with `Range`. Bytes are hashed as they arrive and written behind (no second pass). The
 * blob is renamed into place only once size and hash match; a mismatch deletes the partial file
 * and fails with `checksum_mismatch`. An existing final blob is trusted (only verified blobs are
 * ever renamed in).
 */
export async function downloadBlob(target: BlobTarget, options: BlobDownloadOptions): Promise<BlobDownloadResult> {
  const { signal } = options;
  signal.throwIfAborted();
  const existing = await stat(target.blobPath).catch(() => null);
  if (existing && existing.size === target.size) {
    options.onBytes(target.size);
    return { fetched: 0, resumedFrom: 0, skipped: true };
  }
  await mkdir(dirname(target.blobPath), { recursive: true });
  const parts = options.parallel?.parts ?? 1;
  // a ranged download already begun goes on as one, whatever the settings say now
  if ((parts > 1 && target.size >= (options.parallel?.thresholdBytes ?? Infinity)) || (await hasRangedState(target.blobPath))) {
    const ranged = await downloadRanges(target, { ...options, parts: Math.max(2, parts) });
    if (ranged) return ranged;
    // the server does not do ranges: one stream, from the start
  }
  const partialPath = `${target.blobPath}.incomplete`;
  const onDisk = (await stat(partialPath).catch(() => null))?.size ?? 0;
  // a partial file longer than the blob cannot be right: start over
  const partial = await PartialFile.open(partialPath, onDisk > target.size ? 0 : onDisk, hashSpec(target), signal);
  try {
    return await fetchInto(partial, target, options);
  } finally {
    await partial.close();
  }
}

async function fetchInto(partial: PartialFile, target: BlobTarget, options: BlobDownloadOptions): Promise<BlobDownloadResult> {
  const { signal } = options;
  const resumedFrom = partial.size;
  if (resumedFrom > 0) options.onBytes(resumedFrom);

  let fetched = 0;
  let failures = 0;
  for (;;) {
    signal.throwIfAborted();
    if (partial.size === target.size) break;
    let taken = 0;
    try {
      const res = await fetchFollowing(target.url, { from: partial.size, to: null }, options);
      if (res.status === 200 && partial.size > 0) {
        // The server ignored Range: start over rather than append a second copy.
        options.onBytes(-partial.size);
        await partial.truncate();
      } else if (res.status === 206) {
        const start = Number(/bytes (\d+)-/.exec(res.header('content-range') ?? '')?.[1] ?? NaN);
        if (start !== partial.size) {
          res.discard();
          throw new RetryableError(`server answered Range ${partial.size}- with Content-Range "${res.header('content-range')}"`);
        }
      } else if (res.status !== 200) {
        res.discard();
        throw statusError(res.status, res.header('x-error-code'), target);
      }
      const from = partial.size;
      try {
        await partial.append(res, (n) => {
          taken += n;
          fetched += n;
          options.onBytes(n);
        });
      } catch (error) {
        // The partial file now holds what reached the disk; progress follows it.
        if (partial.size !== from + taken) options.onBytes(partial.size - (from + taken));
        if (signal.aborted) throw signal.reason ?? error;
        if (error instanceof PartialWriteError) throw diskError(error, target);
        throw new RetryableError(`connection lost after ${partial.size} of ${target.size} bytes: ${errorMessage(error)}`, { cause: error });
      }
      if (partial.size !== target.size) throw new RetryableError(`body ended at ${partial.size} of ${target.size} bytes`);
    } catch (error) {
      failures = await backOff(error, failures, taken > 0, target, options, signal);
    }
  }

  const digest = partial.digest();
  await partial.close();
  const partialPath = `${target.blobPath}.incomplete`;
  const expected = target.sha256 ?? target.gitOid;
  if (expected && digest !== expected) {
    await unlink(partialPath).catch(() => {});
    options.onBytes(-target.size);
    throw new AppError(
      'checksum_mismatch',
      `${target.label} is corrupt: its ${target.sha256 ? 'sha256' : 'git sha1'} is ${digest}, the Hub says ${expected}. The partial file was deleted — retry the install.`,
    );
  }
  await rename(partialPath, target.blobPath);
  return { fetched, resumedFrom, skipped: false };
}

