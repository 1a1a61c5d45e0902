import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/main/cli/run';
import type { FakeHub } from '../fixtures/hub/server.mjs';
import { FIXTURES, startTestCore, type TestCore } from '../support/core';
import { useFakeHub } from '../support/fake-hub';
import { crdValidator, findKserveCrd, type CrdValidate } from '../support/kserve-crd';
import { install, waitForOperation } from '../support/models';
import { waitFor } from '../support/wait';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const QWEN = 'Qwen/Qwen3-0.6B';
const QWEN_CONFIG = { architectures: ['Qwen3ForCausalLM'], model_type: 'qwen3', hidden_size: 1024, num_attention_heads: 16, num_key_value_heads: 8, head_dim: 128, num_hidden_layers: 28, max_position_embeddings: 40960 };
const REMOTE = 'org/remote-code';
const REMOTE_CONFIG = {
  architectures: ['InternLM2ForCausalLM'],
  model_type: 'internlm2',
  num_attention_heads: 4,
  max_position_embeddings: 4096,
  auto_map: { AutoConfig: 'configuration_internlm2.InternLM2Config', AutoModelForCausalLM: 'modeling_internlm2.InternLM2ForCausalLM' },
};
/** the commit seedHfModel gives a repo */
const commitOf = (repo: string) => createHash('sha1').update(repo).digest('hex');
const path = (name: string, rest = 'export/kserve') => `/api/v1/models/${encodeURIComponent(name)}/${rest}`;

/** A GGUF-only repo in the HF cache (no safetensors), as `hf download` of a GGUF repo leaves it. */
function seedGgufOnly(cache: string, repo: string): void {
  const dir = join(cache, `models--${repo.replaceAll('/', '--')}`);
  const commit = commitOf(repo);
  mkdirSync(join(dir, 'snapshots', commit), { recursive: true });
  mkdirSync(join(dir, 'refs'), { recursive: true });
  writeFileSync(join(dir, 'snapshots', commit, 'tiny.Q4_K_M.gguf'), 'GGUF'.repeat(256));
  writeFileSync(join(dir, 'refs', 'main'), commit);
}

const crdFile = findKserveCrd();
let crd: CrdValidate | null = null;

describe('KServe export of installed models: offline, from the local files only', () => {
  let t: TestCore;
  beforeAll(async () => {
    // offline (the test default), with a fake 24 GiB GPU so the defaults have a GPU size to start from
    t = await startTestCore({
      env: { SWITCHYARD_NVIDIA_SMI_BIN: join(FIXTURES, 'bin', 'nvidia-smi'), EMU_GPU_COUNT: '1', EMU_GPU_MEMORY_MIB: String(24 * 1024) },
      seams: { gpu: { intervalMs: 100 } },
      hfSeeds: [
        { repo: QWEN, config: QWEN_CONFIG },
        { repo: REMOTE, config: REMOTE_CONFIG, files: { 'configuration_internlm2.py': 'class C: pass\n', 'modeling_internlm2.py': 'class M: pass\n' } },
      ],
    });
    seedGgufOnly(t.core.paths.hfHubCache(), 'org/tiny-gguf');
    await t.call('GET', '/api/v1/models/registry?refresh=1');
    await waitFor(() => t.core.gpu.gpus()?.length, 'the fake GPU sampled');
    if (crdFile) crd = await crdValidator(crdFile);
  }, 180_000);
  afterAll(async () => {
    await t?.close();
  });

  it('answers YAML for kubectl, at the installed commit, sized for the cluster GPUs asked for', async () => {
    const res = await t.app.inject({ method: 'GET', url: `${path(QWEN)}?gpu_memory_gib=24&namespace=llm`, headers: { authorization: `Bearer ${t.token}` } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/yaml/);
    const m = parse(res.body) as Body;
    expect(m.metadata).toMatchObject({ name: 'qwen3-0-6b', namespace: 'llm', labels: { 'app.kubernetes.io/managed-by': 'switchyard' } });
    expect(m.metadata.annotations).toEqual({ 'switchyard.dev/model': QWEN, 'switchyard.dev/commit': commitOf(QWEN) });
    expect(m.spec.predictor.model.modelFormat).toEqual({ name: 'huggingface' });
    expect(m.spec.predictor.model.storageUri).toBe(`hf://${QWEN}:${commitOf(QWEN)}`);
    expect(m.spec.predictor.model.args).toEqual([`--model_name=${QWEN}`, '--max_model_len=40960']);
    if (crd) expect(crd(m), JSON.stringify(crd.errors)).toBe(true);
  });

  it('JSON: the manifest, its validation, the cluster fit; more GPUs give TP with matching GPU requests', async () => {
    const r = await t.call<Body>('GET', `${path(QWEN)}?gpu_memory_gib=16&gpus=2&format=json`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ success: true, name: 'qwen3-0-6b', gpus: 2, gpu_memory_gib: 16, max_model_len: 40960, storage: 'hf', commit: commitOf(QWEN), file_name: 'qwen3-0-6b.yaml', kubectl: 'kubectl apply -f qwen3-0-6b.yaml', openai_path: '/openai/v1' });
    expect(r.body.validation).toEqual({ ok: true, errors: [], warnings: expect.any(Array) });
    expect(r.body.fit).toMatchObject({ gpu_source: 'override', inputs: { max_position_embeddings: 40960 } });
    expect(r.body.manifest.spec.predictor.model.args).toContain('--tensor-parallel-size=2');
    expect(r.body.manifest.spec.predictor.model.resources.limits['nvidia.com/gpu']).toBe('2');
    expect(parse(r.body.yaml)).toEqual(r.body.manifest);
    if (crd) expect(crd(r.body.manifest), JSON.stringify(crd.errors)).toBe(true);
  });

  it('GET /manifest: the same YAML with the defaults (this machine\'s GPU size, the fit\'s GPU count, hf storage)', async () => {
    const res = await t.app.inject({ method: 'GET', url: path(QWEN, 'manifest'), headers: { authorization: `Bearer ${t.token}` } });
    expect(res.statusCode, res.body).toBe(200);
    const explicit = await t.app.inject({ method: 'GET', url: `${path(QWEN)}?gpu_memory_gib=24`, headers: { authorization: `Bearer ${t.token}` } });
    expect(res.body).toBe(explicit.body);
  });

  it('storage=runtime downloads at the commit, the token from a Secret; storage=pvc serves a volume', async () => {
    const rt = await t.call<Body>('GET', `${path(QWEN)}?gpu_memory_gib=24&storage=runtime&hf_token_secret=hf-secret&format=json`);
    expect(rt.status, JSON.stringify(rt.body)).toBe(200);
    const model = rt.body.manifest.spec.predictor.model;
    expect(model.storageUri).toBeUndefined();
    expect(model.args).toEqual(expect.arrayContaining([`--model_id=${QWEN}`, `--model_revision=${commitOf(QWEN)}`, `--tokenizer_revision=${commitOf(QWEN)}`]));
    expect(model.env).toEqual([{ name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: 'hf-secret', key: 'HF_TOKEN' } } }]);
    expect(rt.body.yaml).not.toMatch(/hf_[A-Za-z0-9]{8,}/);
    const pvc = await t.call<Body>('GET', `${path(QWEN)}?gpu_memory_gib=24&storage=pvc&pvc=${encodeURIComponent('models/qwen3-0.6b')}&format=json`);
    expect(pvc.body.manifest.spec.predictor.model.storageUri).toBe('pvc://models/qwen3-0.6b');
    if (crd) for (const m of [rt.body.manifest, pvc.body.manifest]) expect(crd(m), JSON.stringify(crd.errors)).toBe(true);
    const missing = await t.call<Body>('GET', `${path(QWEN)}?gpu_memory_gib=24&storage=pvc`);
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/pvc=<claim>\/<path>/) });
  });

  it('remote code: refused as YAML until the user allows it for the model, then --trust_remote_code', async () => {
    const refused = await t.call<Body>('GET', `${path(REMOTE)}?gpu_memory_gib=24`);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'remote_code_not_allowed', message: expect.stringMatching(/Allow remote code/) });
    const json = await t.call<Body>('GET', `${path(REMOTE)}?gpu_memory_gib=24&format=json`);
    expect(json.body.validation.ok).toBe(false);
    expect(json.body.validation.errors.map((e: Body) => e.rule)).toEqual(['remote-code']);

    expect((await t.call('PUT', path(REMOTE, 'runtime-flags'), { flags: { trust_remote_code: true } })).status).toBe(200);
    const allowed = await t.app.inject({ method: 'GET', url: `${path(REMOTE)}?gpu_memory_gib=24`, headers: { authorization: `Bearer ${t.token}` } });
    expect(allowed.statusCode, allowed.body).toBe(200);
    expect((parse(allowed.body) as Body).spec.predictor.model.args).toContain('--trust_remote_code');
  });

  it('refuses what no KServe runtime serves, and what is not installed, saying why', async () => {
    const gguf = await t.call<Body>('GET', `${path('org/tiny-gguf')}?gpu_memory_gib=24`);
    expect(gguf.status, JSON.stringify(gguf.body)).toBe(422);
    expect(gguf.body.error).toMatchObject({ code: 'unsupported_model', message: expect.stringMatching(/GGUF files only.*safetensors/) });
    const absent = await t.call<Body>('GET', `${path('org/not-installed')}?gpu_memory_gib=24`);
    expect(absent.status).toBe(404);
    expect(absent.body.error.code).toBe('model_not_found');
    const badTp = await t.call<Body>('GET', `${path(REMOTE)}?gpu_memory_gib=24&gpus=8`);
    expect(badTp.status).toBe(400);
    expect(badTp.body.error.message).toMatch(/4 attention heads.*use 1, 2, 4/);
  });

  it('an Ollama model is refused with unsupported_model', async () => {
    const op = await waitForOperation(t, await install(t, { name: 'qwen2.5:0.5b', provider: 'ollama', runtime: 'ollama' }));
    expect(op.status, op.message).toBe('completed');
    const r = await t.call<Body>('GET', `${path('qwen2.5:0.5b')}?gpu_memory_gib=24`);
    expect(r.status).toBe(422);
    expect(r.body.error).toMatchObject({ code: 'unsupported_model', message: expect.stringMatching(/Ollama model: no KServe runtime/) });
  });

  it('CLI: export kserve writes the YAML (-o), refuses a manifest that fails its checks, and says how to use it', async () => {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const env = { SWITCHYARD_URL: `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`, SWITCHYARD_TOKEN: t.token };
    const cli = async (args: string[]) => {
      let stdout = '';
      let stderr = '';
      const code = await runCli(args, { env, stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
      return { code, stdout, stderr };
    };
    const file = join(t.dataDir, 'qwen.yaml');
    const ok = await cli(['export', 'kserve', QWEN, '--gpu-memory-gib', '24', '--gpus', '2', '--namespace', 'llm', '-o', file]);
    expect(ok.code, ok.stderr).toBe(0);
    const m = parse(readFileSync(file, 'utf8')) as Body;
    expect(m.metadata.namespace).toBe('llm');
    expect(m.spec.predictor.model.args).toContain('--tensor-parallel-size=2');
    expect(ok.stderr).toContain(`kubectl apply -f ${file}`);
    expect(ok.stderr).toMatch(/switchyard provider add qwen3-0-6b kserve --base-url .*\/openai\/v1/);
    const stdout = await cli(['export', 'kserve', QWEN, '--gpu-memory-gib', '24', '--storage', 'runtime']);
    expect(stdout.code).toBe(0);
    expect((parse(stdout.stdout) as Body).spec.predictor.model.args).toContain(`--model_revision=${commitOf(QWEN)}`);

    await t.call('PUT', path(REMOTE, 'runtime-flags'), { flags: { trust_remote_code: false } });
    const refused = await cli(['export', 'kserve', REMOTE, '--gpu-memory-gib', '24', '-o', join(t.dataDir, 'remote.yaml')]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^switchyard: remote-code: .*--trust_remote_code/m);
    expect(existsSync(join(t.dataDir, 'remote.yaml'))).toBe(false);
    const other = await cli(['export', 'kserve', 'org/remote-code-2', '--gpu-memory-gib', '24']);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/^switchyard: model_not_found: /);
    expect((await cli(['export', 'docker', QWEN])).code).toBe(2);
    expect((await cli(['export', 'kserve'])).code).toBe(2);
  });

  it('a catalog model cannot be previewed offline: it needs the Hub\'s current commit', async () => {
    const r = await t.call<Body>('GET', `/api/v1/models/catalog/${encodeURIComponent('org/tiny-model')}/export/kserve?gpu_memory_gib=24`);
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ code: 'offline', message: expect.stringMatching(/Install the model.*or turn offline mode off/) });
  });
});

describe('KServe preview of a catalog model (online, fake Hub)', () => {
  let hub: FakeHub;
  useFakeHub((h) => (hub = h));
  let t: TestCore;
  beforeAll(async () => {
    t = await startTestCore({ env: { SWITCHYARD_OFFLINE: '0', HF_ENDPOINT: hub.url } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('renders at the commit the Hub names now, and flags remote code it was never allowed', async () => {
    const r = await t.call<Body>('GET', `/api/v1/models/catalog/${encodeURIComponent('org/tiny-model')}/export/kserve?gpu_memory_gib=24&format=json`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.commit).toBe(hub.repo('org/tiny-model')!.commit);
    expect(r.body.manifest.spec.predictor.model.storageUri).toBe(`hf://org/tiny-model:${hub.repo('org/tiny-model')!.commit}`);
    expect(r.body.validation.ok).toBe(true);
    const remote = await t.call<Body>('GET', `/api/v1/models/catalog/${encodeURIComponent(REMOTE)}/export/kserve?gpu_memory_gib=24`);
    expect(remote.status).toBe(409);
    expect(remote.body.error.code).toBe('remote_code_not_allowed');
    const gguf = await t.call<Body>('GET', `/api/v1/models/catalog/${encodeURIComponent('org/tiny-gguf')}/export/kserve?gpu_memory_gib=24`);
    expect(gguf.status).toBe(422);
    expect(gguf.body.error.code).toBe('unsupported_model');
  });
});
