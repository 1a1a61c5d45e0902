import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KserveExportQuery, KserveExportResponse } from '../../shared/api/kserve';
import type { RuntimeFlags } from '../../shared/api/models';
import { AppError } from '../../shared/errors';
import { flagsFromSettings } from '../../shared/vllm-flags';
import type { GpuInventory, ModelShape } from '../catalog/fit';
import { safetensorsDtypeBytes } from '../catalog/fit';
import { hfShape, HfConfig, type HfModelInfo } from '../catalog/huggingface';
import { localHfDetails } from '../catalog/installed';
import type { SettingsService } from '../config';
import { quantizationFlag } from '../drivers/hf-vllm/model-config';
import { snapshotFiles } from '../hub/cache-scan';
import { indexedShards, selectFiles } from '../hub/file-selection';
import type { HubClient } from '../hub/hub-client';
import { resolveFlags } from '../models/activation-flags';
import type { ModelRecord, ModelsRepo } from '../models/models-repo';
import { renderInferenceService, toYaml, type ExportOptions, type ModelFacts } from './render';
import { validateManifest } from './validate';
import { uniqueKserveName } from './name';

type Json = Record<string, unknown>;

export interface KserveExporterDeps {
  models: Pick<ModelsRepo, 'find' | 'list'>;
  settings: Pick<SettingsService, 'get'>;
  /** this machine's GPUs: their size is the default cluster GPU size */
  gpus: GpuInventory;
  /** only the catalog preview asks the Hub */
  hub: Pick<HubClient, 'resolve' | 'readJson'>;
  offline(): boolean;
  /** whether a repo is gated, when something here knows it (the catalog cache); null: unknown */
  gated?(model: string): boolean | null;
}

/** The Hugging Face runtime serves the OpenAI API under this path of the service's URL. */
export const KSERVE_OPENAI_PATH = '/openai/v1';

type Result = Omit<KserveExportResponse, 'success'>;

/**
 * Exports installed Hugging Face models as KServe InferenceServices (render.ts), checked offline
 * (validate.ts). An installed model needs nothing but its snapshot in the HF cache; a catalog model's
 * preview needs the Hub for its current commit.
 */
export class KserveExporter {
  constructor(private readonly deps: KserveExporterDeps) {}

  /** An installed model, from its local files only: works offline. */
  installed(name: string, query: KserveExportQuery): Result {
    const m = this.deps.models.find(name);
    if (!m || m.status === 'removed') throw new AppError('model_not_found', `No installed model "${name}". Install it first (Catalog), or preview a catalog model with GET /api/v1/models/catalog/{name}/export/kserve.`);
    refuseOllama(m);
    if (m.status !== 'installed' || !m.local_path) throw new AppError('lifecycle_violation', `${m.name} is ${m.status}, not installed: finish or repeat its install, then export it.`);
    const files = snapshotFiles(m.local_path).map((f) => ({ path: f.path, size: f.size }));
    refuseGguf(m.name, files);
    const local = localHfDetails(m.name, m.local_path);
    if (!local) throw new AppError('lifecycle_violation', `The files of ${m.name} are missing from the Hugging Face cache (${m.local_path}). Verify or reinstall it (Installed › ${m.name}).`);
    const config = readJson(join(m.local_path, 'config.json'));
    const shape = { ...hfShape(local.info, local.config), runtime: 'vllm' as const };
    return this.export(
      {
        model: m.name,
        commit: m.commit_sha ?? '',
        config,
        shape,
        // what the Hub said at install, else what the catalog cache knows: public repos then need no warning
        gated: m.hub_gated ?? this.deps.gated?.(m.name) ?? null,
        remoteCodeAllowed: m.runtime_flags?.trust_remote_code === true,
        flags: this.flags(shape, m.runtime_flags),
        extraArgs: m.runtime_flags?.extra_args ?? [],
      },
      query,
    );
  }

  /** A catalog model that is not installed, at the Hub's current commit: needs the network. */
  async catalog(name: string, query: KserveExportQuery, signal?: AbortSignal): Promise<Result> {
    if (this.deps.offline()) {
      throw new AppError('offline', `Offline mode is on: previewing ${name} needs the Hub's current commit. Install the model (its export then works offline), or turn offline mode off.`);
    }
    if (!name.includes('/') || name.includes(':')) refuseOllama({ name, provider: 'ollama' });
    const repo = await this.deps.hub.resolve(name, 'main', signal);
    refuseGguf(name, repo.files);
    const has = (path: string) => repo.files.some((f) => f.path === path);
    const config = has('config.json') ? ((await this.deps.hub.readJson(name, repo.commit, 'config.json', signal)) as Json | null) : null;
    const index = has('model.safetensors.index.json') ? await this.deps.hub.readJson(name, repo.commit, 'model.safetensors.index.json', signal) : null;
    const shape = shapeFromFiles(name, config, repo.files, indexedShards(index));
    return this.export({ model: name, commit: repo.commit, config, shape, gated: repo.gated, remoteCodeAllowed: false, flags: this.flags(shape, null) }, query);
  }

  private export(facts: ModelFacts, query: KserveExportQuery): Result {
    const options: ExportOptions = {
      name: query.name ?? uniqueKserveName(facts.model, this.exportable()),
      namespace: query.namespace,
      gpus: query.gpus,
      gpuMemoryGiB: query.gpu_memory_gib ?? this.localGpuGiB() ?? 0,
      storage: query.storage,
      pvc: query.pvc,
      serviceAccount: query.service_account,
      hfTokenSecret: query.hf_token_secret,
    };
    const rendered = renderInferenceService(facts, options);
    const yaml = toYaml(rendered.manifest);
    const validation = validateManifest(rendered.manifest, rendered.context, yaml);
    validation.warnings.push(...rendered.warnings.map((message) => ({ rule: 'advice' as const, path: '/', message })));
    const name = rendered.manifest.metadata.name;
    return {
      manifest: rendered.manifest as unknown as Json,
      yaml,
      validation,
      fit: rendered.fit,
      name,
      model: facts.model,
      namespace: options.namespace ?? null,
      gpus: rendered.gpus,
      gpu_memory_gib: options.gpuMemoryGiB,
      max_model_len: rendered.maxModelLen,
      storage: options.storage,
      commit: facts.commit,
      file_name: `${name}.yaml`,
      kubectl: `kubectl apply -f ${name}.yaml`,
      openai_path: KSERVE_OPENAI_PATH,
    };
  }

  /** dtype and quantization by a local launch's priority: fit < Settings < the model's saved flags. */
  private flags(shape: ModelShape, saved: RuntimeFlags | null): ModelFacts['flags'] {
    const settings = flagsFromSettings(this.deps.settings.get().vllm);
    const { flags } = resolveFlags([
      // the fit names a quantization only where vLLM would not detect it (as estimateFit does)
      { source: 'fit', flags: { quantization: quantizationFlag(shape.quantization) } },
      { source: 'settings', flags: { dtype: settings.dtype, quantization: settings.quantization } },
      { source: 'model', flags: { dtype: saved?.dtype ?? null, quantization: saved?.quantization ?? null } },
    ]);
    // `auto` is vLLM's default: writing it down would only add noise
    return { dtype: flags.dtype && flags.dtype !== 'auto' ? flags.dtype : null, quantization: flags.quantization ?? null };
  }

  /** The installed models a default name must not meet (Hub models: the ones KServe can serve). */
  private exportable(): string[] {
    return this.deps.models.list().flatMap((m) => (m.provider === 'huggingface' && m.source !== 'local' ? [m.name] : []));
  }

  /** The smallest local GPU's memory (GiB, one decimal), or null without a GPU. */
  private localGpuGiB(): number | null {
    const gpus = this.deps.gpus.gpus()?.filter((g) => g.memoryTotalMiB > 0);
    if (!gpus?.length) return null;
    return Math.round((Math.min(...gpus.map((g) => g.memoryTotalMiB)) / 1024) * 10) / 10;
  }
}

function refuseOllama(m: Pick<ModelRecord, 'name' | 'provider'>): void {
  if (m.provider !== 'ollama') return;
  throw new AppError(
    'unsupported_model',
    `${m.name} is an Ollama model: no KServe runtime serves Ollama's models (GGUF in Ollama's store). Export a Hugging Face repo of the same model (safetensors) instead.`,
  );
}

function refuseGguf(name: string, files: readonly { path: string }[]): void {
  const weights = files.some((f) => !f.path.includes('/') && /\.(safetensors|bin|pt|pth)$/.test(f.path));
  if (weights || !files.some((f) => f.path.endsWith('.gguf'))) return;
  throw new AppError(
    'unsupported_model',
    `${name} holds GGUF files only: KServe's Hugging Face runtime loads safetensors checkpoints, and no KServe runtime serves a GGUF repo. Export the original (safetensors) repo of this model instead.`,
  );
}

function readJson(path: string): Json | null {
  try {
    const v: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : null;
  } catch {
    return null;
  }
}

/** torch_dtype → the `safetensors.parameters` key the Hub would report (as catalog/installed.ts does) */
const DTYPE_KEY: Record<string, string> = { bfloat16: 'BF16', float16: 'F16', half: 'F16', float32: 'F32', float: 'F32', float8_e4m3fn: 'F8_E4M3' };

/**
 * The fit's view of a repo from its file list and config.json, the way an installed copy is seen
 * (catalog/installed.ts `localHfDetails`): the weights vLLM loads are the indexed safetensors shards.
 */
export function shapeFromFiles(id: string, raw: Json | null, files: readonly { path: string; size: number }[], shards: Set<string> | null): ModelShape {
  const parsed = raw ? HfConfig.safeParse(raw) : null;
  const config = parsed?.success ? parsed.data : null;
  const loaded = selectFiles(files.map((f) => ({ path: f.path, size: f.size, sha256: null, oid: '' })), { indexedShards: shards }).files;
  const bytes = loaded.filter((f) => f.path.endsWith('.safetensors') && !f.path.includes('/')).reduce((a, f) => a + f.size, 0);
  const key = DTYPE_KEY[String(config?.torch_dtype ?? config?.dtype ?? 'bfloat16').toLowerCase()] ?? 'BF16';
  const params = bytes > 0 ? Math.round(bytes / safetensorsDtypeBytes(key)) : 0;
  const architectures = Array.isArray(raw?.architectures) ? raw.architectures.filter((a): a is string => typeof a === 'string') : [];
  const info: HfModelInfo = {
    id,
    tags: [],
    config: { architectures, model_type: typeof raw?.model_type === 'string' ? raw.model_type : null, quantization_config: config?.quantization_config ?? null },
    safetensors: params > 0 ? { parameters: { [key]: params }, total: params } : null,
    siblings: files.map((f) => ({ rfilename: f.path, size: f.size })),
  };
  return { ...hfShape(info, config), runtime: 'vllm' };
}
