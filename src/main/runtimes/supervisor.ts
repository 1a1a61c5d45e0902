import { closeSync, openSync } from 'node:fs';
import { startChild, type StartedChild } from '../system/child';
import { AppError, errorMessage } from '../../shared/errors';
import { groupMembers, isAlive, killGroup, sleep, waitGroupEmpty } from './process-group';

export type ExitReason = 'stopped' | 'killed' | 'crashed' | 'launch_failed';

/** An exit is data, not an exception. */
export interface ProcessExit {
  pid: number | null;
  code: number | null;
  signal: string | null;
  reason: ExitReason;
}

export interface LaunchSpec {
  command: string;
  args: readonly string[];
  env: Record<string, string>;
  cwd?: string;
  /** stdout and stderr go straight to this file (O_APPEND), so the runtime keeps logging if we die. */
  logFile: string;
}

type ExitListener = (exit: ProcessExit) => void;

/**
 * One runtime process and its process group. Spawned detached (its own group) so a stop can signal
 * the engine/runner children too, and so it can outlive a crash of Switchyard and be adopted later.
 */
export class SupervisedProcess {
  readonly pid: number;
  readonly pgid: number;
  readonly adopted: boolean;
  private exitInfo: ProcessExit | null = null;
  private stopState: 'none' | 'term' | 'kill' = 'none';
  private readonly exitListeners = new Set<ExitListener>();
  private readonly exitPromise: Promise<ProcessExit>;
  private resolveExit!: (exit: ProcessExit) => void;
  private pollTimer: NodeJS.Timeout | null = null;

  private constructor(pid: number, pgid: number, adopted: boolean) {
    this.pid = pid;
    this.pgid = pgid;
    this.adopted = adopted;
    this.exitPromise = new Promise((resolve) => (this.resolveExit = resolve));
  }

  /** Spawns the runtime. A binary that cannot be executed is an AppError('runtime_failed'), not a crash. */
  static async spawn(spec: LaunchSpec): Promise<SupervisedProcess> {
    let fd: number;
    try {
      fd = openSync(spec.logFile, 'a');
    } catch (error) {
      // EMFILE (descriptors exhausted), ENOSPC, EACCES: a start that cannot log is refused, not a crash
      throw new AppError('runtime_failed', `Could not open the runtime log ${spec.logFile} (${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}): free disk space or descriptors, then start it again.`, {
        reason: 'launch_failed',
      });
    }
    let started: StartedChild;
    try {
      started = startChild(spec.command, spec.args, { detached: true, env: spec.env, cwd: spec.cwd, stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    const { child } = started;
    const pid = child?.pid;
    if (!child || pid === undefined) {
      const exit = await started.exited;
      throw new AppError('runtime_failed', `Could not start ${spec.command}: ${exit.error?.message ?? 'spawn failed'}. Check the binary path in Settings.`, {
        reason: 'launch_failed',
      });
    }
    const proc = new SupervisedProcess(pid, pid, false);
    child.once('exit', (code, signal) => proc.settle(code, signal));
    return proc;
  }

  /** Takes over a runtime left running by a previous Switchyard. It is not our child: watch by polling. */
  static adopt(pid: number, pgid: number, pollMs = 250): SupervisedProcess {
    const proc = new SupervisedProcess(pid, pgid, true);
    proc.pollTimer = setInterval(() => {
      if (!isAlive(pid)) proc.settle(null, null);
    }, pollMs);
    proc.pollTimer.unref();
    return proc;
  }

  get exited(): Promise<ProcessExit> {
    return this.exitPromise;
  }

  get exit(): ProcessExit | null {
    return this.exitInfo;
  }

  get running(): boolean {
    return this.exitInfo === null;
  }

  onExit(listener: ExitListener): () => void {
    if (this.exitInfo) {
      listener(this.exitInfo);
      return () => {};
    }
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  /**
   * SIGTERM to the group, wait up to `graceMs`, then SIGKILL to the group. Resolves once the leader
   * exited and no live member of the group is left. A no-op (returning the exit) if already gone.
   */
  async stop(graceMs: number): Promise<ProcessExit> {
    if (this.exitInfo) {
      await this.reapGroup(graceMs);
      return this.exitInfo;
    }
    const deadline = Date.now() + graceMs;
    if (this.stopState === 'none') {
      this.stopState = 'term';
      killGroup(this.pgid, 'SIGTERM');
      killGroup(this.pgid, 'SIGCONT'); // a suspended runtime only acts on TERM once continued
    }
    const exitedInTime = await Promise.race([this.exitPromise.then(() => true), sleep(graceMs).then(() => false)]);
    if (!exitedInTime) {
      this.stopState = 'kill';
      killGroup(this.pgid, 'SIGKILL');
    }
    const exit = await this.exitPromise;
    await this.reapGroup(Math.max(0, deadline - Date.now()));
    return exit;
  }

  /** Members of the group that outlived the leader (a vLLM engine core, an Ollama runner). */
  private reapGroup(graceMs: number): Promise<void> {
    return stopGroup(this.pgid, graceMs);
  }

  /** Continues a suspended (SIGSTOP'd) group: a restart or a probe needs it answering again. */
  resume(): void {
    killGroup(this.pgid, 'SIGCONT');
  }

  private settle(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exitInfo) return;
    if (this.pollTimer) clearInterval(this.pollTimer);
    const reason: ExitReason = this.stopState === 'kill' ? 'killed' : this.stopState === 'term' ? 'stopped' : 'crashed';
    this.exitInfo = { pid: this.pid, code, signal, reason };
    this.resolveExit(this.exitInfo);
    for (const listener of this.exitListeners) listener(this.exitInfo);
    this.exitListeners.clear();
  }
}

/**
 * The one way a process group is stopped when its leader is gone or not ours to wait on (a crashed
 * runtime's children, a leftover group from a previous session): SIGTERM (and SIGCONT, since a
 * suspended member acts on TERM only once continued), up to `graceMs`, then SIGKILL.
 */
export async function stopGroup(pgid: number, graceMs: number): Promise<void> {
  if (groupMembers(pgid).length === 0) return;
  killGroup(pgid, 'SIGTERM');
  killGroup(pgid, 'SIGCONT');
  if (await waitGroupEmpty(pgid, graceMs)) return;
  killGroup(pgid, 'SIGKILL');
  await waitGroupEmpty(pgid, 5_000);
}
