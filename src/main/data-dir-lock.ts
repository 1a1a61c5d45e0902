import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AppError } from '../shared/errors';
import { INSTANCE_INFO_FILE, readInstanceInfo, type InstanceInfo } from './instance-info';

export interface DataDirLock {
  /** Adds what other programs may read about the holder (the API address, once listening). */
  describe(info: { url?: string }): void;
  release(): void;
}

/**
 * One Switchyard per data dir. Two on one dir both run recovery and supervise the same runtimes: one's
 * stop is the other's crash (which it restarts), and their writes fight over the database.
 *
 * The lock is an exclusive SQLite lock (`locking_mode=EXCLUSIVE`, held from `BEGIN EXCLUSIVE` until the
 * connection closes) on `instance.lock`: an OS file lock, so the kernel drops it when the holder dies,
 * however it dies. A lock left by a dead process is therefore simply taken, and a reused pid can never
 * keep it. `instance.json` beside it says who holds it and where its API listens (for the
 * message, and for the CLI).
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const lockFile = join(dataDir, 'instance.lock');
  const infoFile = join(dataDir, INSTANCE_INFO_FILE);
  const db = new Database(lockFile, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE; COMMIT');
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
    const holder = readInstanceInfo(dataDir);
    const who = holder ? `another Switchyard (pid ${holder.pid})` : 'another Switchyard';
    throw new AppError(
      'data_dir_in_use',
      `${who} uses this data dir (${dataDir}): quit it first${holder?.url ? ` (it serves ${holder.url})` : ''}, or start this one with another --data-dir or SWITCHYARD_DATA_DIR.`,
      { dataDir, pid: holder?.pid ?? null },
    );
  }
  let holder: InstanceInfo = { pid: process.pid };
  const write = () => writeFileSync(infoFile, `${JSON.stringify(holder)}\n`, { mode: 0o600 });
  write();
  let held = true;
  return {
    describe(info) {
      if (!held) return;
      holder = { ...holder, ...info };
      write();
    },
    release() {
      if (!held) return;
      held = false;
      if (readInstanceInfo(dataDir)?.pid === process.pid) rmSync(infoFile, { force: true });
      db.close();
    },
  };
}
