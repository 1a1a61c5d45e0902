import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** set when the program could not be started (ENOENT, EACCES, EMFILE…) */
  error: NodeJS.ErrnoException | null;
}

export interface StartedChild {
  /** null when spawn() itself threw */
  child: ChildProcess | null;
  exited: Promise<ChildExit>;
}

/**
 * Spawns a program with its 'error' listener attached before control returns. Node reports a failed
 * spawn on the next tick as an 'error' event, which ends the process when nobody listens — and under
 * descriptor exhaustion execa itself throws before its own listener is attached (execa 9: "stdio is
 * not iterable"). Never throws: a failure to start is an exit with `error` set.
 */
export function startChild(command: string, args: readonly string[], options: SpawnOptions): StartedChild {
  let child: ChildProcess;
  try {
    child = spawn(command, [...args], options);
  } catch (error) {
    return { child: null, exited: Promise.resolve({ code: null, signal: null, error: error as NodeJS.ErrnoException }) };
  }
  const exited = new Promise<ChildExit>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => resolve({ code: null, signal: null, error }));
    child.once('close', (code, signal) => resolve({ code, signal, error: null }));
  });
  return { child, exited };
}

/** Runs a short command to completion: its stdout (up to `maxBytes`), killed after `timeoutMs`. */
export async function runChild(command: string, args: readonly string[], options: { env: NodeJS.ProcessEnv; timeoutMs: number; maxBytes?: number }): Promise<ChildExit & { stdout: string }> {
  const { child, exited } = startChild(command, args, { env: options.env, stdio: ['ignore', 'pipe', 'ignore'] });
  if (!child) return { ...(await exited), stdout: '' };
  let stdout = '';
  const max = options.maxBytes ?? 1024 * 1024;
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    if (stdout.length < max) stdout += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  timer.unref();
  try {
    return { ...(await exited), stdout };
  } finally {
    clearTimeout(timer);
  }
}
