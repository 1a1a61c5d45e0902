import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { groupMembers, isAlive, killGroup } from '../../src/main/runtimes/process-group';
import { emulatorEnv, freePort, startTestCore, type TestCore } from '../support/core';
import { seedHfModel } from '../support/hf-cache';
import { killCoreAfterActivating } from '../support/killed-core';
import { waitFor } from '../support/wait';

let t: TestCore | null = null;
const leftovers: number[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await t?.close();
  t = null;
  for (const pgid of leftovers.splice(0)) killGroup(pgid, 'SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Starts a core in a child process, activates a runtime, then kills that core with SIGKILL. */
async function crashSwitchyardWith(runtime: 'vllm' | 'ollama', env: Record<string, string>, model?: string) {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-crash-'));
  dirs.push(dataDir);
  const fullEnv = { ...(await emulatorEnv(dataDir)), EMU_START_DELAY_MS: '150', ...env };
  // an installed model is activated in the child (launched as activation launches it: at its commit)
  if (model) seedHfModel(join(dataDir, 'hf-cache'), model);
  const pid = await killCoreAfterActivating(dataDir, runtime, model, fullEnv);
  leftovers.push(pid);
  expect(isAlive(pid)).toBe(true); // the runtime outlived Switchyard, as it would after a crash
  return { dataDir, env: fullEnv, pid };
}

describe('recovery after Switchyard itself was killed', () => {
  it('adopts a healthy runtime left running: same pid, ready, no second copy', async () => {
    const { dataDir, env, pid } = await crashSwitchyardWith('vllm', {}, 'org/tiny-model');
    t = await startTestCore({ dataDir, env });
    const info = t.core.runtimes.info('vllm');
    expect(info).toMatchObject({ state: 'ready', pid, model: 'org/tiny-model', active: true, owned: true });
    expect(t.core.db.prepare("SELECT count(*) FROM runtime_processes WHERE status = 'running'").pluck().get()).toBe(1);
    // activating the model it already serves, with the arguments it runs with, restarts nothing
    await t.core.activation.activate({ name: 'org/tiny-model' });
    expect(t.core.runtimes.info('vllm').pid).toBe(pid);
    // other flags: a restart with them — the adopted process is ours, its whole group goes
    await t.core.activation.activate({ name: 'org/tiny-model', flags: { max_model_len: 1024 } });
    const restarted = t.core.runtimes.info('vllm').pid!;
    expect(restarted).not.toBe(pid);
    expect(groupMembers(pid)).toEqual([]);
    await t.core.runtimes.stop('vllm');
    expect(groupMembers(restarted)).toEqual([]);
  });

  it('notices when an adopted runtime dies', async () => {
    const { dataDir, env, pid } = await crashSwitchyardWith('ollama', {});
    t = await startTestCore({ dataDir, env });
    expect(t.core.runtimes.info('ollama').state).toBe('ready');
    killGroup(pid, 'SIGKILL');
    await waitFor(() => t!.core.runtimes.info('ollama').state === 'crashed', 'adopted runtime reported crashed', 2_000);
  });

  it('stops a leftover runtime that no longer answers instead of running a second copy', async () => {
    const { dataDir, env, pid } = await crashSwitchyardWith('vllm', {}, 'org/tiny-model');
    process.kill(pid, 'SIGSTOP'); // alive, holding its port, but unresponsive
    t = await startTestCore({ dataDir, env: { ...env } });
    t.core.settings.update({ runtime: { stopGraceMs: 300 } });
    await waitFor(() => groupMembers(pid).length === 0, 'leftover group stopped', 8_000);
    expect(t.core.runtimes.info('vllm').state).toBe('stopped');
    const row = t.core.db.prepare('SELECT status, exit_reason FROM runtime_processes WHERE pid = ?').get(pid);
    expect(row).toEqual({ status: 'exited', exit_reason: 'orphan_stopped' });
    // the port is free again: a fresh start works
    await t.core.runtimes.activate('vllm', { model: 'org/tiny-model' });
    expect(t.core.runtimes.info('vllm').pid).not.toBe(pid);
  });

  it('does not touch a process whose pid was reused by something else', async () => {
    const { dataDir, env, pid } = await crashSwitchyardWith('ollama', {});
    // Pretend the recorded process started at another time: same pid, different identity.
    const { openDatabase } = await import('../../src/main/db/database');
    const db = openDatabase(join(dataDir, 'switchyard.db'));
    db.prepare("UPDATE runtime_processes SET proc_start = '1' WHERE pid = ?").run(pid);
    db.close();
    // Move the configured port so the running emulator is not mistaken for an external Ollama.
    t = await startTestCore({ dataDir, env: { ...env, SWITCHYARD_OLLAMA_PORT: String(await freePort()) } });
    expect(isAlive(pid)).toBe(true);
    expect(t.core.runtimes.info('ollama').state).toBe('stopped');
  });
});
