import { readdirSync, readFileSync } from 'node:fs';

/**
 * Process facts read from /proc (Linux). Elsewhere the functions degrade to `kill(pid, 0)` checks.
 * Zombies are treated as gone: they hold no port and no VRAM, and their parent (init) reaps them.
 */
interface ProcStat {
  pid: number;
  state: string;
  pgid: number;
  startTime: string;
}

const hasProc = process.platform === 'linux';

export function readProcStat(pid: number): ProcStat | null {
  if (!hasProc) return null;
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm is in parentheses and may contain spaces; fields after the last ')' are fixed.
    const rest = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    return { pid, state: rest[0]!, pgid: Number(rest[2]), startTime: rest[19]! };
  } catch {
    return null;
  }
}

export function readCmdline(pid: number): string[] | null {
  if (!hasProc) return null;
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((s, i, a) => s !== '' || i < a.length - 1);
  } catch {
    return null;
  }
}

/** A process's environment at its start (`/proc/<pid>/environ`, readable by its owner only), or null. */
export function readEnviron(pid: number): Record<string, string> | null {
  if (!hasProc) return null;
  try {
    const raw = readFileSync(`/proc/${pid}/environ`, 'utf8');
    const out: Record<string, string> = {};
    for (const entry of raw.split('\0')) {
      const eq = entry.indexOf('=');
      if (eq > 0) out[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
    return out;
  } catch {
    return null;
  }
}

/** Alive and not a zombie. */
export function isAlive(pid: number): boolean {
  if (hasProc) {
    const stat = readProcStat(pid);
    return stat !== null && stat.state !== 'Z' && stat.state !== 'X';
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Live (non-zombie) members of a process group. */
export function groupMembers(pgid: number): number[] {
  if (!hasProc) {
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch {
      return [];
    }
  }
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const stat = readProcStat(pid);
    if (stat && stat.pgid === pgid && stat.state !== 'Z' && stat.state !== 'X') members.push(pid);
  }
  return members;
}

export type KillResult = { ok: true; signalled: boolean } | { ok: false; error: string };

/** Signals a whole process group. Never throws: a group that is already gone is fine. */
export function killGroup(pgid: number, signal: NodeJS.Signals): KillResult {
  if (pgid <= 1) return { ok: false, error: `refusing to signal process group ${pgid}` };
  try {
    process.kill(-pgid, signal);
    return { ok: true, signalled: true };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return { ok: true, signalled: false };
    return { ok: false, error: `${code ?? 'error'} sending ${signal} to group ${pgid}` };
  }
}

export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** Polls until the group has no live member or the deadline passes. Returns whether it emptied. */
export async function waitGroupEmpty(pgid: number, timeoutMs: number, intervalMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (groupMembers(pgid).length === 0) return true;
    if (Date.now() >= deadline) return false;
    await sleep(intervalMs);
  }
}
