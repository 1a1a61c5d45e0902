import type { RuntimeName } from '../../shared/api/runtimes';
import type { Db } from '../db/database';

export interface RuntimeProcessRow {
  id: number;
  runtime: RuntimeName;
  pid: number;
  pgid: number;
  proc_start: string | null;
  command: string;
  host: string;
  port: number;
  model: string | null;
  log_path: string;
  status: 'running' | 'exited';
  started_at: string;
}

export interface NewRuntimeProcess {
  runtime: RuntimeName;
  pid: number;
  pgid: number;
  procStart: string | null;
  command: string[];
  host: string;
  port: number;
  model: string | null;
  logPath: string;
}

/** PID tracking: every spawned runtime, so orphans can be found after Switchyard itself died. */
export class RuntimeProcessRepo {
  private readonly insert;
  private readonly exited;
  private readonly running;

  constructor(db: Db) {
    this.insert = db.prepare(
      `INSERT INTO runtime_processes (runtime, pid, pgid, proc_start, command, host, port, model, log_path, status, started_at)
       VALUES (@runtime, @pid, @pgid, @procStart, @command, @host, @port, @model, @logPath, 'running', @startedAt)`,
    );
    this.exited = db.prepare(
      `UPDATE runtime_processes SET status = 'exited', exited_at = @at, exit_code = @code, exit_signal = @signal, exit_reason = @reason
       WHERE id = @id AND status = 'running'`,
    );
    this.running = db.prepare<[], RuntimeProcessRow>(`SELECT * FROM runtime_processes WHERE status = 'running' ORDER BY id`);
  }

  recordStart(p: NewRuntimeProcess): number {
    const info = this.insert.run({ ...p, command: JSON.stringify(p.command), startedAt: new Date().toISOString() });
    return Number(info.lastInsertRowid);
  }

  recordExit(id: number, exit: { code: number | null; signal: string | null; reason: string }): void {
    this.exited.run({ id, at: new Date().toISOString(), code: exit.code, signal: exit.signal, reason: exit.reason });
  }

  listRunning(): RuntimeProcessRow[] {
    return this.running.all();
  }
}
