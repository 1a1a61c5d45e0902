import { existsSync } from 'node:fs';
import { readdir, readFile, rm, stat, unlink } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { blobPath, isBlobId, repoDir } from './cache-layout';
import { snapshotFiles } from './cache-scan';
import { partialFilesOf } from './ranged-download';

/** The refs of a repo (`main`, `pr/1`, …) that point at `commit`. */
export async function refsTo(cacheDir: string, repo: string, commit: string): Promise<string[]> {
  const root = join(repoDir(cacheDir, repo), 'refs');
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && (await readFile(full, 'utf8').catch(() => '')).trim() === commit) out.push(relative(root, full));
    }
  };
  await walk(root);
  return out.sort();
}

/** Commits that have a `snapshots/<commit>` folder. */
export async function snapshotCommits(cacheDir: string, repo: string): Promise<string[]> {
  return (await readdir(join(repoDir(cacheDir, repo), 'snapshots')).catch(() => [])).sort();
}

/**
 * Deletes `snapshots/<commit>` of a repo, the refs that point at it, and the blobs it links to that
 * no other snapshot links to; `partials` names blobs whose `.incomplete` files go too (a download
 * of that commit that never finished). Blobs shared with another snapshot stay. Returns the bytes
 * freed.
 */
export async function deleteSnapshot(cacheDir: string, repo: string, commit: string, partials: string[] = []): Promise<number> {
  const snapshots = join(repoDir(cacheDir, repo), 'snapshots');
  const keep = new Set<string>();
  for (const other of await snapshotCommits(cacheDir, repo)) {
    if (other === commit) continue;
    for (const f of snapshotFiles(join(snapshots, other))) if (f.blobId) keep.add(f.blobId);
  }
  let freed = 0;
  const drop = async (file: string) => {
    const size = (await stat(file).catch(() => null))?.size ?? 0;
    await unlink(file)
      .then(() => (freed += size))
      .catch(() => {});
  };
  for (const f of snapshotFiles(join(snapshots, commit))) {
    if (!f.blobId || !isBlobId(f.blobId) || keep.has(f.blobId)) continue;
    keep.add(f.blobId); // linked twice in one snapshot: delete once
    await drop(blobPath(cacheDir, repo, f.blobId));
  }
  for (const id of partials) if (isBlobId(id) && !keep.has(id)) for (const file of partialFilesOf(blobPath(cacheDir, repo, id))) await drop(file);
  await rm(join(snapshots, commit), { recursive: true, force: true });
  for (const ref of await refsTo(cacheDir, repo, commit)) await unlink(join(repoDir(cacheDir, repo), 'refs', ref)).catch(() => {});
  return freed;
}

/** Removes a repo's folder when it holds no snapshot, ref or blob any more. */
export async function removeRepoIfEmpty(cacheDir: string, repo: string): Promise<void> {
  const dir = repoDir(cacheDir, repo);
  if (!existsSync(dir)) return;
  const blobs = await readdir(join(dir, 'blobs')).catch(() => []);
  const refs = await readdir(join(dir, 'refs')).catch(() => []);
  if ((await snapshotCommits(cacheDir, repo)).length === 0 && blobs.length === 0 && refs.length === 0) await rm(dir, { recursive: true, force: true });
}
