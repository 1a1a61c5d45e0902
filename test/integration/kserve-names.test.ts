import type { AddressInfo } from 'node:net';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/main/cli/run';
import { uniqueKserveName } from '../../src/main/kserve/name';
import type { FakeHub } from '../fixtures/hub/server.mjs';
import { startTestCore, type TestCore } from '../support/core';
import { useFakeHub } from '../support/fake-hub';
import { crdValidator, findKserveCrd, type CrdValidate } from '../support/kserve-crd';
import { install, waitForOperation } from '../support/models';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const CONFIG = { architectures: ['Qwen3ForCausalLM'], model_type: 'qwen3', hidden_size: 1024, num_attention_heads: 16, num_key_value_heads: 8, head_dim: 128, num_hidden_layers: 28, max_position_embeddings: 40960 };
const exportJson = (t: TestCore, name: string, query = '') => t.call<Body>('GET', `/api/v1/models/${encodeURIComponent(name)}/export/kserve?gpu_memory_gib=24&format=json${query}`);

describe('KServe names and gating', () => {
  let hub: FakeHub;
  useFakeHub((h) => (hub = h));
  let t: TestCore;
  let crd: CrdValidate | null = null;
  const crdFile = findKserveCrd();
  beforeAll(async () => {
    t = await startTestCore({
      env: { SWITCHYARD_OFFLINE: '0', HF_ENDPOINT: hub.url, HF_TOKEN: 'hf_valid_token' },
      hfSeeds: [
        { repo: 'Qwen/Qwen3-0.6B', config: CONFIG },
        { repo: 'unsloth/Qwen3-0.6B', config: CONFIG },
        { repo: 'solo/Lonely-1B', config: CONFIG },
      ],
    });
    if (crdFile) crd = await crdValidator(crdFile);
  }, 180_000);
  afterAll(async () => {
    await t?.close();
  });

  const admitted = (manifest: unknown) => {
    if (!crd) return; // the CRD lives beside the checkouts; without it the project's own validator still ran
    expect(crd(manifest), JSON.stringify(crd.errors)).toBe(true);
  };

  it('default names never collide among installed models: the org joins the name when two would meet', async () => {
    const a = await exportJson(t, 'Qwen/Qwen3-0.6B');
    const b = await exportJson(t, 'unsloth/Qwen3-0.6B');
    const solo = await exportJson(t, 'solo/Lonely-1B');
    expect([a.body.name, b.body.name, solo.body.name]).toEqual(['qwen-qwen3-0-6b', 'unsloth-qwen3-0-6b', 'lonely-1b']);
    for (const r of [a, b, solo]) {
      expect(r.body.validation.ok, JSON.stringify(r.body.validation)).toBe(true);
      admitted(r.body.manifest);
    }
    // when even the org-qualified names meet, a short hash keeps them apart (and within a label)
    const clash = uniqueKserveName('x.y/Model', ['x-y/model']);
    expect(clash).toMatch(/^x-y-model-[0-9a-f]{8}$/);
    expect(uniqueKserveName('x-y/model', ['x.y/Model'])).not.toBe(clash);
  });

  it('?name= chooses the service name, validated as a DNS-1123 label', async () => {
    const named = await exportJson(t, 'Qwen/Qwen3-0.6B', '&name=chat-prod');
    expect(named.status).toBe(200);
    expect(named.body.manifest.metadata.name).toBe('chat-prod');
    expect(named.body.validation.ok).toBe(true);
    admitted(named.body.manifest);
    for (const bad of ['Chat_Prod', '1chat', 'chat-', 'a'.repeat(64), '']) {
      const res = await exportJson(t, 'Qwen/Qwen3-0.6B', `&name=${encodeURIComponent(bad)}`);
      expect(res.status, bad).toBe(400);
    }
  });

  it('gated comes from what the Hub said at install: a public repo does not warn, a gated one defaults to the hf-secret Secret', async () => {
    expect((await waitForOperation(t, await install(t, { name: 'org/tiny-model', provider: 'huggingface' }))).status).toBe('completed');
    expect((await waitForOperation(t, await install(t, { name: 'org/gated-model', provider: 'huggingface' }))).status).toBe('completed');
    const open = await exportJson(t, 'org/tiny-model');
    expect(open.body.validation.warnings.map((w: Body) => w.message).join('\n')).not.toMatch(/gated/);
    const gated = await exportJson(t, 'org/gated-model', '&storage=runtime');
    expect(gated.body.manifest.spec.predictor.model.env).toEqual([{ name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: 'hf-secret', key: 'HF_TOKEN' } } }]);
    admitted(gated.body.manifest);
    const hf = await exportJson(t, 'org/gated-model');
    expect(hf.body.validation.warnings.map((w: Body) => w.message).join('\n')).toMatch(/org\/gated-model is gated/);
    // a model found in the cache, never resolved on the Hub, is still "not known"
    const seeded = await exportJson(t, 'solo/Lonely-1B');
    expect(seeded.body.validation.warnings.map((w: Body) => w.message).join('\n')).toMatch(/possibly gated/);
  });

  it('CLI: export kserve --catalog <repo> previews a model that is not installed; --name names it', async () => {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const env = { SWITCHYARD_URL: `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`, SWITCHYARD_TOKEN: t.token };
    let stdout = '';
    let stderr = '';
    const code = await runCli(['export', 'kserve', '--catalog', 'org/no-system-model', '--gpu-memory-gib', '24', '--name', 'preview'], { env, stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
    expect(code, stderr).toBe(0);
    const m = parse(stdout) as Body;
    expect(m.metadata.name).toBe('preview');
    expect(m.spec.predictor.model.storageUri).toBe(`hf://org/no-system-model:${hub.repo('org/no-system-model')!.commit}`);
    admitted(m);
    const both = await runCli(['export', 'kserve', 'org/tiny-model', '--catalog', 'org/tiny-model'], { env, stdout: () => {}, stderr: () => {} });
    expect(both).toBe(2);
  });
});
