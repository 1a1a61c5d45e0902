import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../shared/errors';

/** `org/name` → `models--org--name`, case preserved (huggingface_hub `repo_folder_name`). */
export function repoFolderName(repoId: string, type: 'model' | 'dataset' | 'space' = 'model'): string {
  return [`${type}s`, ...repoId.split('/')].join('--');
}

export function repoDir(cacheDir: string, repoId: string): string {
  return join(cacheDir, repoFolderName(repoId));
}

/** The commit a ref points to (`refs/main` holds 40 hex, no newline), or the revision itself if it is a commit. */
export function resolveCachedRevision(cacheDir: string, repoId: string, revision = 'main'): string | null {
  if (/^[0-9a-f]{40}$/.test(revision)) return revision;
  const ref = join(repoDir(cacheDir, repoId), 'refs', revision);
  if (!existsSync(ref)) return null;
  const commit = readFileSync(ref, 'utf8').trim();
  return /^[0-9a-f]{40}$/.test(commit) ? commit : null;
}

/**
 * Whether a model can be served with HF_HUB_OFFLINE=1: the ref resolves to a snapshot that has a
 * config.json, and no download of the repo is unfinished (no `*.incomplete` blob).
 */
export function isRepoFullyCached(cacheDir: string, repoId: string, revision = 'main'): boolean {
  const commit = resolveCachedRevision(cacheDir, repoId, revision);
  if (!commit) return false;
  const dir = repoDir(cacheDir, repoId);
  if (!existsSync(join(dir, 'snapshots', commit, 'config.json'))) return false;
  const blobs = join(dir, 'blobs');
  if (existsSync(blobs) && statSync(blobs).isDirectory()) {
    if (readdirSync(blobs).some((f) => f.endsWith('.incomplete'))) return false;
  }
  return true;
}

/** A blob name the HF cache can hold: a git sha1 (40 hex) or an LFS sha256 (64 hex), nothing else. */
export function isBlobId(id: string): boolean {
  return /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(id);
}

export function isCommitSha(commit: string): boolean {
  return /^[0-9a-f]{40}$/.test(commit);
}

/**
 * `blobs/<hash>` of a repo (hash: LFS sha256, else the git blob sha1 / etag). Ids come from the Hub
 * or a mirror: anything but a hash (`../../tmp/x`) is refused here, where every write and delete
 * of a blob or its `.incomplete` file gets its path.
 */
export function blobPath(cacheDir: string, repoId: string, blobId: string): string {
  if (!isBlobId(blobId)) throw new AppError('upstream_error', `Refusing blob id "${blobId.slice(0, 80)}" from the Hub: blobs are named by 40- or 64-hex hashes. Check the Hub endpoint (Settings › Hub) — a mirror that sends this is broken or hostile.`);
  return join(repoDir(cacheDir, repoId), 'blobs', blobId);
}

export function snapshotDir(cacheDir: string, repoId: string, commit: string): string {
  if (!isCommitSha(commit)) throw new AppError('upstream_error', `Refusing commit "${commit.slice(0, 80)}" from the Hub: a commit is 40 hex characters. Check the Hub endpoint (Settings › Hub).`);
  return join(repoDir(cacheDir, repoId), 'snapshots', commit);
}

/** The relative symlink target from `snapshots/<commit>/<path>` to `blobs/<blobId>`: one `../` per level. */
export function snapshotLinkTarget(filePath: string, blobId: string): string {
  const depth = filePath.split('/').length - 1;
  return `${'../'.repeat(depth + 2)}blobs/${blobId}`;
}

/** A repo id the cache can hold: `org/name` or `name`, no traversal. */
export function isSafeRepoId(repoId: string): boolean {
  return /^[\w\-.]+(\/[\w\-.]+)?$/.test(repoId) && !repoId.split('/').some((p) => p === '.' || p === '..');
}

/** A path inside a repo that stays inside its snapshot dir. */
export function isSafeRepoPath(path: string): boolean {
  if (!path || path.startsWith('/') || path.includes('\\') || path.includes('\0')) return false;
  return path.split('/').every((p) => p !== '' && p !== '.' && p !== '..');
}

/** `models--org--name` → `org/name`; null for datasets, spaces and anything else. */
export function repoIdFromFolder(folder: string): string | null {
  if (!folder.startsWith('models--')) return null;
  const parts = folder.slice('models--'.length).split('--');
  if (parts.length === 0 || parts.some((p) => !p)) return null;
  return parts.join('/');
}
