import { readFileSync } from 'node:fs';

/**
 * How many connections the API accepts at once: half the process's descriptor limit (the rest is for
 * the database, runtime pipes, log files and nvidia-smi), at least 32, at most 1024.
 */
export function connectionCap(limitsFile = '/proc/self/limits'): number {
  let soft = 1024;
  try {
    const line = readFileSync(limitsFile, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const value = line ? Number(line.split(/\s{2,}/)[1]) : Number.NaN;
    if (Number.isFinite(value) && value > 0) soft = value;
  } catch {
    // not Linux: keep the common default
  }
  return Math.max(32, Math.min(1024, Math.floor(soft / 2)));
}

/** SQLite's "database or disk is full" (SQLITE_FULL), whichever statement ran into it. */
export function isDatabaseFull(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_FULL');
}

export const DATABASE_FULL_MESSAGE =
  "Switchyard's data disk is full (SQLite: database or disk is full): nothing was changed. Free space on the disk that holds the data dir (old logs, unused models), then try again.";
