import { lstat, mkdir, readlink, rename, symlink, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AppError } from '../../shared/errors';
import { blobPath, isBlobId, isSafeRepoPath, repoDir, snapshotDir, snapshotLinkTarget } from './cache-layout';
import { downloadBlob, type HttpGet } from './downloader';

export interface SnapshotFile {
  path: string;
  size: number;
  /** LFS sha256, or null for a regular file */
  sha256: string | null;
  /** git blob sha1 */
  oid: string;
}

/** The blob name the HF cache uses for a file: LFS sha256, else the git sha1 (etag). */
export const blobIdOf = (f: SnapshotFile): string => f.sha256 ?? f.oid;

export interface SnapshotDownloadOptions {
  cacheDir: string;
  repo: string;
  /** the ref to point at the commit (`main`), or null when the revision is a commit itself */
  ref: string | null;
  commit: string;
  files: SnapshotFile[];
  fileUrl(path: string): string;
  headers: Record<string, string>;
  /** transport: the net layer's `get` */
  get: HttpGet;
  /** large files in parallel ranges (see downloadBlob) */
  parallel?: { parts: number; thresholdBytes: number };
  concurrency: number;
  maxRetries: number;
  retryBaseMs: number;
  signal: AbortSignal;
  onBytes(delta: number): void;
  onFileVerified(file: SnapshotFile, localPath: string): void;
  onRetry?(file: SnapshotFile, attempt: number, error: unknown, delayMs: number): void;
}

export interface SnapshotDownloadResult {
  snapshot: string;
  fetchedBytes: number;
  resumedBytes: number;
}

/**
 * Fetches the files of one commit into the HF cache layout, `concurrency` at a time. Each verified
 * blob is linked into `snapshots/<commit>/` at once (relative symlink); `refs/<ref>` is written last,
 * so tools see the model as cached only once every file is there.
 */
export async function downloadSnapshot(options: SnapshotDownloadOptions): Promise<SnapshotDownloadResult> {
  // Everything below names files by what the Hub sent: check it all before the first byte is written.
  for (const f of options.files) {
    if (!isSafeRepoPath(f.path)) throw new AppError('upstream_error', `The Hub listed an unsafe file path "${f.path.slice(0, 200)}"; refusing to write it. Check the Hub endpoint (Settings › Hub).`);
    const id = blobIdOf(f);
    if (!isBlobId(id) || (f.sha256 !== null && !/^[0-9a-f]{64}$/.test(f.sha256))) {
      throw new AppError('upstream_error', `The Hub sent an invalid hash "${id.slice(0, 80)}" for ${f.path.slice(0, 200)}; refusing to download. Check the Hub endpoint (Settings › Hub).`);
    }
  }
  const snapshot = snapshotDir(options.cacheDir, options.repo, options.commit);
  let fetchedBytes = 0;
  let resumedBytes = 0;
  const queue = [...options.files].sort((a, b) => b.size - a.size);
  const inner = new AbortController();
  const onOuterAbort = () => inner.abort(options.signal.reason);
  options.signal.addEventListener('abort', onOuterAbort, { once: true });
  let firstError: unknown = null;

  const worker = async () => {
    for (let file = queue.shift(); file; file = queue.shift()) {
      if (inner.signal.aborted) return;
      const blobId = blobIdOf(file);
      const target = blobPath(options.cacheDir, options.repo, blobId);
      const result = await downloadBlob(
        { url: options.fileUrl(file.path), blobPath: target, size: file.size, sha256: file.sha256, gitOid: file.sha256 ? null : file.oid, label: `${options.repo}/${file.path}` },
        {
          get: options.get,
          parallel: options.parallel,
          signal: inner.signal,
          headers: options.headers,
          maxRetries: options.maxRetries,
          retryBaseMs: options.retryBaseMs,
          onBytes: options.onBytes,
          onRetry: (attempt, error, delay) => options.onRetry?.(file, attempt, error, delay),
        },
      );
      fetchedBytes += result.fetched;
      resumedBytes += result.resumedFrom;
      const link = join(snapshot, file.path);
      await linkSnapshotFile(link, snapshotLinkTarget(file.path, blobId));
      options.onFileVerified(file, link);
    }
  };

  try {
    const workers = Array.from({ length: Math.max(1, Math.min(options.concurrency, queue.length)) }, () =>
      worker().catch((error) => {
        // The first failure stops the others: one bad file fails the install, nothing half-linked.
        firstError ??= error;
        inner.abort(error);
      }),
    );
    await Promise.all(workers);
    if (options.signal.aborted) throw options.signal.reason;
    if (firstError) throw firstError;
    if (options.ref) await writeRef(options.cacheDir, options.repo, options.ref, options.commit);
    return { snapshot, fetchedBytes, resumedBytes };
  } finally {
    options.signal.removeEventListener('abort', onOuterAbort);
  }
}

async function linkSnapshotFile(link: string, target: string): Promise<void> {
  await mkdir(dirname(link), { recursive: true });
  const existing = await lstat(link).catch(() => null);
  if (existing) {
    if (existing.isSymbolicLink() && (await readlink(link)) === target) return;
    await unlink(link);
  }
  await symlink(target, link);
}

/** `refs/<ref>` = the commit, no trailing newline (huggingface_hub writes it with write_text). */
export async function writeRef(cacheDir: string, repo: string, ref: string, commit: string): Promise<void> {
  const file = join(repoDir(cacheDir, repo), 'refs', ref);
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, commit);
  await rename(tmp, file);
}
