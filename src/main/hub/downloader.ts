import { mkdir, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BlobWriter } from './blob-writer';
import { hashSpec } from './download-common';
import type { BlobDownloadOptions, BlobDownloadResult, BlobTarget } from './download-types';
import { fetchRun } from './fetch-run';
import { downloadRanges, hasRangedState } from './ranged-download';

export { bytesAlreadyFetched, partialFilesOf } from './ranged-download';
export type { BlobDownloadOptions, BlobDownloadResult, BlobTarget, HttpGet, HttpResponse } from './download-types';

/**
 * Downloads one blob, resumably, verified before it is renamed into place. Two schedules over the
 * one writer ({@link BlobWriter}: positioned writes, in-order hash, verify, rename):
 * - one stream into `<blob>.incomplete` (the layout huggingface_hub resumes), asking `bytes=N-`
 *   from the bytes on disk after a drop or a restart;
 * - ranged pieces (files of at least `parallel.thresholdBytes`), over as many connections as pay
 *   off, up to `parallel.parts` (see ranged-download.ts).
 * A mismatch deletes the partial file and fails with `checksum_mismatch`. An existing final blob
 * is trusted (only verified blobs are ever renamed in).
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
    const ranged = await downloadRanges(target, { ...options, parts: Math.max(1, parts) });
    if (ranged) return ranged;
    // the server does not do ranges: one stream, from the start
  }
  return downloadStream(target, options);
}

async function downloadStream(target: BlobTarget, options: BlobDownloadOptions): Promise<BlobDownloadResult> {
  const path = `${target.blobPath}.incomplete`;
  const onDisk = (await stat(path).catch(() => null))?.size ?? 0;
  // a partial file longer than the blob cannot be right: start over
  const part = { start: 0, end: target.size, done: onDisk > target.size ? 0 : onDisk };
  const writer = await BlobWriter.open(path, hashSpec(target), [part], options.signal);
  try {
    const resumedFrom = part.done;
    if (resumedFrom > 0) options.onBytes(resumedFrom);
    let fetched = 0;
    const onBytes = (n: number) => {
      if (n > 0) fetched += n; // a restart takes back bytes of an earlier run too: progress only
      options.onBytes(n);
    };
    await fetchRun([part], { target, writer, options, signal: options.signal, openEnded: true, route: null, onBytes });
    await writer.verifyInto(target, async () => {
      await unlink(path).catch(() => {});
      options.onBytes(-target.size);
    }, options.signal);
    return { fetched, resumedFrom, skipped: false };
  } finally {
    await writer.close();
  }
}
