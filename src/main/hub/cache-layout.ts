import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

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
