import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { emulatorEnv, freePort } from '../support/core';
import { launchShell, removeHome, type ShellApp } from './harness';

const SERVE = fileURLToPath(new URL('../../out/main/serve.js', import.meta.url));

interface Serve {
  child: ChildProcess;
  output: () => string;
  /** resolves with the exit code */
  exited: Promise<number | null>;
  /** resolves once it prints its ready line; rejects if it exits first */
  ready: Promise<void>;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'switchyard-lock-'));
  cleanups.push(() => removeHome(home));
  return home;
}

/** `node out/main/serve.js` on `dataDir` (a real second process, as a user would start it). */
async function serve(home: string, dataDir: string): Promise<Serve> {
  const env = { ...(await emulatorEnv(home)), SWITCHYARD_LOG_LEVEL: 'warn' };
  const child = spawn(process.execPath, [SERVE, '--port', String(await freePort()), '--data-dir', dataDir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', () => out.includes('Switchyard is running') && resolve());
    void exited.then((code) => reject(new Error(`serve exited (${code}) before it was ready: ${out}`)));
  });
  ready.catch(() => {});
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  });
  return { child, output: () => out, exited, ready };
}

describe('one Switchyard per data dir', () => {
  it('a second instance on the same data dir exits non-zero and names the first', async () => {
    const home = tempHome();
    const dataDir = join(home, 'data');
    const first = await serve(home, dataDir);
    await first.ready;
    const second = await serve(home, dataDir);
    expect(await second.exited).not.toBe(0);
    expect(second.output()).toContain(`another Switchyard (pid ${first.child.pid}) uses this data dir (${dataDir})`);
    // the first is untouched: still serving
    expect(first.child.exitCode).toBeNull();
    expect(JSON.parse(readFileSync(join(dataDir, 'instance.json'), 'utf8'))).toMatchObject({ pid: first.child.pid });
  });

  it('a lock left by a process that died is taken over', async () => {
    const home = tempHome();
    const dataDir = join(home, 'data');
    const first = await serve(home, dataDir);
    await first.ready;
    first.child.kill('SIGKILL');
    await first.exited;
    const second = await serve(home, dataDir);
    await second.ready;
    expect(JSON.parse(readFileSync(join(dataDir, 'instance.json'), 'utf8'))).toMatchObject({ pid: second.child.pid });
  });

  it('a pid file naming a dead or reused pid does not keep the data dir', async () => {
    const home = tempHome();
    const dataDir = join(home, 'data');
    const first = await serve(home, dataDir);
    await first.ready;
    first.child.kill('SIGTERM');
    await first.exited;
    // whatever the file says (here: this test's own live pid), only the OS lock counts
    writeFileSync(join(dataDir, 'instance.json'), JSON.stringify({ pid: process.pid }));
    const second = await serve(home, dataDir);
    await second.ready;
  });

  it('the desktop app refuses a data dir in use, with a message box', async () => {
    const home = tempHome();
    const dataDir = join(home, 'data');
    const first = await serve(home, dataDir);
    await first.ready;
    const app = await launchShell({ home, env: { SWITCHYARD_DATA_DIR: dataDir } });
    cleanups.push(() => app.kill());
    const box = await app.waitForCall('dialog.showErrorBox');
    expect(box.args[1]).toContain(`another Switchyard (pid ${first.child.pid}) uses this data dir`);
    expect((await app.exited).code).toBe(1);
  });

  it('a second desktop launch shows the first one’s window and ends', async () => {
    const home = tempHome();
    const first: ShellApp = await launchShell({ home });
    cleanups.push(() => first.kill());
    await first.loaded();
    const focusesBefore = first.callsTo('BrowserWindow.focus').length;
    const second = await launchShell({ home, env: { SWITCHYARD_PORT: first.env.SWITCHYARD_PORT, SWITCHYARD_OLLAMA_PORT: first.env.SWITCHYARD_OLLAMA_PORT, SWITCHYARD_VLLM_PORT: first.env.SWITCHYARD_VLLM_PORT } });
    cleanups.push(() => second.kill());
    expect((await second.exited).code).toBe(0);
    expect(second.callsTo('BrowserWindow.constructor')).toHaveLength(0);
    await first.until(() => first.callsTo('BrowserWindow.focus').length > focusesBefore, 'the first window to be focused');
    expect(first.callsTo('BrowserWindow.show').length).toBeGreaterThan(0);
  });
});
