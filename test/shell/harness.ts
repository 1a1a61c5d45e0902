import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emulatorEnv, freePort } from '../support/core';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const MAIN = join(root, 'out', 'main', 'index.js');
const REGISTER = join(root, 'test', 'fixtures', 'electron', 'register.mjs');

/** One recorded call into the fake `electron` module. */
export interface Call {
  api: string;
  args: unknown[];
}

export interface ShellOptions {
  /** the temp dir the app lives in (userData under it, the data dir by default); a new one when absent */
  home?: string;
  /** replaces the default environment entries (emulators on free ports, offline, a free API port) */
  env?: Record<string, string | undefined>;
  args?: string[];
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * The built Electron main process (out/main/index.js) running under Node with the fake `electron`
 * module, wired to the runtime emulators. Commands drive the fake (IPC from a frame, link clicks,
 * navigations, tray clicks, quit); every call the app made into Electron is in `calls`.
 */
export class ShellApp {
  readonly calls: Call[] = [];
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private readonly waiters = new Set<() => void>();
  private nextId = 1;
  private output = '';
  private exit: Exit | null = null;

  constructor(
    readonly home: string,
    readonly env: Record<string, string>,
    args: string[],
    private readonly log: string,
  ) {
    this.child = fork(MAIN, args, {
      cwd: root,
      env,
      // Electron keeps a main process alive after an unhandled rejection (it only warns)
      execArgv: ['--unhandled-rejections=warn', '--import', REGISTER],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
      this.notify();
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.child.on('message', (message: { type: string; id?: number; result?: unknown; error?: string; api?: string; args?: unknown[] }) => {
      if (message.type === 'fake-electron-call') {
        this.calls.push({ api: message.api!, args: message.args! });
        this.notify();
      } else if (message.type === 'fake-electron-result') {
        const waiter = this.pending.get(message.id!);
        this.pending.delete(message.id!);
        if (message.error !== undefined) waiter?.reject(new Error(message.error));
        else waiter?.resolve(message.result);
      }
    });
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        // the log file is the complete record: IPC messages sent just before exit can be lost
        if (existsSync(this.log)) {
          const all = readFileSync(this.log, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Call);
          this.calls.splice(0, this.calls.length, ...all);
        }
        for (const waiter of this.pending.values()) waiter.reject(new Error(`the app exited (${code ?? signal}) before answering`));
        this.pending.clear();
        this.notify();
        resolve(this.exit);
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** stdout and stderr so far (the last 20 kB), for failure messages */
  get stdio(): string {
    return this.output;
  }

  command<T = unknown>(command: string, args: Record<string, unknown> = {}): Promise<T> {
    if (this.exit) return Promise.reject(new Error(`the app has exited (${this.exit.code ?? this.exit.signal})`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ type: 'fake-electron-command', id, command, args });
    });
  }

  callsTo(api: string): Call[] {
    return this.calls.filter((c) => c.api === api);
  }

  /** Resolves with the first call to `api` that `match` accepts; rejects on exit or after `timeoutMs`. */
  waitForCall(api: string, match: (call: Call) => boolean = () => true, timeoutMs = 45_000): Promise<Call> {
    return this.until(() => this.calls.find((c) => c.api === api && match(c)) ?? null, `a call to ${api}`, timeoutMs);
  }

  /** Resolves once `check` answers something (re-checked on every call, output line and exit). */
  until<T>(check: () => T | null | undefined | false, what: string, timeoutMs = 45_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(test);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; calls: ${this.calls.map((c) => c.api).join(', ')}\n${this.output}`));
      }, timeoutMs);
      const test = () => {
        const value = check();
        if (value) {
          clearTimeout(timer);
          this.waiters.delete(test);
          resolve(value);
        } else if (this.exit) {
          clearTimeout(timer);
          this.waiters.delete(test);
          reject(new Error(`the app exited (${this.exit.code ?? this.exit.signal}) before ${what}; calls: ${this.calls.map((c) => c.api).join(', ')}\n${this.output}`));
        }
      };
      this.waiters.add(test);
      test();
    });
  }

  /** The window is loaded: its URL (the API base) is known. */
  async loaded(): Promise<string> {
    const call = await this.waitForCall('webContents.loadURL');
    return call.args[1] as string;
  }

  async kill(): Promise<void> {
    if (!this.exit) this.child.kill('SIGKILL');
    await this.exited;
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** Starts the shell in a temp home: userData in `<home>/config/switchyard`, emulators on free ports, offline. */
export async function launchShell(options: ShellOptions = {}): Promise<ShellApp> {
  const home = options.home ?? mkdtempSync(join(tmpdir(), 'switchyard-shell-'));
  const base = await emulatorEnv(home);
  const env: Record<string, string> = {};
  const merged: Record<string, string | undefined> = {
    ...base,
    XDG_CONFIG_HOME: join(home, 'config'),
    SWITCHYARD_DATA_DIR: join(home, 'data'),
    SWITCHYARD_PORT: String(await freePort()),
    SWITCHYARD_LOG_LEVEL: 'warn',
    FAKE_ELECTRON_LOG: join(home, `electron-calls-${Date.now()}-${Math.random().toString(36).slice(2)}.jsonl`),
    ...options.env,
  };
  for (const [key, value] of Object.entries(merged)) if (value !== undefined) env[key] = value;
  return new ShellApp(home, env, options.args ?? [], env.FAKE_ELECTRON_LOG!);
}

export function removeHome(home: string): void {
  rmSync(home, { recursive: true, force: true });
}
