import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeHub, type FakeHub } from '../fixtures/hub/server.mjs';
import { startTestCore, type TestCore } from '../support/core';
import { install, waitForOperation } from '../support/models';
import { tempDir } from '../support/temp';
import type { InstalledModel, Operation } from '../../src/shared/api/models';

let hub: FakeHub;
const cores: TestCore[] = [];

beforeAll(async () => {
  hub = await startFakeHub();
});
afterAll(async () => {
  await hub.close();
});
afterEach(async () => {
  for (const c of cores.splice(0)) await c.close().catch(() => {});
  await hub.setKnobs({ bytesPerSec: null, down: false, dropAfterBytes: null });
  hub.resetStats();
});

async function start(dataDir?: string): Promise<TestCore> {
  const t = await startTestCore({ dataDir, keepDataDir: true, env: { SWITCHYARD_OFFLINE: '0', HF_ENDPOINT: hub.url }, seams: { downloadRetryBaseMs: 20 } });
  cores.push(t);
  return t;
}
const BIG = 'model-00001-of-00002.safetensors';
const blobsDir = (t: TestCore) => join(t.dataDir, 'hf-cache', 'models--org--tiny-model', 'blobs');

describe('interrupted installs', () => {
  it('an install cut by a Switchyard stop resumes on the next start from the bytes on disk', async () => {
    await hub.setKnobs({ bytesPerSec: 2 * 1024 * 1024 });
    const first = await start();
    const id = await install(first, { name: 'org/tiny-model', provider: 'huggingface', files: [BIG, 'config.json'] });
    await waitForOperation(first, id, (op) => op.bytes_done > 1024 * 1024, 15_000);
    await first.app.close();
    await first.core.stop();
    cores.splice(cores.indexOf(first), 1);
    const partial = readdirSync(blobsDir(first)).find((f) => f.endsWith('.incomplete'));
    expect(partial).toBeDefined();
    // what the Hub sent before the stop and what of it reached the disk: the difference was still in
    // flight (socket buffers, a read not yet written) and may be fetched again — how much depends on how
    // fast the stop ran, so it is measured, not assumed
    const onDisk = statSync(join(blobsDir(first), partial!)).size;
    const sentBeforeStop = hub.stats.bytesByFile[`org/tiny-model/${BIG}`]!;

    await hub.setKnobs({ bytesPerSec: null });
    const second = await start(first.dataDir);
    const op = await waitForOperation(second, id);
    expect(op.status, op.message).toBe('completed');
    const size = hub.repo('org/tiny-model')!.files.get(BIG)!.size;
    const resumed = hub.stats.ranges.filter((r) => r.file.endsWith(BIG) && r.range);
    expect(resumed.length).toBeGreaterThan(0);
    const offset = Number(/bytes=(\d+)-/.exec(resumed.at(-1)!.range!)![1]);
    expect(offset).toBeGreaterThanOrEqual(1024 * 1024);
    // nothing that was on disk was fetched again: only what was still in flight at the stop
    expect(offset).toBeGreaterThanOrEqual(onDisk);
    expect(hub.stats.bytesByFile[`org/tiny-model/${BIG}`]! - size).toBeLessThanOrEqual(sentBeforeStop - onDisk);
    const registry = await second.call<{ models: InstalledModel[] }>('GET', '/api/v1/models/registry');
    expect(registry.body.models.find((m) => m.name === 'org/tiny-model')?.status).toBe('installed');
  });

  it('cancel keeps a resumable partial file; retry resumes it; cancel with cleanup deletes it', async () => {
    await hub.setKnobs({ bytesPerSec: 2 * 1024 * 1024 });
    const t = await start();
    const id = await install(t, { name: 'org/tiny-model', provider: 'huggingface', files: [BIG] });
    await waitForOperation(t, id, (op) => op.bytes_done > 512 * 1024, 15_000);
    const cancelled = await t.call<{ operation: Operation }>('POST', `/api/v1/models/operations/${id}/cancel`, {});
    expect(cancelled.body.operation.status).toBe('cancelled');
    expect(readdirSync(blobsDir(t)).filter((f) => f.endsWith('.incomplete'))).toHaveLength(1);
    const again = await t.call('POST', `/api/v1/models/operations/${id}/cancel`, {});
    expect(again.status).toBe(409);

    const retry = await t.call<{ operation_id: string }>('POST', `/api/v1/models/operations/${id}/retry`);
    expect(retry.status).toBe(200);
    const id2 = retry.body.operation_id;
    await waitForOperation(t, id2, (op) => op.bytes_done > 1024 * 1024 + 512 * 1024, 15_000);
    expect(hub.stats.ranges.some((r) => r.file.endsWith(BIG) && r.range !== null)).toBe(true);
    const cleaned = await t.call<{ operation: Operation }>('POST', `/api/v1/models/operations/${id2}/cancel`, { cleanup: true });
    expect(cleaned.body.operation.status).toBe('cancelled');
    // nothing of the install is left: no partial file, and no folder for a repo never installed
    expect(existsSync(join(t.dataDir, 'hf-cache', 'models--org--tiny-model'))).toBe(false);
    const registry = await t.call<{ models: InstalledModel[] }>('GET', '/api/v1/models/registry');
    expect(registry.body.models.find((m) => m.name === 'org/tiny-model')).toBeUndefined();

    const list = await t.call<{ operations: Operation[] }>('GET', '/api/v1/models/operations?limit=5');
    expect(list.body.operations.map((o) => o.operation_id)).toEqual([id2, id]);
  });

  it('a hub that goes down mid-download fails after bounded retries, keeping the partial file', async () => {
    await hub.setKnobs({ bytesPerSec: 2 * 1024 * 1024 });
    const t = await start();
    t.core.settings.update({ downloads: { maxRetries: 2 } });
    const id = await install(t, { name: 'org/tiny-model', provider: 'huggingface', files: [BIG] });
    await waitForOperation(t, id, (op) => op.bytes_done > 256 * 1024, 15_000);
    await hub.setKnobs({ down: true });
    const op = await waitForOperation(t, id);
    expect(op.status).toBe('failed');
    expect(op.error?.code).toBe('upstream_error');
    expect(op.error?.message).toMatch(/retries/);
    expect(existsSync(blobsDir(t))).toBe(true);
    expect(readdirSync(blobsDir(t)).some((f) => f.endsWith('.incomplete'))).toBe(true);
  });

  it('imports models already in the HF cache as installed, without downloading', async () => {
    const t = await start();
    const id = await install(t, { name: 'org/no-system-model', provider: 'huggingface' });
    expect((await waitForOperation(t, id)).status).toBe('completed');
    await t.app.close();
    await t.core.stop();
    cores.splice(cores.indexOf(t), 1);
    // a fresh data dir (new manifest) over the same HF cache
    const other = tempDir('switchyard-disc-');
    const t2 = await startTestCore({ dataDir: other, env: { SWITCHYARD_OFFLINE: '0', HF_ENDPOINT: hub.url, HF_HUB_CACHE: join(t.dataDir, 'hf-cache') } });
    cores.push(t2);
    hub.resetStats();
    const registry = await t2.call<{ models: InstalledModel[] }>('GET', '/api/v1/models/registry');
    const m = registry.body.models.find((x) => x.name === 'org/no-system-model');
    expect(m).toMatchObject({ status: 'installed', source: 'discovered' });
    expect(m?.capabilities?.supports_system_role).toBe(false);
    expect(hub.stats.bytesServed).toBe(0);
  });
});
