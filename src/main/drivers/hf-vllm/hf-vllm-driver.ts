import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { InstallBody, InstallPlan, ModelTestResult, RuntimeFlags } from '../../../shared/api/models';
import { AppError } from '../../../shared/errors';
import { flagLines } from '../../../shared/vllm-flags';
import { snapshotFiles } from '../../hub/cache-scan';
import { ggufQuantization } from '../../hub/file-selection';
import type { ModelRecord, ModelsRepo } from '../../models/models-repo';
import type { RuntimeManager } from '../../runtimes/manager';
import type { OperationContext } from '../../operations/operation-service';
import type { ActivateContext, InstallParams, InstallRequest, ManifestHost, ModelDriver, PreparedInstall, TestRequest, VerifyResult } from '../model-driver';
import { chatTest } from '../openai-test';
import { localEndpoint } from '../local-endpoint';
import type { ServingEndpoint } from '../../serving/endpoint';
import type { EndpointState } from '../serving-driver';
import { HfCacheInstall, type HfCacheInstallDeps } from './hf-cache-install';
import { attentionHeads, needsRemoteCode, remoteCodeModules } from './model-config';
import { runtimeLabel } from '../../../shared/runtimes';
import { formatBytes } from '../../../shared/format';
import { capabilitiesFromHf } from '../../models/capabilities';
import type { LocalSource } from '../model-driver';
import { inspectModelFolder } from './model-folder';
import type { ModelRevision } from '../../../shared/api/library';
import { listSnapshots } from '../../hub/revisions';
import type { Settings } from '../../../shared/settings';
import { flagSettingLabels, flagsFromSettings } from '../../../shared/vllm-flags';
import type { SettingsText } from '../settings-group';
import { resolveFlags } from '../../models/activation-flags';
import { binarySetting, vllmAdapter } from '../../runtimes/adapters';
import { vllmServeArgs } from '../../runtimes/vllm-args';
import { commandLines } from '../command-lines';

export interface HfVllmDriverDeps extends HfCacheInstallDeps {
  runtimes: Pick<RuntimeManager, 'activate' | 'stop' | 'info' | 'serving'>;
  models: Pick<ModelsRepo, 'artifacts'>;
  fetch?: typeof fetch;
}

/**
 * Hugging Face models from the HF cache, served by `vllm serve` (one model per process). Installing
 * (resolve, file selection, verified download, removal, cache scan) is `HfCacheInstall`'s part.
 */
/** Hugging Face repos: `org/name`, one slash. */
export const HF_NAME_RULE = { pattern: /^[\w\-.]+\/[\w\-.]+$/, hint: 'Hugging Face models are named "org/name", e.g. "Qwen/Qwen3-0.6B"' };

/** Settings › vLLM: what it is for, and its fields' texts (the launch flags' from the flag table). */
export const VLLM_SETTINGS_TEXT: SettingsText = {
  about: 'Serves Hugging Face models on NVIDIA GPUs. The advanced flags are passed to `vllm serve`.',
  fields: {
    port: { label: 'Port', env: 'SWITCHYARD_VLLM_PORT' },
    ...flagSettingLabels(),
    extraArgs: { label: 'Extra arguments', hint: 'one argument per line, e.g. --enforce-eager' },
    env: { label: 'Extra environment', hint: 'KEY=value, one per line' },
  },
};

export class HfVllmDriver implements ModelDriver {
  readonly runtime = 'vllm' as const;
  readonly provider = 'huggingface' as const;
  readonly label = runtimeLabel('vllm');
  readonly kind = 'local' as const;
  readonly models = 'manifest' as const;
  readonly localRuntime = 'vllm';
  readonly requiresNetwork = false;
  readonly launchFlags = true;
  readonly settingsText = VLLM_SETTINGS_TEXT;
  /** one model per process: the chat slot only (an embedding model on vLLM goes there too) */
  readonly slots = ['chat'] as const;
  readonly requiresModel = true;
  readonly gpuShare = true;
  readonly nameRule = HF_NAME_RULE;
  readonly installQueue = 'vllm';
  readonly discovery = 'local' as const;
  readonly imports = 'folder' as const;
  private readonly fetchImpl: typeof fetch;
  private readonly cache: HfCacheInstall;
  /** what the last launch of vLLM served: the revision an answer about "served" refers to */
  private launched: { model: string; revision: string | null } | null = null;

  constructor(private readonly deps: HfVllmDriverDeps) {
    this.fetchImpl = deps.fetch ?? fetch;
    this.cache = new HfCacheInstall(deps);
  }

  canonicalName(name: string): string {
    return name;
  }

  /** `vllm serve <model> …`: the supervisor's argv (`vllmServeArgs`) with the fit's flags under Settings, as an activation layers them */
  launchPreview(model: string, fitFlags: RuntimeFlags | null, settings: Settings): string[][] {
    const { flags } = resolveFlags([
      { source: 'fit', flags: fitFlags ?? {} },
      { source: 'settings', flags: flagsFromSettings(settings.vllm) },
    ]);
    return [commandLines([binarySetting(vllmAdapter, settings) ?? vllmAdapter.defaultBinary, ...vllmServeArgs(settings.vllm, model, flags)])];
  }

  plan(request: InstallRequest, host: ManifestHost, signal?: AbortSignal): Promise<InstallPlan> {
    return this.cache.plan(request, host, signal);
  }

  prepareInstall(request: InstallBody, host: ManifestHost): Promise<PreparedInstall> {
    return this.cache.prepareInstall(request, host);
  }

  install(name: string, params: InstallParams, ctx: OperationContext, host: ManifestHost): Promise<string> {
    return this.cache.install(name, params, ctx, host);
  }

  checkRemove(): void {
    // the files are ours: nothing has to be running to delete them
  }

  /** An imported folder is the user's: removing the model forgets it and never deletes a file. */
  async remove(model: ModelRecord, ctx: OperationContext): Promise<string> {
    if (model.source === 'local') return `Removed ${model.name} from Switchyard; ${model.import_path ?? model.local_path} was left as it is.`;
    return this.cache.remove(model, ctx);
  }

  /**
   * A model folder is served from where it is (`vllm serve <path> --served-model-name <name>`): nothing
   * is copied. Its files are recorded with their sizes (verify checks them), its capabilities and fit
   * come from its own config.json.
   */
  async importLocal(name: string, source: LocalSource, ctx: OperationContext, host: ManifestHost): Promise<string> {
    ctx.report({ message: `Reading ${source.path}…`, progress: 10 });
    const folder = await inspectModelFolder(source.path);
    host.models.save(
      {
        name,
        provider: 'huggingface',
        runtime: 'vllm',
        display_name: name,
        size_bytes: folder.totalBytes,
        status: 'installed',
        revision: null,
        commit_sha: null,
        local_path: folder.path,
        source: 'local',
        import_path: folder.path,
        capabilities: capabilitiesFromHf(folder.config, folder.tokenizerConfig),
        installed_at: new Date().toISOString(),
      },
      folder.files.map((f) => ({ path: f.path, size: f.size, sha256: null, blob_id: null, local_path: join(folder.path, f.path), status: 'verified' as const })),
    );
    host.models.addValidation(name, 'files', true, { imported: folder.path, files: folder.files.length, bytes: folder.totalBytes, weights: folder.weights });
    host.changed();
    return `Imported ${folder.path} as ${name} (${folder.weights.length} safetensors file${folder.weights.length === 1 ? '' : 's'}, ${formatBytes(folder.totalBytes)}); vLLM serves it from there.`;
  }

  discover(host: ManifestHost): Promise<void> {
    return this.cache.discover(host);
  }

  /**
   * Refusals before a launch, for what vLLM would refuse after minutes of loading (or crash on): remote
   * code the user has not allowed for this model, remote code whose files are missing, and a GGUF
   * snapshot (vLLM needs the base model's tokenizer beside a single file; Ollama runs it as is).
   */
  check(m: ModelRecord, flags: RuntimeFlags): void {
    if (!m.local_path) return;
    const files = snapshotFiles(m.local_path).map((f) => f.path);
    if (files.length === 0) return;
    const hasWeights = files.some((p) => !p.includes('/') && /\.(safetensors|bin|pt|pth)$/.test(p));
    if (!hasWeights && files.some((p) => p.endsWith('.gguf'))) {
      const quant = files.map((p) => ggufQuantization(p)).find((q) => q !== null);
      throw new AppError(
        'unsupported_model',
        `${m.name} holds GGUF files only: vLLM cannot serve a GGUF repo from the Hub cache (it needs one local .gguf file and the base model's tokenizer, and loads it slowly). Install it for Ollama instead — Catalog › ${m.name} › Ollama, i.e. "hf.co/${m.name}${quant ? `:${quant}` : ''}" — then activate that.`,
      );
    }
    const config = readConfig(m.local_path);
    const heads = attentionHeads(config);
    const tp = flags.tensor_parallel_size;
    if (heads && tp && heads % tp !== 0) {
      const fits = [1, 2, 4, 8].filter((n) => heads % n === 0);
      throw new AppError('bad_request', `${m.name} has ${heads} attention heads, which vLLM cannot split over --tensor-parallel-size ${tp}. Use ${fits.join(', ')} (PUT /api/v1/models/${encodeURIComponent(m.name)}/runtime-flags, or Settings › vLLM).`);
    }
    if (!needsRemoteCode(config)) return;
    if (!flags.trust_remote_code) {
      throw new AppError(
        'remote_code_not_allowed',
        `${m.name} ships its own Python code (config.json auto_map), which vLLM only runs with --trust-remote-code. If you trust its authors, allow remote code for this model (Installed › ${m.name} › Allow remote code, or PUT /api/v1/models/${encodeURIComponent(m.name)}/runtime-flags {"flags":{"trust_remote_code":true}}), then activate it again.`,
      );
    }
    const missing = remoteCodeModules(config).filter((p) => !files.includes(p));
    if (missing.length) {
      throw new AppError(
        'unsupported_model',
        `${m.name} needs ${missing.join(', ')} (named by config.json auto_map), which is not installed; offline, vLLM cannot fetch it. Reinstall the model (Installed › Remove, then install it again).`,
      );
    }
  }

  async activate(m: ModelRecord, flags: RuntimeFlags, ctx: ActivateContext): Promise<ServingEndpoint> {
    ctx.onLoading(`vLLM is loading ${m.name} (${describeFlags(flags)}) — this can take minutes for large models.`);
    const source = launchSource(m);
    this.launched = { model: m.name, revision: source.revision };
    await this.deps.runtimes.activate('vllm', { model: m.name, flags: { ...flags, ...source } });
    const endpoint = this.endpoint();
    if (!endpoint) throw new AppError('runtime_failed', `vLLM started with ${m.name} but stopped answering right away. Check its log (Runtimes › vLLM).`);
    return endpoint;
  }

  endpoint(): ServingEndpoint | null {
    return localEndpoint(this.deps.runtimes.serving('vllm'), this.provider, this.runtime);
  }

  state(): EndpointState {
    const { phase, model } = this.deps.runtimes.serving('vllm');
    return { phase, model };
  }

  /** vLLM serves one model per process: unloading is stopping it. */
  async deactivate(): Promise<void> {
    const info = this.deps.runtimes.info('vllm');
    if (info.state !== 'stopped' && info.state !== 'not_installed') await this.deps.runtimes.stop('vllm');
  }

  test(m: ModelRecord, endpoint: ServingEndpoint, request: TestRequest): Promise<ModelTestResult> {
    return chatTest({ fetch: this.fetchImpl, endpoint, runtime: 'vllm', label: this.label, model: m.name, servedName: endpoint.model ?? m.name }, request.prompt, request.maxTokens);
  }

  async revisions(m: ModelRecord): Promise<ModelRevision[]> {
    if (m.source === 'local') throw new AppError('bad_request', `${m.name} was imported from ${m.import_path ?? 'a folder'}: it has no Hub revisions.`);
    const { phase, model } = this.state();
    const served = phase !== 'down' && model === m.name && this.launched?.model === m.name ? this.launched.revision : null;
    return (await listSnapshots(this.deps.hfHubCache(), m.name)).map((s) => ({
      commit: s.commit,
      date: s.date.toISOString(),
      size_bytes: s.sizeBytes,
      refs: s.refs,
      installed: s.commit === m.commit_sha,
      served: s.commit === served,
      pinned: s.commit === m.pinned_revision,
    }));
  }

  remoteCode(m: ModelRecord): boolean {
    return m.local_path ? needsRemoteCode(readConfig(m.local_path)) : false;
  }

  /** Re-hashes every file (sha256 for LFS files, git sha1 for the others). */
  async verify(m: ModelRecord): Promise<VerifyResult> {
    const bad: { path: string; reason: string }[] = [];
    const artifacts = this.deps.models.artifacts(m.name);
    for (const a of artifacts) {
      if (!a.local_path) continue;
      let size: number;
      try {
        size = statSync(a.local_path).size;
      } catch {
        bad.push({ path: a.path, reason: 'missing' });
        continue;
      }
      if (size !== a.size) {
        bad.push({ path: a.path, reason: `size ${size}, expected ${a.size}` });
        continue;
      }
      const expected = a.sha256 ?? a.blob_id;
      if (!expected) continue;
      const kind = expected.length === 64 ? 'sha256' : expected.length === 40 ? 'git-sha1' : null;
      if (!kind) continue;
      const actual = await hashFile(a.local_path, kind, size);
      if (actual !== expected) bad.push({ path: a.path, reason: `${kind} mismatch` });
    }
    return bad.length ? { ok: false, details: { reason: 'verification failed', bad } } : { ok: true, details: { verified: 'sha256 / git sha1 re-hashed', files: artifacts.length } };
  }
}

/**
 * Where vLLM reads the model from: an imported folder by its path (served under the model's name);
 * a Hub model at its pinned commit, else at the commit it was installed (and verified) at, whatever
 * refs/main says now.
 */
export function launchSource(m: ModelRecord): { revision: string | null; path: string | null } {
  if (m.source === 'local' && m.local_path) return { revision: null, path: m.local_path };
  const commit = m.pinned_revision ?? m.commit_sha;
  return { revision: commit && /^[0-9a-f]{40}$/.test(commit) ? commit : null, path: null };
}

export function describeFlags(flags: RuntimeFlags): string {
  return [...flagLines(flags), ...(flags.extra_args ?? [])].join(' ') || 'vLLM defaults';
}

/** A snapshot's config.json, or null when it has none or it is unreadable. */
function readConfig(snapshot: string): Record<string, unknown> | null {
  try {
    return JSON.parse(readFileSync(join(snapshot, 'config.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

async function hashFile(path: string, kind: 'sha256' | 'git-sha1', size: number): Promise<string> {
  const hash = kind === 'sha256' ? createHash('sha256') : createHash('sha1').update(`blob ${size}\0`);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
