import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeHub, type FakeHub } from '../../../test/fixtures/hub/server.mjs';
import { NetClient } from '../net/net-client';
import { HubClient } from './hub-client';

let hub: FakeHub;
beforeAll(async () => {
  hub = await startFakeHub();
});
const net = new NetClient();
afterAll(async () => {
  await hub.close();
  await net.close();
});
const client = (token: string | null = null, endpoint = () => hub.url) => new HubClient({ endpoint, token: () => token, net });

describe('HubClient', () => {
  it('resolves the commit and every file with size, LFS sha256 and git sha1', async () => {
    const r = await client().resolve('org/tiny-model', 'main');
    const repo = hub.repo('org/tiny-model')!;
    expect(r.commit).toBe(repo.commit);
    expect(r.gated).toBe(false);
    const shard = r.files.find((f) => f.path === 'model-00001-of-00002.safetensors')!;
    expect(shard).toEqual({ path: shard.path, size: 3 * 1024 * 1024, sha256: repo.files.get(shard.path)!.sha256, oid: repo.files.get(shard.path)!.oid });
    expect(r.files.find((f) => f.path === 'original/consolidated.pth')).toBeDefined();
    expect(r.files.find((f) => f.path === 'config.json')?.sha256).toBeNull();
  });

  it('maps Hub errors to codes that say what to do', async () => {
    await expect(client().resolve('org/missing', 'main')).rejects.toMatchObject({ code: 'model_not_found' });
    await expect(client().resolve('org/tiny-model', 'v9')).rejects.toMatchObject({ code: 'model_not_found', message: expect.stringMatching(/revision/) });
    const gated = await client().resolve('org/gated-model', 'main');
    expect(gated.gated).toBe(true);
    await expect(client().checkAccess('org/gated-model', gated.commit, 'config.json')).rejects.toMatchObject({ code: 'gated_repo', message: expect.stringMatching(/set a Hugging Face token/) });
    await expect(client('hf_wrong').checkAccess('org/gated-model', gated.commit, 'config.json')).rejects.toMatchObject({ code: 'gated_repo', message: expect.stringMatching(/no access/) });
    await expect(client('hf_valid_token').checkAccess('org/gated-model', gated.commit, 'config.json')).resolves.toBeUndefined();
    // tokens that do not start with hf_ (HF_TOKEN as given) are sent as they are
    await expect(client('not-hf-prefixed').resolve('org/tiny-model', 'main')).resolves.toBeDefined();
  });

  it('reports an unreachable Hub as offline', async () => {
    const down = await startFakeHub({ knobs: { down: true } });
    await expect(client(null, () => down.url).resolve('org/tiny-model', 'main')).rejects.toMatchObject({ code: 'offline', message: expect.stringMatching(/Cannot reach/) });
  });
});
