import { existsSync, lstatSync, readFileSync, readlinkSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scanCacheDir } from '@huggingface/hub';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeBytes, type FakeHub, type FakeRepoSpec } from '../fixtures/hub/server.mjs';
import { useFakeHub } from '../support/fake-hub';
import { startTestCore, type TestCore } from '../support/core';
import { install, waitForOperation } from '../support/models';
import type { InstalledModel, InstallPlan } from '../../src/shared/api/models';

let hub: FakeHub;
let t: TestCore;

useFakeHub((started) => (hub = started));
afterEach(async () => {
  await t?.close();
  await hub.setKnobs({ dropAfterBytes: null, corruptOffset: null, bytesPerSec: null, down: false });
});

const start = (env: Record<string, string> = {}) => startTestCore({ env: { SWITCHYARD_OFFLINE: '0', HF_ENDPOINT: hub.url, ...env }, seams: { downloadRetryBaseMs: 20 } });
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

  it('fetches large files in parallel ranges when Settings say so, verified and linked like any other', async () => {
    t = await start();
    const set = await t.call('PATCH', '/api/v1/settings', { downloads: { parallelThresholdBytes: 1024 * 1024, parallelParts: 3 } });
    expect(set.status).toBe(200);
    const op = await waitForOperation(t, await install(t, { name: 'org/tiny-model', provider: 'huggingface', runtime: 'vllm' }));
    expect(op.status, op.message).toBe('completed');
    const shard = 'org/tiny-model/model-00001-of-00002.safetensors'; // 3 MiB: three 1 MiB pieces
    expect(hub.stats.ranges.filter((r) => r.file === shard).map((r) => r.range).sort()).toEqual(['bytes=0-1048575', 'bytes=1048576-2097151', 'bytes=2097152-3145727']);
    const dir = repoPath(t, 'org/tiny-model');
    expect(readdirSync(join(dir, 'blobs')).filter((f) => !/^[0-9a-f]{40}$|^[0-9a-f]{64}$/.test(f))).toEqual([]);
    const scan = await scanCacheDir(join(t.dataDir, 'hf-cache'));
    expect(scan.warnings).toEqual([]);
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

  describe('updating an installed model to a new commit', () => {
    const config = (v: string) => JSON.stringify({ architectures: ['LlamaForCausalLM'], model_type: 'llama', max_position_embeddings: 2048, revision_note: v });
    const version = (v: string): FakeRepoSpec => ({
      files: {
        'config.json': config(v),
        'tokenizer_config.json': JSON.stringify({ chat_template: '{% for m in messages %}{{ m.content }}{% endfor %}' }), // unchanged
        'model.safetensors': fakeBytes(`weights ${v}`, 300_000),
      },
    });
    const blobsOf = (repo: string) => readdirSync(join(repoPath(t, repo), 'blobs')).sort();
    const expectedBlobs = (repo: string) => [...hub.repo(repo)!.files.values()].map((f) => f.sha256 ?? f.oid).sort();

    it('removes the old snapshot and the blobs only it used; fetches only what changed', async () => {
      const v1 = hub.setRepo('org/evolving', version('v1'));
      t = await start();
      t.core.settings.update({ downloads: { keepRevisions: 1 } }); // only the newest: the replaced one goes unless something holds it
      expect((await waitForOperation(t, await install(t, { name: 'org/evolving', provider: 'huggingface' }))).status).toBe('completed');
      expect(blobsOf('org/evolving')).toEqual(expectedBlobs('org/evolving'));

      const v2 = hub.setRepo('org/evolving', version('v2'));
      hub.resetStats();
      const op = await waitForOperation(t, await install(t, { name: 'org/evolving', provider: 'huggingface' }));
      expect(op.status, op.message).toBe('completed');
      expect(op.message).toMatch(/previous snapshot .* removed/);
      expect(hub.stats.bytesByFile['org/evolving/tokenizer_config.json']).toBeUndefined(); // same blob, kept

      const dir = repoPath(t, 'org/evolving');
      expect(readFileSync(join(dir, 'refs', 'main'), 'utf8')).toBe(v2.commit);
      expect(readdirSync(join(dir, 'snapshots'))).toEqual([v2.commit]);
      expect(existsSync(join(dir, 'snapshots', v1.commit))).toBe(false);
      expect(blobsOf('org/evolving')).toEqual(expectedBlobs('org/evolving')); // v1's weights and config are gone
      const scan = await scanCacheDir(join(t.dataDir, 'hf-cache'));
      expect(scan.warnings).toEqual([]);
      expect([...scan.repos.find((r) => r.id.name === 'org/evolving')!.revisions].map((r) => r.commitOid)).toEqual([v2.commit]);
      const registry = await t.call<{ models: InstalledModel[] }>('GET', '/api/v1/models/registry');
      expect(registry.body.models.find((m) => m.name === 'org/evolving')).toMatchObject({ status: 'installed', commit_sha: v2.commit });
    });

    it('keeps the old snapshot when another ref still points at it', async () => {
      const v1 = hub.setRepo('org/evolving-pinned', version('v1'));
      t = await start();
      t.core.settings.update({ downloads: { keepRevisions: 1 } }); // only the newest: the replaced one goes unless something holds it
      expect((await waitForOperation(t, await install(t, { name: 'org/evolving-pinned', provider: 'huggingface' }))).status).toBe('completed');
      const v1Blobs = blobsOf('org/evolving-pinned');
      writeFileSync(join(repoPath(t, 'org/evolving-pinned'), 'refs', 'v1.0'), v1.commit); // e.g. another tool pinned a tag

      const v2 = hub.setRepo('org/evolving-pinned', version('v2'));
      const op = await waitForOperation(t, await install(t, { name: 'org/evolving-pinned', provider: 'huggingface' }));
      expect(op.status, op.message).toBe('completed');
      expect(op.message).toMatch(/was kept: refs\/v1\.0 still points at it/);
      expect(readdirSync(join(repoPath(t, 'org/evolving-pinned'), 'snapshots')).sort()).toEqual([v1.commit, v2.commit].sort());
      for (const b of v1Blobs) expect(blobsOf('org/evolving-pinned')).toContain(b);
    });

    it('keeps the old snapshot while the model is being served from it', async () => {
      const v1 = hub.setRepo('org/evolving-served', version('v1'));
      t = await start();
      t.core.settings.update({ downloads: { keepRevisions: 1 } }); // only the newest: the replaced one goes unless something holds it
      expect((await waitForOperation(t, await install(t, { name: 'org/evolving-served', provider: 'huggingface' }))).status).toBe('completed');
      const act = await t.call('POST', '/api/v1/system/llm-servers/active', { server_name: 'vllm', model_name: 'org/evolving-served' });
      expect(act.status, JSON.stringify(act.body)).toBe(200);

      const v2 = hub.setRepo('org/evolving-served', version('v2'));
      const op = await waitForOperation(t, await install(t, { name: 'org/evolving-served', provider: 'huggingface' }));
      expect(op.status, op.message).toBe('completed');
      expect(op.message).toMatch(/was kept: org\/evolving-served is being served from it/);
      expect(readdirSync(join(repoPath(t, 'org/evolving-served'), 'snapshots')).sort()).toEqual([v1.commit, v2.commit].sort());
      await t.call('POST', '/api/v1/system/llm-servers/vllm/stop');
    });

    it('cancel with cleanup drops the half-fetched new commit and leaves the installed one as it was', async () => {
      const v1 = hub.setRepo('org/evolving-cancelled', version('v1'));
      t = await start();
      expect((await waitForOperation(t, await install(t, { name: 'org/evolving-cancelled', provider: 'huggingface' }))).status).toBe('completed');
      const before = blobsOf('org/evolving-cancelled');

      hub.setRepo('org/evolving-cancelled', { files: { ...version('v2').files, 'model.safetensors': fakeBytes('weights v2', 4 * 1024 * 1024) } });
      await hub.setKnobs({ bytesPerSec: 2 * 1024 * 1024 });
      const id = await install(t, { name: 'org/evolving-cancelled', provider: 'huggingface' });
      // the small files are verified and linked first... then the weights are cut short
      await waitForOperation(t, id, (op) => op.bytes_done > 512 * 1024, 15_000);
      const cancelled = await t.call<{ operation: { status: string } }>('POST', `/api/v1/models/operations/${id}/cancel`, { cleanup: true });
      expect(cancelled.body.operation.status).toBe('cancelled');

      const dir = repoPath(t, 'org/evolving-cancelled');
      expect(readdirSync(join(dir, 'snapshots'))).toEqual([v1.commit]);
      expect(readFileSync(join(dir, 'refs', 'main'), 'utf8')).toBe(v1.commit);
      expect(blobsOf('org/evolving-cancelled')).toEqual(before);
      const registry = await t.call<{ models: InstalledModel[] }>('GET', '/api/v1/models/registry');
      expect(registry.body.models.find((m) => m.name === 'org/evolving-cancelled')).toMatchObject({ status: 'installed', commit_sha: v1.commit });
    });
  });
});
