/**
 * An installed Hugging Face model as a KServe InferenceService (`serving.kserve.io/v1beta1`) for KServe's
 * Hugging Face serving runtime (vLLM backend): the same repo at the same commit, with the context and
 * tensor parallelism that fit the cluster's GPUs. Pure: every fact arrives in the arguments.
 *
 * Facts about the runtime this follows (KServe `config/runtimes/kserve-huggingfaceserver.yaml` and
 * `python/huggingfaceserver/__main__.py`, read upstream):
 * - `modelFormat.name: huggingface` selects the runtime; its container args come first and ours are
 *   appended, so our `--model_name` wins over the runtime's `--model_name={{.Name}}`.
 * - The runtime parses its own arguments once before vLLM's are added, to decide whether vLLM serves
 *   the model — loading config.json with `trust_remote_code` from that first pass. So remote code and
 *   the context length use the runtime's own spellings (`--trust_remote_code`, `--max_model_len`), which
 *   both passes know and which set the same vLLM fields; vLLM-only flags keep vLLM's spelling.
 * - Without `storageUri` the runtime downloads `--model_id` at `--model_revision` itself; with one, the
 *   storage initializer puts the files in /mnt/models, the runtime's default `--model_dir`.
 */
import { Document } from 'yaml';
import type { FitReport } from '../../shared/api/catalog';
import { AppError } from '../../shared/errors';
import { VLLM_FLAGS, type VllmFlagName } from '../../shared/vllm-flags';
import { estimateFit, MIN_CONTEXT, overrideGpus, weightsGiB, type ModelShape } from '../catalog/fit';
import { attentionHeads, derivedMaxModelLen, needsRemoteCode } from '../drivers/hf-vllm/model-config';
import { DNS_LABEL, DNS_SUBDOMAIN, kserveName } from './name';
import { ANNOTATION_COMMIT, ANNOTATION_MODEL, MANAGED_BY, MANAGED_BY_LABEL } from './schema';

type Json = Record<string, unknown>;

export const STORAGE_KINDS = ['hf', 'runtime', 'pvc'] as const;
export type StorageKind = (typeof STORAGE_KINDS)[number];
/** The largest tensor-parallel size the fit considers: one node's GPUs. */
export const MAX_GPUS = 8;
/**
 * Flags the runtime's first argument pass must already see (see above), in the runtime's spelling; they
 * set the same vLLM fields as the flag table's `--max-model-len` / `--trust-remote-code`.
 */
const RUNTIME_SPELLING = { max_model_len: '--max_model_len', trust_remote_code: '--trust_remote_code' } as const;

/** Any other vLLM flag as the one flag table spells it, in the `--flag=value` form args take. */
function vllmArg(name: Exclude<VllmFlagName, keyof typeof RUNTIME_SPELLING>, value: string | number): string {
  return `${VLLM_FLAGS[name].cli}=${value}`;
}

/** KServe's documented secret for the runtime's own download (`HF_TOKEN` key). */
export const DEFAULT_HF_TOKEN_SECRET = 'hf-secret';

export interface ExportOptions {
  /** the InferenceService name (default: `kserveName` of the model) */
  name?: string;
  namespace?: string;
  /** GPUs per replica (= tensor-parallel size); default: the fewest the fit needs */
  gpus?: number;
  /** the cluster's GPU memory, GiB */
  gpuMemoryGiB: number;
  storage: StorageKind;
  /** `<claim>/<path>` for storage=pvc */
  pvc?: string;
  serviceAccount?: string;
  /** a Secret with an `HF_TOKEN` key, for gated or private repos */
  hfTokenSecret?: string;
}

/** What is known about the model, all of it local for an installed model. */
export interface ModelFacts {
  model: string;
  /** the 40-hex commit the files are at */
  commit: string;
  config: Json | null;
  shape: ModelShape;
  /** gated on the Hub (null: not known here) */
  gated: boolean | null;
  /** the user allowed this model's own code (per model, as for a local launch) */
  remoteCodeAllowed: boolean;
  /** dtype / quantization as a local launch would pass them */
  flags: { dtype: string | null; quantization: string | null };
  /** saved extra vLLM args, which are not carried over (they were chosen for this machine) */
  extraArgs?: readonly string[];
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef: { name: string; key: string; optional?: boolean } };
}
export type ResourceList = { cpu: string; memory: string; 'nvidia.com/gpu': string };

export interface InferenceService {
  apiVersion: 'serving.kserve.io/v1beta1';
  kind: 'InferenceService';
  metadata: { name: string; namespace?: string; labels: Record<string, string>; annotations: Record<string, string> };
  spec: {
    predictor: {
      serviceAccountName?: string;
      model: {
        modelFormat: { name: 'huggingface' };
        storageUri?: string;
        args: string[];
        env?: EnvVar[];
        resources: { requests: ResourceList; limits: ResourceList };
      };
    };
  };
}

/** The model-side facts the semantic checks compare a manifest with (validate.ts). */
export interface ValidationContext {
  /** the largest `--max_model_len` vLLM accepts for this config */
  derivedMaxModelLen: number | null;
  attentionHeads: number | null;
  remoteCodeNeeded: boolean;
  remoteCodeAllowed: boolean;
}

export interface Rendered {
  manifest: InferenceService;
  /** the fit for the cluster's GPUs (up to 8 per replica) */
  fit: FitReport;
  gpus: number;
  maxModelLen: number;
  warnings: string[];
  context: ValidationContext;
}

/** host memory of the runtime itself: Python, CUDA context, tokenizer, API server (GiB) */
const RUNTIME_HOST_GIB = 4;

export function validationContext(facts: Pick<ModelFacts, 'config' | 'remoteCodeAllowed'>): ValidationContext {
  return {
    derivedMaxModelLen: derivedMaxModelLen(facts.config),
    attentionHeads: attentionHeads(facts.config),
    remoteCodeNeeded: needsRemoteCode(facts.config),
    remoteCodeAllowed: facts.remoteCodeAllowed,
  };
}

/** Renders the InferenceService, or refuses (AppError) what no choice of flags would make serve. */
export function renderInferenceService(facts: ModelFacts, options: ExportOptions): Rendered {
  checkOptions(facts, options);
  const warnings: string[] = [];
  const g = options.gpuMemoryGiB;
  const fit = estimateFit(facts.shape, { gpus: overrideGpus(g, MAX_GPUS), gpuSource: 'override' });
  const { gpus, maxModelLen } = chooseGpus(facts, fit, options);
  if (fit.inputs.kv_estimated) warnings.push('The KV cache per token is estimated (config.json gives no layers or KV heads): the context length is a guess.');

  const name = options.name ?? kserveName(facts.model);
  const args = [`--model_name=${facts.model}`];
  let storageUri: string | undefined;
  let env: EnvVar[] | undefined;
  switch (options.storage) {
    case 'hf':
      storageUri = `hf://${facts.model}:${facts.commit}`;
      if (facts.gated !== false && !options.serviceAccount) {
        warnings.push(
          `${facts.model} is ${facts.gated ? 'gated' : 'possibly gated or private (not known offline)'}: KServe's storage initializer reads HF_TOKEN from a service account's secret. If the download needs a token, pass service_account (a ServiceAccount whose secret holds HF_TOKEN).`,
        );
      }
      break;
    case 'pvc':
      storageUri = `pvc://${options.pvc}`;
      break;
    case 'runtime': {
      args.push(`--model_id=${facts.model}`, `--model_revision=${facts.commit}`, `--tokenizer_revision=${facts.commit}`);
      // the token is never inlined: the runtime reads it from a Secret the cluster holds
      const secret = options.hfTokenSecret ?? (facts.gated ? DEFAULT_HF_TOKEN_SECRET : null);
      if (secret) env = [{ name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: secret, key: 'HF_TOKEN' } } }];
      if (facts.gated === null && !options.hfTokenSecret) {
        warnings.push(`Whether ${facts.model} is gated or private is not known offline: if it is, pass hf_token_secret (a Secret with an HF_TOKEN key).`);
      }
      break;
    }
    default: {
      const never: never = options.storage;
      throw new AppError('bad_request', `Unknown storage "${String(never)}".`);
    }
  }
  args.push(`${RUNTIME_SPELLING.max_model_len}=${maxModelLen}`);
  if (gpus > 1) args.push(vllmArg('tensor_parallel_size', gpus));
  if (facts.flags.dtype) args.push(vllmArg('dtype', facts.flags.dtype));
  if (facts.flags.quantization) args.push(vllmArg('quantization', facts.flags.quantization));
  const context = validationContext(facts);
  if (context.remoteCodeNeeded && facts.remoteCodeAllowed) args.push(RUNTIME_SPELLING.trust_remote_code);
  if (facts.extraArgs?.length) warnings.push(`The extra vLLM args saved for this machine (${facts.extraArgs.join(' ')}) are not carried over; add them to args if the cluster needs them.`);
  const model: InferenceService['spec']['predictor']['model'] = {
    modelFormat: { name: 'huggingface' },
    ...(storageUri ? { storageUri } : {}),
    args,
    ...(env ? { env } : {}),
    resources: resources(facts.shape, gpus),
  };

  const manifest: InferenceService = {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: {
      name,
      ...(options.namespace ? { namespace: options.namespace } : {}),
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY },
      annotations: { [ANNOTATION_MODEL]: facts.model, [ANNOTATION_COMMIT]: facts.commit },
    },
    spec: { predictor: { ...(options.serviceAccount ? { serviceAccountName: options.serviceAccount } : {}), model } },
  };
  return { manifest, fit, gpus, maxModelLen, warnings, context };
}

function checkOptions(facts: ModelFacts, options: ExportOptions): void {
  if (!/^[0-9a-f]{40}$/.test(facts.commit)) {
    throw new AppError('unsupported_model', `${facts.model} has no recorded 40-hex commit, so the cluster could not fetch the same files. Reinstall it from the Hub, then export again.`);
  }
  if (!(options.gpuMemoryGiB > 0)) throw new AppError('bad_request', "Say the cluster's GPU memory (gpu_memory_gib): no GPU was detected here to default to.");
  if (options.namespace !== undefined && (!DNS_LABEL.test(options.namespace) || options.namespace.length > 63)) {
    throw new AppError('bad_request', `namespace "${options.namespace}" is not a Kubernetes namespace name (lowercase letters, digits and -, at most 63).`);
  }
  if (options.serviceAccount !== undefined && (!DNS_SUBDOMAIN.test(options.serviceAccount) || options.serviceAccount.length > 253)) {
    throw new AppError('bad_request', `service_account "${options.serviceAccount}" is not a Kubernetes name (lowercase letters, digits, - and .).`);
  }
  if (options.hfTokenSecret !== undefined && (!DNS_SUBDOMAIN.test(options.hfTokenSecret) || options.hfTokenSecret.length > 253)) {
    throw new AppError('bad_request', `hf_token_secret "${options.hfTokenSecret}" is not a Kubernetes Secret name (lowercase letters, digits, - and .).`);
  }
  if (options.storage === 'hf' && facts.model.split('/').length !== 2) {
    throw new AppError('bad_request', `KServe's hf:// storage needs an owner/name repo, and "${facts.model}" has no owner: use storage=runtime (the runtime downloads it) or storage=pvc.`);
  }
  if (options.storage === 'pvc') {
    const [claim, ...rest] = (options.pvc ?? '').split('/');
    const path = rest.join('/');
    if (!claim || !DNS_SUBDOMAIN.test(claim) || !path || path.split('/').some((p) => p === '..' || p === '')) {
      throw new AppError('bad_request', 'storage=pvc needs pvc=<claim>/<path>: the PersistentVolumeClaim and the folder in it holding config.json and the weights (e.g. pvc=models/qwen3-0.6b).');
    }
  }
  if (options.storage !== 'pvc' && options.pvc !== undefined) throw new AppError('bad_request', `pvc=… only applies to storage=pvc (storage is ${options.storage}).`);
}

/** GPUs per replica and the largest context that fits on them, never above vLLM's derived maximum. */
function chooseGpus(facts: ModelFacts, fit: FitReport, options: ExportOptions): { gpus: number; maxModelLen: number } {
  const size = `${options.gpuMemoryGiB} GiB`;
  if (fit.summary.verdict === 'unknown') throw new AppError('unsupported_model', `${facts.model}: ${fit.summary.note} The context that fits cannot be worked out.`);
  const allowed = fit.options.map((o) => o.tensor_parallel_size);
  const n = options.gpus ?? fit.summary.gpus_needed;
  if (!n || fit.summary.verdict === 'does_not_fit') {
    throw new AppError('bad_request', `${facts.model} does not fit on up to ${MAX_GPUS} × ${size} GPUs (${fit.summary.note}). Use GPUs with more memory (gpu_memory_gib), or a quantized variant.`);
  }
  const option = fit.options.find((o) => o.tensor_parallel_size === n);
  if (!option) {
    const heads = fit.options.length < 4 ? ` (it has ${attentionHeads(facts.config) ?? 'an unknown number of'} attention heads, which the tensor-parallel size must divide)` : '';
    throw new AppError('bad_request', `gpus=${n} cannot serve ${facts.model}${heads}: use ${allowed.join(', ')} GPUs per replica.`);
  }
  const derived = derivedMaxModelLen(facts.config);
  const floor = Math.min(MIN_CONTEXT, derived ?? MIN_CONTEXT);
  if (option.max_context < floor) {
    const more = fit.options.find((o) => o.tensor_parallel_size > n && o.max_context >= floor);
    throw new AppError('bad_request', `${facts.model} does not fit on ${n} × ${size} GPUs with a useful context (${option.max_context} tokens).${more ? ` Use gpus=${more.tensor_parallel_size}.` : ' Use GPUs with more memory.'}`);
  }
  return { gpus: n, maxModelLen: option.max_context };
}

/**
 * Requests = limits, so the pod is not evicted under memory pressure while it loads. Memory: the
 * weights pass through host memory while loading (and safetensors are memory-mapped), plus the
 * runtime's Python, CUDA and tokenizer; CPU: tokenization and the API server, more for larger models.
 */
export function resources(shape: ModelShape, gpus: number): { requests: ResourceList; limits: ResourceList } {
  const w = weightsGiB(shape) ?? 0;
  const memory = Math.max(8, Math.ceil(w * 1.2 + RUNTIME_HOST_GIB));
  const cpu = Math.min(16, Math.max(2, 2 + Math.ceil(w / 8)));
  const list: ResourceList = { cpu: String(cpu), memory: `${memory}Gi`, 'nvidia.com/gpu': String(gpus) };
  return { requests: { ...list }, limits: { ...list } };
}

/** The manifest as YAML for `kubectl apply -f`, with a header saying where it came from. */
export function toYaml(manifest: InferenceService): string {
  const doc = new Document(manifest);
  const model = manifest.metadata.annotations[ANNOTATION_MODEL];
  const commit = manifest.metadata.annotations[ANNOTATION_COMMIT];
  doc.commentBefore = ` Rendered by Switchyard from ${model} at ${commit}.\n Apply with: kubectl apply -f <this file>`;
  return doc.toString({ lineWidth: 0 });
}
