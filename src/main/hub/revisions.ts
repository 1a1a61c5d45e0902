import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { repoDir } from './cache-layout';
import { deleteSnapshot, refsTo, snapshotCommits } from './cache-prune';
import { snapshotFiles } from './cache-scan';

/** One `snapshots/<commit>` of a repo in the HF cache. */
export interface CachedSnapshot {
  commit: string;
  /** when the snapshot folder was written */
  date: Date;
  /** bytes of the files it links to */
  sizeBytes: number;
  refs: string[];
}

/** The repo's snapshots on disk, newest first. */
export async function listSnapshots(cacheDir: string, repo: string): Promise<CachedSnapshot[]> {
  const out: CachedSnapshot[] = [];
  for (const commit of await snapshotCommits(cacheDir, repo)) {
    const dir = join(repoDir(cacheDir, repo), 'snapshots', commit);
    const info = await stat(dir).catch(() => null);
    if (!info?.isDirectory()) continue;
    let sizeBytes = 0;
    for (const f of snapshotFiles(dir)) sizeBytes += f.size;
    out.push({ commit, date: info.mtime, sizeBytes, refs: await refsTo(cacheDir, repo, commit) });
  }
  return out.sort((a, b) => b.date.getTime() - a.date.getTime() || a.commit.localeCompare(b.commit));
}

export interface PruneResult {
  removed: string[];
  kept: string[];
  freedBytes: number;
}

/**
 * Keeps the newest `keep` snapshots of a repo, plus those in `protect` (installed, pinned, served) and
 * those a ref points at; deletes the others with the blobs only they link to. `partials` (blob ids per
 * commit) names unfinished downloads of a deleted commit that go too.
 */
export async function pruneSnapshots(cacheDir: string, repo: string, options: { keep: number; protect: Iterable<string>; partials?: Record<string, string[]> }): Promise<PruneResult> {
  const protect = new Set(options.protect);
  const snapshots = await listSnapshots(cacheDir, repo);
  const kept: string[] = [];
  const doomed: string[] = [];
  for (const s of snapshots) if (protect.has(s.commit) || s.refs.length > 0) kept.push(s.commit);
  for (const s of snapshots) {
    if (kept.includes(s.commit)) continue;
    if (kept.length < options.keep) kept.push(s.commit);
    else doomed.push(s.commit);
  }
  let freedBytes = 0;
  for (const commit of doomed) freedBytes += await deleteSnapshot(cacheDir, repo, commit, options.partials?.[commit] ?? []);
  return { removed: doomed, kept, freedBytes };
}
