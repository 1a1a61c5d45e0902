import { existsSync, lstatSync, readFileSync, readlinkSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { scanCacheDir } from '@huggingface/hub';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeHub, type FakeHub } from '../fixtures/hub/server.mjs';
import { startTestCore, type TestCore } from '../support/core';
import { install, waitForOperation } from '../support/models';
import type { InstalledModel, InstallPlan } from '../../src/shared/api/models';

let hub: FakeHub;
let t: TestCore;

beforeAll(async () => {
  hub = await startFakeHub();
});
afterAll(async () => {
  await hub.close();
});
afterEach(async () => {
  await t?.close();
  await hub.setKnobs({ dropAfterBytes: null, corruptOffset: null, bytesPerSec: null, down: false });
  hub.resetStats();
});

const start = (env: Record<string, string> = {}) => startTestCore({ env: { HF_ENDPOINT: hub.url, ...env }, seams: { downloadRetryBaseMs: 20 } });
const repoPath = (core: TestCore, repo: string) => join(core.dataDir, 'hf-cache', `models--${repo.replace('/', '--')}`);

describe('Hugging Face installs', () => {
  it('plans, installs into the HF cache layout, and scanCacheDir agrees', async () => {
    t = await start();
    const plan = await t.call<{ plan: InstallPlan }>('GET', '/api/v1/models/registry/plan?name=org%2Ftiny-model&provider=huggingface');
    expect(plan.status).toBe(200);
    const files = plan.body.plan.files.map((f) => f.path).sort();
    expect(files).toContain('model-00001-of-00002.safetensors');
    expect(files).toContain('config.json');
    expect(files).not.toContain('pytorch_model.bin');
    expect(files.some((f) => f.startsWith('original/'))).toBe(false);
    expect(plan.body.plan.total_bytes).toBeGreaterThan(5 * 1024 * 1024);
    expect(plan.body.plan.refusal).toBeNull();

    const events: string[] = [];
    const off = t.core.events.on((e) => e.type === 'operation.updated' && events.push(e.operation.status), ['operation.updated']);
    const id = await install(t, { name: 'org/tiny-model', provider: 'huggingface', runtime: 'vllm' });
    const op = await waitForOperation(t, id);
    off();
    expect(op.status, op.message).toBe('completed');
    expect(op.progress).toBe(100);
    expect(events).toContain('in_progress');

    const repo = hub.repo('org/tiny-model')!;
    const dir = repoPath(t, 'org/tiny-model');
    expect(readFileSync(join(dir, 'refs', 'main'), 'utf8')).toBe(repo.commit); // no trailing newline
    const link = join(dir, 'snapshots', repo.commit, 'model-00001-of-00002.safetensors');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(`../../blobs/${repo.files.get('model-00001-of-00002.safetensors')!.sha256}`);
    expect(readlinkSync(join(dir, 'snapshots', repo.commit, 'config.json'))).toBe(`../../blobs/${repo.files.get('config.json')!.oid}`);
    expect(readdirSync(join(dir, 'blobs')).some((f) => f.endsWith('.incomplete'))).toBe(false);

    const scan = await scanCacheDir(join(t.dataDir, 'hf-cache'));
    expect(scan.warnings).toEqual([]);
    const cached = scan.repos.find((r) => r.id.name === 'org/tiny-model')!;
    expect(cached).toBeDefined();
    const rev = [...cached.revisions][0]!;
    expect(rev.commitOid).toBe(repo.commit);
    expect(rev.refs).toContain('main');
    expect(rev.files.length).toBe(files.length);

    const registry = await t.call<{ models: InstalledModel[] }>('GET', '/api/v1/models/registry');
    const model = registry.body.models.find((m) => m.name === 'org/tiny-model')!;
    expect(model).toMatchObject({ status: 'installed', provider: 'huggingface', runtime: 'vllm', commit_sha: repo.commit, source: 'installed' });
    expect(model.capabilities).toMatchObject({ supports_system_role: true, supports_function_calling: true, max_context_length: 2048 });

    const caps = await t.call('GET', '/api/v1/models/org%2Ftiny-model/capabilities');
    expect(caps.status).toBe(200);
    const edited = await t.call<{ capabilities: { max_context_length: number } }>('PATCH', '/api/v1/models/org%2Ftiny-model/capabilities', { override: { max_context_length: 1024 } });
    expect(edited.body.capabilities.max_context_length).toBe(1024);

    // a second install of the same commit is refused, nothing re-fetched
    const again = await t.call('POST', '/api/v1/models/registry/install', { name: 'org/tiny-model', provider: 'huggingface' });
    expect(again.status).toBe(409);
  });

  it('resumes after a dropped connection, fetching only the missing bytes', async () => {
    t = await start();
    const file = hub.repo('org/tiny-model')!.files.get('model-00001-of-00002.safetensors')!;
    await hub.setKnobs({ dropAfterBytes: 1024 * 1024, dropTimes: 1 });
    const id = await install(t, { name: 'org/tiny-model', provider: 'huggingface', files: ['model-00001-of-00002.safetensors', 'config.json'] });
    const op = await waitForOperation(t, id);
    expect(op.status, op.message).toBe('completed');
    const served = hub.stats.bytesByFile['org/tiny-model/model-00001-of-00002.safetensors'];
    expect(served).toBe(file.size); // 1 MiB before the drop + the rest after, nothing twice
    expect(hub.stats.ranges.some((r) => r.file.endsWith('model-00001-of-00002.safetensors') && r.range === `bytes=${1024 * 1024}-`)).toBe(true);
  });

  it('fails a corrupt file with checksum_mismatch and never links it into snapshots', async () => {
    t = await start();
    await hub.setKnobs({ corruptOffset: 12345 });
    const id = await install(t, { name: 'org/tiny-model', provider: 'huggingface' });
    const op = await waitForOperation(t, id);
    expect(op.status).toBe('failed');
    expect(op.error?.code).toBe('checksum_mismatch');
    const repo = hub.repo('org/tiny-model')!;
    const snap = join(repoPath(t, 'org/tiny-model'), 'snapshots', repo.commit);
    for (const f of repo.files.values()) if (f.lfs) expect(existsSync(join(snap, f.path))).toBe(false);
    expect(existsSync(join(repoPath(t, 'org/tiny-model'), 'refs', 'main'))).toBe(false);
    const blobs = readdirSync(join(repoPath(t, 'org/tiny-model'), 'blobs'));
    for (const f of repo.files.values()) if (f.lfs) expect(blobs).not.toContain(f.sha256);
    const registry = await t.call<{ models: InstalledModel[] }>('GET', '/api/v1/models/registry');
    expect(registry.body.models.find((m) => m.name === 'org/tiny-model')?.status).toBe('failed');
  });

  it('refuses invalid names, over-quota installs and gated repos before starting anything', async () => {
    t = await start();
    for (const name of ['../etc/passwd', 'org/../../x', '/abs/model', 'org/na me']) {
      const res = await t.call<{ error: { code: string } }>('POST', '/api/v1/models/registry/install', { name, provider: 'huggingface' });
      expect(res.status, name).toBe(400);
      expect(res.body.error.code).toBe('invalid_name');
    }
    const traversal = await t.call<{ error: { code: string } }>('DELETE', '/api/v1/models/registry/..%2F..%2Fetc');
    expect(traversal.body.error.code).toBe('invalid_name');

    t.core.settings.update({ downloads: { maxStorageBytes: 1024 * 1024 } });
    const quota = await t.call<{ error: { code: string; message: string } }>('POST', '/api/v1/models/registry/install', { name: 'org/tiny-model', provider: 'huggingface' });
    expect(quota.status).toBe(507);
    expect(quota.body.error.code).toBe('quota_exceeded');
    t.core.settings.update({ downloads: { maxStorageBytes: null, minFreePercent: 100 } });
    const minFree = await t.call<{ error: { code: string } }>('POST', '/api/v1/models/registry/install', { name: 'org/tiny-model', provider: 'huggingface' });
    expect(minFree.body.error.code).toBe('quota_exceeded');
    t.core.settings.update({ downloads: { minFreePercent: 0 } });

    const gated = await t.call<{ error: { code: string; message: string } }>('POST', '/api/v1/models/registry/install', { name: 'org/gated-model', provider: 'huggingface' });
    expect(gated.status).toBe(403);
    expect(gated.body.error.code).toBe('gated_repo');
    expect(gated.body.error.message).toMatch(/token/);
    const missing = await t.call<{ error: { code: string } }>('POST', '/api/v1/models/registry/install', { name: 'org/nope', provider: 'huggingface' });
    expect(missing.body.error.code).toBe('model_not_found');

    const ops = await t.call<{ operations: unknown[] }>('GET', '/api/v1/models/operations?limit=10');
    expect(ops.body.operations).toEqual([]);
    expect(hub.stats.requests.cdn ?? 0).toBe(0);
  });

  it('installs a gated repo with a valid token', async () => {
    t = await start({ HF_TOKEN: 'hf_valid_token' });
    const id = await install(t, { name: 'org/gated-model', provider: 'huggingface' });
    expect((await waitForOperation(t, id)).status).toBe('completed');
  });

  it('installs one GGUF quantization', async () => {
    t = await start();
    const plan = await t.call<{ plan: InstallPlan }>('GET', '/api/v1/models/registry/plan?name=org%2Ftiny-gguf&provider=huggingface&quantization=Q8_0');
    expect(plan.body.plan.quantizations.sort()).toEqual(['F16', 'Q4_K_M', 'Q8_0']);
    expect(plan.body.plan.files.map((f) => f.path)).toEqual(['tiny-model.Q8_0.gguf']);
    const id = await install(t, { name: 'org/tiny-gguf', provider: 'huggingface', quantization: 'Q8_0' });
    expect((await waitForOperation(t, id)).status).toBe('completed');
    expect(hub.stats.bytesByFile['org/tiny-gguf/tiny-model.F16.gguf']).toBeUndefined();
  });
});
