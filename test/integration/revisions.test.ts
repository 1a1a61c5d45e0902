import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeHub, FakeRepoSpec } from '../fixtures/hub/server.mjs';
import { fakeBytes } from '../fixtures/hub/server.mjs';
import type { ModelRevision } from '../../src/shared/api/library';
import type { InstalledModel } from '../../src/shared/api/models';
import { startTestCore, type TestCore } from '../support/core';
import { emulatorEvents } from '../support/emulator-state';
import { useFakeHub } from '../support/fake-hub';
import { install, waitForOperation } from '../support/models';
import { tempDir } from '../support/temp';

let hub: FakeHub;
let t: TestCore | undefined;
useFakeHub((started) => (hub = started));
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const version = (v: string): FakeRepoSpec => ({
  files: {
    'config.json': JSON.stringify({ architectures: ['LlamaForCausalLM'], model_type: 'llama', max_position_embeddings: 2048, revision_note: v }),
    'tokenizer_config.json': JSON.stringify({ chat_template: '{{ messages }}' }),
    'model.safetensors': fakeBytes(`weights ${v}`, 200_000),
  },
});
const REPO = 'org/revisioned';
const enc = encodeURIComponent(REPO);

interface Revisions {
  pinned: string | null;
  revisions: ModelRevision[];
  applies_on_next_activation?: boolean;
  message?: string;
  error?: { code: string; message: string; details?: { install?: unknown } };
}

describe('revisions', () => {
  it('installs a repo at its old commit, updates it, lists both, pins the old one and vLLM starts with it', async () => {
    const v1 = hub.setRepo(REPO, version('v1'));
    const v2 = hub.setRepo(REPO, version('v2'));
    const state = join(tempDir('vllm-rev-'), 'state.jsonl');
    t = await startTestCore({ env: { SWITCHYARD_OFFLINE: '0', HF_ENDPOINT: hub.url, EMU_STATE_FILE: state, EMU_START_DELAY_MS: '50' } });

    // the old commit, asked for by its id (the Hub still serves it), then the update to main
    expect((await waitForOperation(t, await install(t, { name: REPO, provider: 'huggingface', revision: v1.commit }))).status).toBe('completed');
    const update = await waitForOperation(t, await install(t, { name: REPO, provider: 'huggingface' }));
    expect(update.status, update.message).toBe('completed');
    expect(update.message).toMatch(/previous snapshot .* was kept \(2 of org\/revisioned's revisions stay, downloads\.keepRevisions = 2\)/);

    const listed = await t.call<Revisions>('GET', `/api/v1/models/${enc}/revisions`);
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
    expect(listed.body.pinned).toBeNull();
    expect(listed.body.revisions.map((r) => r.commit).sort()).toEqual([v1.commit, v2.commit].sort());
    const byCommit = (c: string) => listed.body.revisions.find((r) => r.commit === c)!;
    expect(byCommit(v2.commit)).toMatchObject({ installed: true, pinned: false, served: false, refs: ['main'] });
    expect(byCommit(v1.commit)).toMatchObject({ installed: false, refs: [] });
    expect(byCommit(v1.commit).size_bytes).toBeGreaterThan(200_000);

    // a commit that is not on disk: refused, with what to install
    const missing = 'f'.repeat(40);
    const refused = await t.call<Revisions>('PUT', `/api/v1/models/${enc}/revision`, { revision: missing });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'revision_not_installed', details: { install: { name: REPO, provider: 'huggingface', revision: missing } } });

    const pinned = await t.call<Revisions>('PUT', `/api/v1/models/${enc}/revision`, { revision: v1.commit });
    expect(pinned.status, JSON.stringify(pinned.body)).toBe(200);
    expect(pinned.body).toMatchObject({ pinned: v1.commit, applies_on_next_activation: false });
    const model = (await t.call<{ models: InstalledModel[] }>('GET', '/api/v1/models/registry')).body.models.find((m) => m.name === REPO)!;
    expect(model).toMatchObject({ pinned_revision: v1.commit, commit_sha: v2.commit });

    const act = await t.call('POST', '/api/v1/models/activate', { name: REPO });
    expect(act.status, JSON.stringify(act.body)).toBe(200);
    const started = emulatorEvents(state).filter((e) => e.event === 'started').pop()!;
    const argv = started.argv as string[];
    expect(argv[argv.indexOf('--revision') + 1]).toBe(v1.commit);
    expect((started.env as Record<string, string>).HF_HUB_OFFLINE).toBe('1');
    const served = await t.call<Revisions>('GET', `/api/v1/models/${enc}/revisions`);
    expect(served.body.revisions.find((r) => r.served)?.commit).toBe(v1.commit);

    // an update while pinned installs v3 and keeps serving v1: the pinned snapshot stays, v2 goes
    const v3 = hub.setRepo(REPO, version('v3'));
    const next = await waitForOperation(t, await install(t, { name: REPO, provider: 'huggingface' }));
    expect(next.status, next.message).toBe('completed');
    const snapshots = readdirSync(join(t.dataDir, 'hf-cache', 'models--org--revisioned', 'snapshots')).sort();
    expect(snapshots).toEqual([v1.commit, v3.commit].sort());

    // unpinned while it serves v1: the change waits for the next activation, and says so
    const unpinned = await t.call<Revisions>('PUT', `/api/v1/models/${enc}/revision`, { revision: null });
    expect(unpinned.body).toMatchObject({ pinned: null, applies_on_next_activation: true });
    expect(unpinned.body.message).toMatch(/next activation/);
    await t.call('POST', '/api/v1/models/deactivate', {});
    expect(existsSync(join(t.dataDir, 'hf-cache', 'models--org--revisioned', 'snapshots', v1.commit))).toBe(true);
  });

  it('lists the one snapshot of a model found in the cache; an unknown model is a 404', async () => {
    t = await startTestCore({ hfModels: ['org/seeded'] });
    const res = await t.call<Revisions>('GET', '/api/v1/models/no%2Fsuch/revisions');
    expect(res.status).toBe(404);
    const seeded = await t.call<Revisions>('GET', '/api/v1/models/org%2Fseeded/revisions');
    expect(seeded.status, JSON.stringify(seeded.body)).toBe(200);
    expect(seeded.body.revisions).toHaveLength(1);
  });
});
