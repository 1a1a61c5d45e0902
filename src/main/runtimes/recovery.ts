import type { SettingsService } from '../config';
import type { Logger } from '../logger';
import { baseUrlOf } from './adapters';
import { groupMembers, readCmdline, readEnviron, readProcStat } from './process-group';
import type { RuntimeProcessRepo, RuntimeProcessRow } from './process-repo';
import type { RuntimeSlot } from './runtime-slot';
import { runOf } from './slot-state';
import { stopGroup, SupervisedProcess } from './supervisor';

export interface RecoveryContext {
  settings: SettingsService;
  processes: RuntimeProcessRepo;
  logger: Logger;
  env: Record<string, string | undefined>;
  fetch: typeof fetch;
}

/**
 * A process row left `running` by a previous Switchyard: adopted if it is that process and healthy,
 * stopped otherwise (through the supervisor's group stop). Resolves true when it was adopted.
 */
export async function reconcile(slot: RuntimeSlot, row: RuntimeProcessRow, ctx: RecoveryContext): Promise<boolean> {
  const log = ctx.logger.child({ runtime: row.runtime, pid: row.pid });
  const grace = ctx.settings.get().runtime.stopGraceMs;
  const stat = readProcStat(row.pid);
  const args = (JSON.parse(row.command) as string[]).slice(1);
  const cmdline = readCmdline(row.pid);
  const same = stat !== null && stat.state !== 'Z' && stat.startTime === row.proc_start && cmdline !== null && args.every((arg, i) => cmdline[cmdline.length - args.length + i] === arg);
  if (!same) {
    // If the leader is gone, live members of its group can only be its own children (a group id
    // stays taken while any member lives), so they are ours to stop. If the pid is alive but is
    // another program (pid reused), its group is that program's: leave it alone.
    const leaderGone = stat === null || stat.state === 'Z';
    if (leaderGone && groupMembers(row.pgid).length > 0) await stopGroup(row.pgid, grace);
    ctx.processes.recordExit(row.id, { code: null, signal: null, reason: 'gone' });
    log.info('previous runtime process is gone');
    return false;
  }
  const endpoint = { host: row.host, port: row.port };
  // the key it demands: its command line, else the environment it was started with (the per-start key)
  const apiKey = slot.adapter.apiKeyOf?.(args, { ...ctx.env, ...(readEnviron(row.pid) ?? {}) }) ?? null;
  let healthy = false;
  let version: string | null = null;
  if (!runOf(slot.current)) {
    try {
      const result = await slot.adapter.probe(baseUrlOf(endpoint), row.model, ctx.fetch, AbortSignal.timeout(1_500), apiKey ? { authorization: `Bearer ${apiKey}` } : undefined);
      healthy = result.ready;
      version = result.version ?? null;
    } catch {
      healthy = false;
    }
  }
  if (!healthy) {
    log.warn('stopping a leftover runtime that is not healthy (or a duplicate)');
    await stopGroup(row.pgid, grace);
    ctx.processes.recordExit(row.id, { code: null, signal: null, reason: 'orphan_stopped' });
    return false;
  }
  const proc = SupervisedProcess.adopt(row.pid, row.pgid);
  slot.adopt({ proc, rowId: row.id, endpoint, model: row.model, flags: slot.adapter.flagsOf?.(args) ?? {}, args, apiKey, startedAt: row.started_at }, version);
  log.info('adopted leftover runtime');
  return true;
}
