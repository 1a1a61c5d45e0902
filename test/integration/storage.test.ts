import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StorageStatus } from '../../src/shared/api/library';
import type { InstallPlan, Operation } from '../../src/shared/api/models';
import type { AppEvent } from '../../src/shared/events';
import { startTestCore, type TestCore } from '../support/core';
import { emulatorEvents } from '../support/emulator-state';
import { waitFor } from '../support/wait';
import { tempDir } from '../support/temp';

let t: TestCore | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('storage guards', () => {
  it('holds an Ollama pull to the quota and free-space rules before any pull request reaches Ollama', async () => {
    const state = join(tempDir('ollama-quota-'), 'state.jsonl');
    t = await startTestCore({ env: { EMU_STATE_FILE: state } });
    await t.call('POST', '/api/v1/system/llm-servers/ollama/start'); // up, so a pull would go straight to it
    // qwen2.5:0.5b is 398 MB in the library list (offline: no registry manifest)
    const plan = await t.call<{ plan: InstallPlan }>('GET', '/api/v1/models/registry/plan?name=qwen2.5%3A0.5b&provider=ollama');
    expect(plan.body.plan.download_bytes).toBe(398_000_000);

    t.core.settings.update({ downloads: { maxStorageBytes: 100 * 1024 * 1024 } });
    const overCap = await t.call<{ error: { code: string; message: string } }>('POST', '/api/v1/models/registry/install', { name: 'qwen2.5:0.5b', provider: 'ollama' });
    expect(overCap.status).toBe(507);
    expect(overCap.body.error.code).toBe('quota_exceeded');
    expect(overCap.body.error.message).toMatch(/379\.6 MiB|398|storage cap of 100/);
    const refusedPlan = await t.call<{ plan: InstallPlan }>('GET', '/api/v1/models/registry/plan?name=qwen2.5%3A0.5b&provider=ollama');
    expect(refusedPlan.body.plan.refusal?.code).toBe('quota_exceeded');

    t.core.settings.update({ downloads: { maxStorageBytes: null, minFreePercent: 100 } });
    const minFree = await t.call<{ error: { code: string; message: string } }>('POST', '/api/v1/models/registry/install', { name: 'qwen2.5:0.5b', provider: 'ollama' });
    expect(minFree.status).toBe(507);
    expect(minFree.body.error.message).toMatch(/under the 100% minimum/);

    const ops = await t.call<{ operations: Operation[] }>('GET', '/api/v1/models/operations');
    expect(ops.body.operations).toHaveLength(0);
    expect(emulatorEvents(state).filter((e) => e.event === 'pull_started')).toEqual([]);

    // within the rules the same pull goes through
    t.core.settings.update({ downloads: { minFreePercent: 0 } });
    const ok = await t.call('POST', '/api/v1/models/registry/install', { name: 'qwen2.5:0.5b', provider: 'ollama' });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
  });

  it('alerts once when a model disk crosses storage.alertPercent, and answers what uses the space', async () => {
    let used = 50;
    t = await startTestCore({ seams: { storageDisk: async (path) => ({ path, total_bytes: 1_000_000, free_bytes: 1_000_000 - used * 10_000 }) } });
    const alerts: AppEvent[] = [];
    t.core.events.on((e) => alerts.push(e), ['storage.alert']);
    used = 90;
    t.core.settings.update({ storage: { alertPercent: 80 } });
    t.core.events.emit({ type: 'settings.changed' });
    await waitFor(async () => (alerts.length ? alerts : null), 'storage.alert');
    t.core.events.emit({ type: 'settings.changed' });
    const res = await t.call<{ storage: StorageStatus }>('GET', '/api/v1/system/storage');
    expect(res.status).toBe(200);
    expect(res.body.storage).toMatchObject({ alert_percent: 80, disks: [expect.objectContaining({ used_percent: 90, alert: true })] });
    expect(alerts).toHaveLength(1);
  });
});
