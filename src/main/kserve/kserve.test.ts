import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors';
import { crdValidator, findKserveCrd, type CrdValidate } from '../../../test/support/kserve-crd';
import { facts, MODELS, type ModelKey } from '../../../test/support/kserve-models';
import { kserveName } from './name';
import { renderInferenceService, toYaml, type ExportOptions, type InferenceService, type ModelFacts, type Rendered } from './render';
import { validateManifest, type ValidationRule } from './validate';

const GOLDEN = '../../../test/fixtures/kserve';

/** The golden cases the issue asks for; each is rendered, compared with its file, validated, CRD-checked. */
const CASES: { file: string; model: ModelKey; facts?: Partial<ModelFacts>; options: Partial<ExportOptions>; ok: boolean }[] = [
  { file: 'small-dense.yaml', model: 'qwen3_0_6b', options: {}, ok: true },
  { file: 'tp2-24gib.yaml', model: 'qwen3_14b', options: {}, ok: true },
  { file: 'remote-code-allowed.yaml', model: 'internlm2_5_7b', facts: { remoteCodeAllowed: true }, options: {}, ok: true },
  { file: 'remote-code-not-allowed.yaml', model: 'internlm2_5_7b', options: {}, ok: false },
  { file: 'pvc-storage.yaml', model: 'qwen3_0_6b', options: { storage: 'pvc', pvc: 'models/qwen3-0.6b' }, ok: true },
  { file: 'runtime-storage-gated.yaml', model: 'llama_3_2_1b', facts: { gated: true }, options: { storage: 'runtime', namespace: 'llm' }, ok: true },
];

function render(model: ModelKey, over: Partial<ModelFacts> = {}, options: Partial<ExportOptions> = {}): Rendered {
  return renderInferenceService(facts(model, over), { gpuMemoryGiB: 24, storage: 'hf', ...options });
}

describe('KServe export: golden manifests', () => {
  for (const c of CASES) {
    it(`${c.file}: renders as recorded, and its checks say ${c.ok ? 'ok' : 'what is wrong'}`, async () => {
      const r = render(c.model, c.facts, c.options);
      const yaml = toYaml(r.manifest);
      await expect(yaml).toMatchFileSnapshot(`${GOLDEN}/${c.file}`);
      const v = validateManifest(r.manifest, r.context, yaml);
      expect(v.ok, JSON.stringify(v.errors)).toBe(c.ok);
      expect(parse(yaml)).toEqual(r.manifest);
    });
  }

  it('a small dense model: one GPU, the model\'s whole context (40960) fits a 24 GiB GPU', () => {
    const r = render('qwen3_0_6b');
    expect(r.manifest.metadata.name).toBe('qwen3-0-6b');
    expect(r.gpus).toBe(1);
    expect(r.maxModelLen).toBe(40960);
    expect(r.manifest.spec.predictor.model.storageUri).toBe('hf://Qwen/Qwen3-0.6B:c1899de289a04d12100db370d81485cdf75e47ca');
    expect(r.manifest.spec.predictor.model.args).not.toContainEqual(expect.stringMatching(/^--tensor-parallel-size/));
  });

  it('a 14B model in BF16 (27.5 GiB of weights) needs two 24 GiB GPUs: TP 2, GPUs 2 in requests and limits', () => {
    const r = render('qwen3_14b');
    expect(r.gpus).toBe(2);
    expect(r.manifest.spec.predictor.model.args).toContain('--tensor-parallel-size=2');
    expect(r.manifest.spec.predictor.model.resources.requests['nvidia.com/gpu']).toBe('2');
    expect(r.manifest.spec.predictor.model.resources.limits['nvidia.com/gpu']).toBe('2');
    // on 80 GiB GPUs the same model fits one
    expect(render('qwen3_14b', {}, { gpuMemoryGiB: 80 }).gpus).toBe(1);
  });

  it('more GPUs than needed is the user\'s choice; a count that does not divide the heads is refused with the ones that do', () => {
    expect(render('qwen3_0_6b', {}, { gpus: 4 }).manifest.spec.predictor.model.args).toContain('--tensor-parallel-size=4');
    expect(() => render('qwen3_14b', {}, { gpus: 3 })).toThrow(/gpus=3 cannot serve Qwen\/Qwen3-14B: use 1, 2, 4, 8 GPUs per replica/);
    // 12 heads: 8 does not divide them
    const twelve = { config: { ...MODELS.qwen3_14b.config, num_attention_heads: 12 } };
    expect(() => render('qwen3_14b', twelve, { gpus: 8 })).toThrow(/gpus=8 cannot serve Qwen\/Qwen3-14B \(it has 12 attention heads.*\): use 1, 2, 4 GPUs/);
    expect(() => render('qwen3_14b', {}, { gpus: 1 })).toThrow(/does not fit on 1 × 24 GiB GPUs.*Use gpus=2/);
  });

  it('the context never exceeds what vLLM derives from config.json, and shrinks to what fits', () => {
    const small = render('qwen3_0_6b', {}, { gpuMemoryGiB: 80 });
    expect(small.maxModelLen).toBe(40960);
    const tight = render('internlm2_5_7b', { remoteCodeAllowed: true }, { gpuMemoryGiB: 24 });
    expect(tight.maxModelLen).toBeLessThan(65536); // derived: 32768 × dynamic rope factor 2
    expect(tight.maxModelLen % 256).toBe(0);
    expect(render('internlm2_5_7b', { remoteCodeAllowed: true }, { gpuMemoryGiB: 80 }).maxModelLen).toBe(65536);
  });

  it('dtype and quantization follow the launch flags; remote code only with the allowance', () => {
    const r = render('qwen3_0_6b', { flags: { dtype: 'float16', quantization: 'fp8' } });
    expect(r.manifest.spec.predictor.model.args).toEqual(expect.arrayContaining(['--dtype=float16', '--quantization=fp8']));
    expect(render('qwen3_0_6b', { remoteCodeAllowed: true }).manifest.spec.predictor.model.args).not.toContain('--trust_remote_code');
    expect(render('internlm2_5_7b', { remoteCodeAllowed: true }).manifest.spec.predictor.model.args).toContain('--trust_remote_code');
  });

  it('refuses what cannot be served, saying what to do', () => {
    const refusal = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof AppError ? `${e.code}: ${e.message}` : String(e);
      }
      return 'no refusal';
    };
    expect(refusal(() => render('qwen3_0_6b', { commit: 'main' }))).toMatch(/^unsupported_model: .*40-hex commit.*Reinstall/);
    expect(refusal(() => render('qwen3_0_6b', {}, { gpuMemoryGiB: 0 }))).toMatch(/^bad_request: .*gpu_memory_gib/);
    expect(refusal(() => render('qwen3_14b', {}, { gpuMemoryGiB: 2 }))).toMatch(/^bad_request: .*does not fit on up to 8 × 2 GiB/);
    expect(refusal(() => render('qwen3_0_6b', { model: 'gpt2' }))).toMatch(/^bad_request: .*hf:\/\/ storage needs an owner\/name repo.*storage=runtime/);
    expect(refusal(() => render('qwen3_0_6b', {}, { storage: 'pvc' }))).toMatch(/^bad_request: storage=pvc needs pvc=<claim>\/<path>/);
    expect(refusal(() => render('qwen3_0_6b', {}, { storage: 'pvc', pvc: 'models/../etc' }))).toMatch(/^bad_request: storage=pvc needs/);
    expect(refusal(() => render('qwen3_0_6b', {}, { namespace: 'Prod_1' }))).toMatch(/^bad_request: namespace "Prod_1"/);
  });

  it('storage=runtime: the token only ever comes from a Secret, named or defaulted for gated repos', () => {
    const open = render('qwen3_0_6b', { gated: false }, { storage: 'runtime' });
    expect(open.manifest.spec.predictor.model.env).toBeUndefined();
    const named = render('qwen3_0_6b', { gated: null }, { storage: 'runtime', hfTokenSecret: 'my-hf' });
    expect(named.manifest.spec.predictor.model.env).toEqual([{ name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: 'my-hf', key: 'HF_TOKEN' } } }]);
    expect(render('qwen3_0_6b', { gated: null }, { storage: 'runtime' }).warnings.join()).toMatch(/not known offline.*hf_token_secret/);
    expect(render('llama_3_2_1b', { gated: true }, { storage: 'hf' }).warnings.join()).toMatch(/gated.*service_account/);
  });

  it('names: DNS-1123 labels from the repo name; long ones keep a hash and leave room for "-predictor"', () => {
    expect(kserveName('Qwen/Qwen3-0.6B')).toBe('qwen3-0-6b');
    expect(kserveName('org/3B_model')).toBe('m-3b-model');
    expect(kserveName('org/___')).toBe('model');
    const long = kserveName(`org/${'very-long-model-name-'.repeat(5)}`);
    expect(long).toMatch(/^[a-z]([-a-z0-9]*[a-z0-9])?$/);
    expect(long.length).toBeLessThanOrEqual(53);
    expect(kserveName(`org/${'very-long-model-name-'.repeat(5)}x`)).not.toBe(long);
  });
});

type Mutation = { rule: ValidationRule; what: string; storage?: ExportOptions['storage']; mutate: (m: InferenceService & Record<string, any>) => void }; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Each rule catches its own broken manifest: the mutation is the only change from a valid one. */
const MUTATIONS: Mutation[] = [
  {
    rule: 'schema',
    what: 'a storageURI typo (KServe\'s CRD lets it through, and the storage would be silently dropped)',
    mutate: (m) => {
      const model = m.spec.predictor.model as Record<string, unknown>;
      model.storageURI = model.storageUri;
      delete model.storageUri;
      model.args = [...(model.args as string[]), '--model_id=Qwen/Qwen3-0.6B', '--model_revision=c1899de289a04d12100db370d81485cdf75e47ca'];
    },
  },
  { rule: 'schema', what: 'an unknown top-level key', mutate: (m) => Object.assign(m, { status: {} }) },
  { rule: 'name', what: 'an upper-case name with an underscore', mutate: (m) => (m.metadata.name = 'Qwen3_0.6B') },
  { rule: 'name', what: 'a 64-character name', mutate: (m) => (m.metadata.name = `a${'b'.repeat(63)}`) },
  { rule: 'storage-exclusive', what: 'storageUri and storageUris both', mutate: (m) => ((m.spec.predictor as Record<string, unknown>).storageUris = [{ uri: 'hf://a/b', mountPath: '/mnt/models' }]) },
  { rule: 'blocked-env', what: 'PYTHONPATH in env', mutate: (m) => (m.spec.predictor.model.env = [{ name: 'PYTHONPATH', value: '/tmp/evil' }]) },
  { rule: 'predictor-name', what: 'a name on the standard predictor', mutate: (m) => ((m.spec.predictor.model as Record<string, unknown>).name = 'kserve-container') },
  { rule: 'storage', what: 'no storageUri and no --model_id', mutate: (m) => delete m.spec.predictor.model.storageUri },
  { rule: 'commit', what: 'a storageUri at another commit than the annotation', mutate: (m) => (m.spec.predictor.model.storageUri = `hf://Qwen/Qwen3-0.6B:${'0'.repeat(40)}`) },
  { rule: 'commit', what: 'a --model_revision at another commit', storage: 'runtime', mutate: (m) => (m.spec.predictor.model.args = m.spec.predictor.model.args.map((a) => (a.startsWith('--model_revision=') ? `--model_revision=${'1'.repeat(40)}` : a))) },
  { rule: 'commit', what: '--model_id without --model_revision', storage: 'runtime', mutate: (m) => (m.spec.predictor.model.args = m.spec.predictor.model.args.filter((a) => !a.startsWith('--model_revision='))) },
  { rule: 'max-model-len', what: 'a context above vLLM\'s derived maximum', mutate: (m) => (m.spec.predictor.model.args = m.spec.predictor.model.args.map((a) => (a.startsWith('--max_model_len=') ? '--max_model_len=40961' : a))) },
  { rule: 'max-model-len', what: 'no --max_model_len', mutate: (m) => (m.spec.predictor.model.args = m.spec.predictor.model.args.filter((a) => !a.startsWith('--max_model_len='))) },
  { rule: 'tensor-parallel', what: 'TP 3 with 16 heads', mutate: (m) => m.spec.predictor.model.args.push('--tensor-parallel-size=3') },
  { rule: 'tensor-parallel', what: 'GPUs that do not match TP', mutate: (m) => (m.spec.predictor.model.resources.limits['nvidia.com/gpu'] = '2') },
  { rule: 'remote-code', what: '--trust_remote_code the user did not allow', mutate: (m) => m.spec.predictor.model.args.push('--trust-remote-code') },
  { rule: 'token-inline', what: 'the token\'s value inlined', storage: 'runtime', mutate: (m) => (m.spec.predictor.model.env = [{ name: 'HF_TOKEN', value: 'hf_abcdefghijklmnop' }]) },
];

describe('KServe export: each check catches its broken manifest', () => {
  for (const mutation of MUTATIONS) {
    it(`${mutation.rule}: ${mutation.what}`, () => {
      const r = render('qwen3_0_6b', {}, { storage: mutation.storage ?? 'hf' });
      expect(validateManifest(r.manifest, r.context, toYaml(r.manifest)).errors).toEqual([]);
      const broken = structuredClone(r.manifest) as InferenceService & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
      mutation.mutate(broken);
      const v = validateManifest(broken, r.context, toYaml(broken));
      expect(v.ok).toBe(false);
      expect(v.errors.map((e) => e.rule)).toContain(mutation.rule);
      const own = v.errors.find((e) => e.rule === mutation.rule)!;
      expect(own.message.length).toBeGreaterThan(20);
      if (mutation.what.startsWith('a storageURI')) expect(own.message).toContain('storageURI');
    });
  }

  it('round-trip: YAML that does not read back as the manifest', () => {
    const r = render('qwen3_0_6b');
    const yaml = toYaml(r.manifest);
    expect(validateManifest(r.manifest, r.context, yaml).ok).toBe(true);
    const v = validateManifest(r.manifest, r.context, yaml.replace('--max_model_len=40960', '--max_model_len=4096'));
    expect(v.errors.map((e) => e.rule)).toEqual(['round-trip']);
    expect(validateManifest(r.manifest, r.context, 'spec: [unclosed').errors.map((e) => e.rule)).toEqual(['round-trip']);
  });

  it('remote code: a model that ships code, rendered without the allowance, is flagged with what to do', () => {
    const r = render('internlm2_5_7b');
    const v = validateManifest(r.manifest, r.context);
    expect(v.errors).toEqual([expect.objectContaining({ rule: 'remote-code', message: expect.stringMatching(/--trust_remote_code.*Allow remote code/) })]);
  });
});

const crdFile = findKserveCrd();
describe.skipIf(!crdFile)(`KServe's own CRD schema${crdFile ? '' : ' (skipped: shared/kserve/serving.kserve.io_inferenceservices.yaml is not beside this checkout; set SWITCHYARD_KSERVE_CRD to its path)'}`, () => {
  let crd: CrdValidate;
  beforeAll(async () => {
    crd = await crdValidator(crdFile!);
  }, 180_000);

  it('passes every golden manifest and the variations around them', () => {
    const manifests = [
      ...CASES.map((c) => render(c.model, c.facts, c.options).manifest),
      render('qwen3_0_6b', { flags: { dtype: 'bfloat16', quantization: 'fp8' } }, { gpus: 4, serviceAccount: 'hf-sa', namespace: 'prod' }).manifest,
      render('qwen3_0_6b', { gated: null }, { storage: 'runtime', hfTokenSecret: 'my-hf' }).manifest,
    ];
    for (const m of manifests) expect(crd(m), `${m.metadata.name}: ${JSON.stringify(crd.errors)}`).toBe(true);
  });

  it('lets a storageURI typo through, which is why the project checks its own schema too', () => {
    const m = structuredClone(render('qwen3_0_6b').manifest) as unknown as { spec: { predictor: { model: Record<string, unknown> } } };
    m.spec.predictor.model.storageURI = m.spec.predictor.model.storageUri;
    delete m.spec.predictor.model.storageUri;
    expect(crd(m)).toBe(true);
    expect(crd({ ...m, spec: { predictor: { model: { modelFormat: { name: 7 } } } } })).toBe(false);
  });
});
