import { existsSync, readFileSync } from 'node:fs';
import { rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { InstallBody, InstallPlan } from '../../../shared/api/models';
import { AppError, errorMessage } from '../../../shared/errors';
import { formatBytes } from '../../../shared/format';
import type { SettingsService } from '../../config';
import { blobPath, isBlobId, repoDir, snapshotDir } from '../../hub/cache-layout';
import { deleteSnapshot, refsTo, removeRepoIfEmpty, snapshotCommits } from '../../hub/cache-prune';
import { pruneSnapshots } from '../../hub/revisions';
import { scanCachedModels } from '../../hub/cache-scan';
import { bytesAlreadyFetched, partialFilesOf } from '../../hub/downloader';
import { indexedShards, SelectionError, selectFiles } from '../../hub/file-selection';
import type { HubClient } from '../../hub/hub-client';
import { blobIdOf, downloadSnapshot, type SnapshotFile } from '../../hub/snapshot-download';
import type { Logger } from '../../logger';
import { capabilitiesFromHf } from '../../models/capabilities';
import { diskInfo } from '../../models/guards';
import type { ModelRecord } from '../../models/models-repo';
import { cancelReasonOf, type OperationContext } from '../../operations/operation-service';
import type { InstallParams, InstallRequest, ManifestHost, PreparedInstall } from '../model-driver';

export interface HfCacheInstallDeps {
  hub: HubClient;
  settings: Pick<SettingsService, 'get'>;
  logger: Logger;
  hfHubCache(): string;
  /** first retry delay of a failed download (doubles each time); tests shorten it */
  retryBaseMs?: number;
}

/** The resolved plan of a Hugging Face install, kept in the operation's params for a resume. */
interface HfPlan {
  repo: string;
  /** what the Hub said when the install was resolved (kept for offline KServe exports) */
  gated?: boolean;
  revision: string;
  commit: string;
  files: SnapshotFile[];
  quantization: string | null;
}

interface HfInstallParams extends InstallParams {
  plan?: HfPlan;
  /** the commit this install updates from: its snapshot goes once the new one is complete */
  replaces?: ReplacedSnapshot | null;
}

/** The snapshot an update replaces, and the blobs its manifest listed (partial downloads of it go too). */
interface ReplacedSnapshot {
  commit: string;
  blobs: string[];
}

/**
 * The install side of `HfVllmDriver`: resolve a repo on the Hub, select the files vLLM will read
 * (hub/file-selection.ts), download them resumably and verified into the HF cache, remove a snapshot
 * with the blobs only it uses, and import what the cache already holds.
 */
export class HfCacheInstall {
  private readonly retryBaseMs: number;

  constructor(private readonly deps: HfCacheInstallDeps) {
    this.retryBaseMs = deps.retryBaseMs ?? 1_000;
  }

  async plan(request: InstallRequest, _host: ManifestHost, signal?: AbortSignal): Promise<InstallPlan> {
    const { hfPlan, gated, quantizations } = await this.resolve(request, signal);
    const cache = this.deps.hfHubCache();
    const files = hfPlan.files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256, cached: existsSync(blobPath(cache, hfPlan.repo, blobIdOf(f))) }));
    const total = hfPlan.files.reduce((a, f) => a + f.size, 0);
    const needed = await this.bytesToFetch(hfPlan);
    const disk = await diskInfo(cache);
    return {
      name: hfPlan.repo,
      provider: 'huggingface',
      runtime: 'vllm',
      revision: hfPlan.revision,
      commit_sha: hfPlan.commit,
      gated,
      files,
      quantizations,
      quantization: hfPlan.quantization,
      ollama_name: hfPlan.quantization && hfPlan.files.some((f) => f.path.endsWith('.gguf')) ? `hf.co/${hfPlan.repo}:${hfPlan.quantization}` : null,
      total_bytes: total,
      download_bytes: needed,
      disk: { ...disk, free_after_bytes: disk.free_bytes - needed },
      refusal: null,
    };
  }

  async prepareInstall(body: InstallBody, host: ManifestHost): Promise<PreparedInstall> {
    const { hfPlan } = await this.resolve(body);
    host.checkNotBusy(hfPlan.repo);
    const existing = host.models.get(hfPlan.repo);
    if (existing?.status === 'installed' && existing.commit_sha === hfPlan.commit && this.missingFiles(hfPlan).length === 0) {
      throw new AppError('conflict', `${hfPlan.repo} is already installed at ${hfPlan.commit.slice(0, 8)}.`);
    }
    const replaces: ReplacedSnapshot | null =
      existing?.provider === 'huggingface' && existing.commit_sha && existing.commit_sha !== hfPlan.commit
        ? { commit: existing.commit_sha, blobs: host.models.artifacts(hfPlan.repo).flatMap((a) => (a.blob_id ? [a.blob_id] : [])) }
        : null;
    const needed = await this.bytesToFetch(hfPlan);
    return { name: hfPlan.repo, params: { request: body, plan: hfPlan, replaces } satisfies HfInstallParams, download: { bytes: needed, dir: this.deps.hfHubCache() } };
  }

  /** Runs the download; an operation resumed without a stored plan resolves it first and saves it. */
  async install(_name: string, params: HfInstallParams, ctx: OperationContext, host: ManifestHost): Promise<string> {
    const plan = params.plan ?? (await this.resolve(params.request, ctx.signal)).hfPlan;
    if (!params.plan) ctx.saveParams({ ...params, plan });
    return this.download(ctx, host, plan, params.replaces ?? null);
  }

  /** Removes every snapshot of the repo (the revisions kept after updates are this model's too). */
  async remove(model: ModelRecord, ctx: OperationContext): Promise<string> {
    const cache = this.deps.hfHubCache();
    ctx.report({ message: `Removing ${model.name} from the Hugging Face cache…`, progress: 10 });
    const commits = await snapshotCommits(cache, model.name);
    let freed = 0;
    for (const commit of commits) freed += await deleteSnapshot(cache, model.name, commit);
    await rm(repoDir(cache, model.name), { recursive: true, force: true });
    return `Removed ${model.name} (${commits.length > 1 ? `${commits.length} revisions, ` : ''}${formatBytes(freed)} freed).`;
  }

  /** Models already in the HF cache at refs/main become installed, not downloaded again. */
  async discover(host: ManifestHost): Promise<void> {
    const cache = this.deps.hfHubCache();
    let changed = false;
    const found = new Set<string>();
    for (const repo of scanCachedModels(cache)) {
      found.add(repo.repo);
      const existing = host.models.get(repo.repo);
      if (existing && existing.status !== 'removed' && existing.status !== 'missing') continue;
      if (host.busy(repo.repo)) continue;
      const caps = capabilitiesFromHf(readJson(join(repo.snapshot, 'config.json')), readJson(join(repo.snapshot, 'tokenizer_config.json')));
      host.models.save(
        {
          name: repo.repo,
          provider: 'huggingface',
          runtime: 'vllm',
          display_name: repo.repo,
          size_bytes: repo.sizeBytes,
          status: 'installed',
          revision: 'main',
          commit_sha: repo.commit,
          local_path: repo.snapshot,
          source: existing?.source ?? 'discovered',
          capabilities: caps,
          installed_at: existing?.installed_at ?? new Date().toISOString(),
        },
        repo.files.map((f) => ({ path: f.path, size: f.size, sha256: null, blob_id: f.blobId, local_path: f.localPath, status: 'verified' as const })),
      );
      host.models.addValidation(repo.repo, 'files', true, { discovered: true, files: repo.files.length, bytes: repo.sizeBytes });
      changed = true;
    }
    // Installed HF models whose snapshot vanished (deleted by hand, or with the HF CLI).
    for (const m of host.models.list()) {
      if (m.provider !== 'huggingface' || m.status !== 'installed' || found.has(m.name)) continue;
      if (m.local_path && existsSync(m.local_path)) continue;
      host.models.setStatus(m.name, 'missing');
      host.models.addValidation(m.name, 'files', false, { reason: 'snapshot directory is gone', path: m.local_path });
      changed = true;
    }
    if (changed) host.changed();
  }

  private async download(ctx: OperationContext, host: ManifestHost, plan: HfPlan, replaces: ReplacedSnapshot | null): Promise<string> {
    const cache = this.deps.hfHubCache();
    const settings = this.deps.settings.get().downloads;
    const total = plan.files.reduce((a, f) => a + f.size, 0);
    const prior = host.models.get(plan.repo);
    const keepInstalled = prior?.status === 'installed';
    if (!keepInstalled) {
      host.models.save(
        {
          name: plan.repo,
          provider: 'huggingface',
          runtime: 'vllm',
          display_name: plan.repo,
          size_bytes: total,
          status: 'downloading',
          revision: plan.revision,
          commit_sha: plan.commit,
          local_path: snapshotDir(cache, plan.repo, plan.commit),
          source: 'installed',
          capabilities: null,
          installed_at: null,
        },
        plan.files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256, blob_id: blobIdOf(f), local_path: null, status: 'pending' as const })),
      );
      host.changed();
    }
    let done = 0;
    let verified = 0;
    ctx.report({ message: `Downloading ${plan.files.length} files…`, bytesDone: 0, bytesTotal: total });
    try {
      await downloadSnapshot({
        cacheDir: cache,
        repo: plan.repo,
        ref: /^[0-9a-f]{40}$/.test(plan.revision) ? null : plan.revision,
        commit: plan.commit,
        files: plan.files,
        fileUrl: (path) => this.deps.hub.fileUrl(plan.repo, plan.commit, path),
        headers: this.deps.hub.authHeaders(),
        get: this.deps.hub.get,
        parallel: { parts: settings.parallelParts, thresholdBytes: settings.parallelThresholdBytes },
        concurrency: settings.concurrency,
        maxRetries: settings.maxRetries,
        retryBaseMs: this.retryBaseMs,
        signal: ctx.signal,
        onBytes: (delta) => {
          done += delta;
          ctx.report({ bytesDone: done });
        },
        onFileVerified: (file, localPath) => {
          verified += 1;
          if (!keepInstalled) host.models.setArtifactStatus(plan.repo, file.path, 'verified', localPath);
          ctx.report({ message: `${verified} of ${plan.files.length} files downloaded and verified (last: ${file.path})` });
        },
        onRetry: (file, attempt, error, delay) => ctx.report({ message: `Retrying ${file.path} in ${Math.round(delay / 100) / 10}s (attempt ${attempt}): ${errorMessage(error)}` }),
      });
    } catch (error) {
      const reason = cancelReasonOf(ctx.signal);
      if (reason?.kind === 'shutdown') throw error;
      if (reason?.cleanup) await this.deletePartials(cache, plan, prior);
      if (!keepInstalled) {
        if (reason?.cleanup) host.models.delete(plan.repo);
        else host.models.setStatus(plan.repo, 'failed');
        host.changed();
      }
      throw error;
    }
    const snapshot = snapshotDir(cache, plan.repo, plan.commit);
    const caps = capabilitiesFromHf(readJson(join(snapshot, 'config.json')), readJson(join(snapshot, 'tokenizer_config.json')), plan.quantization);
    host.models.save(
      {
        name: plan.repo,
        provider: 'huggingface',
        runtime: 'vllm',
        display_name: plan.repo,
        size_bytes: total,
        status: 'installed',
        revision: plan.revision,
        commit_sha: plan.commit,
        local_path: snapshot,
        source: 'installed',
        capabilities: caps,
        installed_at: new Date().toISOString(),
      },
      plan.files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256, blob_id: blobIdOf(f), local_path: join(snapshot, f.path), status: 'verified' as const })),
    );
    if (plan.gated !== undefined) host.models.setHubGated(plan.repo, plan.gated);
    host.models.addValidation(plan.repo, 'files', true, { commit: plan.commit, files: plan.files.length, bytes: total, verified: 'sha256 (LFS) / git sha1 while streaming' });
    host.changed();
    const pruned = replaces ? ` ${await this.pruneReplaced(host, cache, plan, replaces)}` : '';
    return `Installed ${plan.repo} (${plan.files.length} files, ${formatBytes(total)}).${pruned}`;
  }

  /**
   * After an update: `downloads.keepRevisions` snapshots of the repo stay (the new one first), and so
   * do the pinned one, one a ref other than ours points at, and the replaced one while a runtime is
   * serving the model (it may be reading those files). The others go, with the blobs only they link
   * to. Returns a sentence for the operation's message.
   */
  private async pruneReplaced(host: ManifestHost, cache: string, plan: HfPlan, replaced: ReplacedSnapshot): Promise<string> {
    const short = replaced.commit.slice(0, 8);
    const model = host.models.get(plan.repo);
    const active = model !== null && host.isActive(model);
    // what vLLM may be reading now: the pinned snapshot when there is one, else the one replaced
    const served = active ? (model?.pinned_revision ?? replaced.commit) : null;
    const protect = [plan.commit, ...(model?.pinned_revision ? [model.pinned_revision] : []), ...(served ? [served] : [])];
    const keep = this.deps.settings.get().downloads.keepRevisions;
    try {
      const result = await pruneSnapshots(cache, plan.repo, { keep, protect, partials: { [replaced.commit]: replaced.blobs } });
      const others = result.removed.filter((c) => c !== replaced.commit);
      const also = others.length ? ` Older snapshot${others.length > 1 ? 's' : ''} ${others.map((c) => c.slice(0, 8)).join(', ')} removed too.` : '';
      if (result.removed.includes(replaced.commit)) return `The previous snapshot ${short} was removed (${formatBytes(result.freedBytes)} freed).${also}`;
      if (served === replaced.commit && !model?.pinned_revision) return `The previous snapshot ${short} was kept: ${plan.repo} is being served from it.${also}`;
      const refs = await refsTo(cache, plan.repo, replaced.commit);
      if (refs.length) return `The previous snapshot ${short} was kept: ${refs.map((r) => `refs/${r}`).join(', ')} still points at it.${also}`;
      return `The previous snapshot ${short} was kept (${result.kept.length} of ${plan.repo}'s revisions stay, downloads.keepRevisions = ${keep}${model?.pinned_revision === replaced.commit ? '; it is pinned' : ''}).${also}`;
    } catch (error) {
      this.deps.logger.warn({ error, repo: plan.repo, commit: replaced.commit }, 'could not prune old snapshots');
      return `Old snapshots could not be removed: ${errorMessage(error)}.`;
    }
  }

  private async resolve(request: InstallRequest, signal?: AbortSignal): Promise<{ hfPlan: HfPlan; gated: boolean; quantizations: string[] }> {
    const revision = request.revision ?? 'main';
    const resolved = await this.deps.hub.resolve(request.name, revision, signal);
    if (resolved.gated) {
      const probe = resolved.files.find((f) => f.path === 'config.json') ?? resolved.files[0];
      if (probe) await this.deps.hub.checkAccess(resolved.repo, resolved.commit, probe.path, signal);
    }
    // vLLM loads only the shards the index names: read it (a few KiB) so a duplicate beside them is skipped
    const index = !request.files?.length && resolved.files.some((f) => f.path === 'model.safetensors.index.json')
      ? indexedShards(await this.deps.hub.readJson(resolved.repo, resolved.commit, 'model.safetensors.index.json', signal))
      : null;
    let selection;
    try {
      selection = selectFiles(resolved.files, { files: request.files, quantization: request.quantization, indexedShards: index });
    } catch (error) {
      if (error instanceof SelectionError) throw new AppError('bad_request', `${request.name}: ${error.message}`);
      throw error;
    }
    if (selection.files.length === 0) throw new AppError('bad_request', `${request.name} has no weights vLLM can load (no safetensors, GGUF or .bin files).`);
    if (index) {
      const listed = new Set(resolved.files.map((f) => f.path));
      const missing = [...index].filter((p) => !listed.has(p));
      if (missing.length) throw new AppError('unsupported_model', `${request.name}'s safetensors index names shards the repo does not hold (${missing.slice(0, 3).join(', ')}); vLLM could not load it. Pick another revision or repo.`);
    }
    return { hfPlan: { repo: resolved.repo, gated: resolved.gated, revision, commit: resolved.commit, files: selection.files, quantization: selection.quantization }, gated: resolved.gated, quantizations: selection.quantizations };
  }

  /** Bytes still to fetch: files not in `blobs/`, minus what unfinished downloads of them already hold. */
  private async bytesToFetch(plan: HfPlan): Promise<number> {
    const cache = this.deps.hfHubCache();
    let needed = 0;
    for (const f of plan.files) {
      const blob = blobPath(cache, plan.repo, blobIdOf(f));
      if (existsSync(blob)) continue;
      const partial = await bytesAlreadyFetched(blob);
      needed += Math.max(0, f.size - Math.min(partial, f.size));
    }
    return needed;
  }

  private missingFiles(plan: HfPlan): SnapshotFile[] {
    const snapshot = snapshotDir(this.deps.hfHubCache(), plan.repo, plan.commit);
    return plan.files.filter((f) => !existsSync(join(snapshot, f.path)));
  }

  /**
   * Cancel with cleanup: the partial files go, and so does the new snapshot with the blobs only it
   * links to (files already verified) — unless it is the installed one or a ref points at it.
   */
  private async deletePartials(cache: string, plan: HfPlan, prior: ModelRecord | null): Promise<void> {
    for (const f of plan.files) if (isBlobId(blobIdOf(f))) for (const file of partialFilesOf(blobPath(cache, plan.repo, blobIdOf(f)))) await unlink(file).catch(() => {});
    if (prior?.status === 'installed' && prior.commit_sha === plan.commit) return;
    if ((await refsTo(cache, plan.repo, plan.commit)).length > 0) return;
    await deleteSnapshot(cache, plan.repo, plan.commit);
    await removeRepoIfEmpty(cache, plan.repo);
  }
}

function readJson(file: string): Record<string, unknown> | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}
