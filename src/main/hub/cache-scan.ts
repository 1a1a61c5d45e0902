import { existsSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { repoDir, repoIdFromFolder, resolveCachedRevision } from './cache-layout';

export interface CachedSnapshotFile {
  path: string;
  blobId: string | null;
  size: number;
  localPath: string;
}

export interface CachedRepo {
  repo: string;
  commit: string;
  snapshot: string;
  files: CachedSnapshotFile[];
  sizeBytes: number;
}

/** Files of a snapshot dir (recursively), with the blob each symlink points to. */
export function snapshotFiles(snapshot: string): CachedSnapshotFile[] {
  const out: CachedSnapshotFile[] = [];
  const walk = (dir: string, prefix: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(full, rel);
      else if (entry.isSymbolicLink() || entry.isFile()) {
        let size = 0;
        try {
          size = statSync(full).size;
        } catch {
          continue; // dangling link: the blob is gone
        }
        out.push({ path: rel, blobId: entry.isSymbolicLink() ? basename(readlinkSync(full)) : null, size, localPath: full });
      }
    }
  };
  if (existsSync(snapshot)) walk(snapshot, '');
  return out;
}

/** Models fully present in the HF cache at `refs/main` (no discovery of datasets/spaces). */
export function scanCachedModels(cacheDir: string): CachedRepo[] {
  if (!existsSync(cacheDir)) return [];
  const out: CachedRepo[] = [];
  for (const folder of readdirSync(cacheDir)) {
    const repo = repoIdFromFolder(folder);
    if (!repo) continue;
    const commit = resolveCachedRevision(cacheDir, repo, 'main');
    if (!commit) continue;
    const snapshot = join(repoDir(cacheDir, repo), 'snapshots', commit);
    const files = snapshotFiles(snapshot);
    if (files.length === 0) continue;
    out.push({ repo, commit, snapshot, files, sizeBytes: files.reduce((a, f) => a + f.size, 0) });
  }
  return out;
}
