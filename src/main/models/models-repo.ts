import type { z } from 'zod';
import { ModelProvider, ModelRuntime, RuntimeFlags, type CapabilitiesOverride, type InstalledModel, type ModelArtifact, type ModelCapabilities, type ModelStatus } from '../../shared/api/models';
import { AppError } from '../../shared/errors';
import { ollamaCanonicalName } from '../../shared/model-names';
import type { Db } from '../db/database';

interface ModelRow {
  name: string;
  provider: ModelProvider;
  runtime: ModelRuntime;
  display_name: string;
  size_bytes: number;
  status: ModelStatus;
  revision: string | null;
  commit_sha: string | null;
  local_path: string | null;
  source: 'installed' | 'discovered' | 'local';
  import_path: string | null;
  pinned_revision: string | null;
  hub_gated: number | null;
  capabilities: string | null;
  capabilities_override: string | null;
  installed_at: string | null;
  last_used: string | null;
  runtime_flags: string | null;
  updated_at: string;
}

export type ModelRecord = Omit<InstalledModel, 'capabilities' | 'active' | 'slot' | 'slots' | 'validated' | 'serving' | 'last_test' | 'runtime_flags' | 'import_path_exists' | 'import_path' | 'pinned_revision'> & {
  /** an import's original file or folder */
  import_path?: string | null;
  /** the commit vLLM serves, whatever the installed one is (set through `setPinnedRevision` only) */
  pinned_revision?: string | null;
  /** whether the Hub said the repo is gated when it was installed (null: not known, e.g. found in the cache) */
  hub_gated?: boolean | null;
  capabilities: ModelCapabilities | null;
  capabilities_override: CapabilitiesOverride | null;
  runtime_flags: RuntimeFlags | null;
};

/** What a validation checked: files (presence + hashes), an activation (runtime served it), a test chat. */
export type ValidationKind = 'files' | 'activation' | 'test';
export interface ValidationRecord {
  kind: string;
  ok: boolean;
  details: unknown;
  created_at: string;
}

export interface NewArtifact {
  path: string;
  size: number;
  sha256: string | null;
  blob_id: string | null;
  local_path: string | null;
  status: ModelArtifact['status'];
}

const parse = <T>(s: string | null): T | null => {
  if (!s) return null;
  try {
    return JSON.parse(s) as T;
  } catch {
    return null;
  }
};

function toRecord(row: ModelRow): ModelRecord {
  const { capabilities, capabilities_override, runtime_flags, hub_gated, updated_at: _u, ...rest } = row;
  return {
    ...rest,
    hub_gated: hub_gated === null || hub_gated === undefined ? null : hub_gated === 1,
    capabilities: parse<ModelCapabilities>(capabilities),
    capabilities_override: parse<CapabilitiesOverride>(capabilities_override),
    runtime_flags: storedFlags(parse<Record<string, unknown>>(runtime_flags)),
  };
}

/**
 * Saved flags checked against today's rules (the vLLM flag table): a value an older version let
 * through and vLLM refuses (`dtype: "fp16"`) is left out, instead of failing every answer that lists
 * the model.
 */
function storedFlags(saved: Record<string, unknown> | null): RuntimeFlags | null {
  if (!saved || typeof saved !== 'object') return null;
  const shape = RuntimeFlags.shape as Record<string, z.ZodType>;
  const kept = Object.entries(saved).filter(([key, value]) => shape[key]?.safeParse(value).success);
  return kept.length ? (Object.fromEntries(kept) as RuntimeFlags) : null;
}

/** A model row's kind: the driver that installed it (provider) and the runtime that serves it. */
export interface ModelKind {
  provider: string;
  runtime: string;
}

/**
 * Provider and runtime are open in the table (migration 13) and in the API (ids). Which kinds this build
 * knows is the driver registry's to say (`knows`, given by the core); without one, any well-formed id.
 */
const wellFormed = (row: ModelKind): boolean => ModelProvider.safeParse(row.provider).success && ModelRuntime.safeParse(row.runtime).success;

export class ModelsRepo {
  private readonly upsertStmt;
  private readonly getStmt;
  private readonly listStmt;
  private readonly setStatusStmt;
  private readonly setCapsStmt;
  private readonly setOverrideStmt;
  private readonly deleteStmt;
  private readonly artifactsStmt;
  private readonly deleteArtifactsStmt;
  private readonly insertArtifactStmt;
  private readonly artifactStatusStmt;
  private readonly blobUsersStmt;
  private readonly insertValidationStmt;
  private readonly validationsStmt;
  private readonly replaceArtifactsTx;
  private readonly setFlagsStmt;
  private readonly touchStmt;
  private readonly latestValidationStmt;
  private readonly setPinStmt;
  private readonly setGatedStmt;

  constructor(
    private readonly db: Db,
    /** whether a driver of this build installs and serves this kind (a newer Switchyard's rows are left out) */
    private readonly knows: (kind: ModelKind) => boolean = () => true,
  ) {
    this.upsertStmt = db.prepare(
      `INSERT INTO models (name, provider, runtime, display_name, size_bytes, status, revision, commit_sha, local_path, source, import_path, capabilities, installed_at, updated_at)
       VALUES (@name, @provider, @runtime, @display_name, @size_bytes, @status, @revision, @commit_sha, @local_path, @source, @import_path, @capabilities, @installed_at, @now)
       ON CONFLICT(name) DO UPDATE SET provider = excluded.provider, runtime = excluded.runtime, display_name = excluded.display_name,
         size_bytes = excluded.size_bytes, status = excluded.status, revision = excluded.revision, commit_sha = excluded.commit_sha,
         local_path = excluded.local_path, source = excluded.source,
         import_path = CASE WHEN excluded.source = 'local' THEN COALESCE(excluded.import_path, models.import_path) END, capabilities = COALESCE(excluded.capabilities, models.capabilities),
         installed_at = COALESCE(excluded.installed_at, models.installed_at), updated_at = excluded.updated_at`,
    );
    this.getStmt = db.prepare<[string], ModelRow>('SELECT * FROM models WHERE name = ?');
    this.listStmt = db.prepare<[], ModelRow>(`SELECT * FROM models WHERE status != 'removed' ORDER BY name`);
    this.setStatusStmt = db.prepare('UPDATE models SET status = @status, updated_at = @now WHERE name = @name');
    this.setCapsStmt = db.prepare('UPDATE models SET capabilities = @caps, updated_at = @now WHERE name = @name');
    this.setOverrideStmt = db.prepare('UPDATE models SET capabilities_override = @override, updated_at = @now WHERE name = @name');
    this.deleteStmt = db.prepare('DELETE FROM models WHERE name = ?');
    this.artifactsStmt = db.prepare<[string], ModelArtifact & { id: number }>('SELECT id, path, size, sha256, blob_id, local_path, status FROM model_artifacts WHERE model_name = ? ORDER BY path');
    this.deleteArtifactsStmt = db.prepare('DELETE FROM model_artifacts WHERE model_name = ?');
    this.insertArtifactStmt = db.prepare(
      `INSERT INTO model_artifacts (model_name, path, size, sha256, blob_id, local_path, status, updated_at)
       VALUES (@model_name, @path, @size, @sha256, @blob_id, @local_path, @status, @now)`,
    );
    this.artifactStatusStmt = db.prepare(
      'UPDATE model_artifacts SET status = @status, local_path = COALESCE(@local_path, local_path), updated_at = @now WHERE model_name = @model_name AND path = @path',
    );
    this.blobUsersStmt = db.prepare<[string, string], { n: number }>(
      `SELECT COUNT(*) AS n FROM model_artifacts a JOIN models m ON m.name = a.model_name
       WHERE a.blob_id = ? AND a.model_name != ? AND m.status != 'removed'`,
    );
    this.insertValidationStmt = db.prepare('INSERT INTO model_validations (model_name, kind, ok, details, created_at) VALUES (?, ?, ?, ?, ?)');
    this.validationsStmt = db.prepare<[string, number], { kind: string; ok: number; details: string; created_at: string }>(
      'SELECT kind, ok, details, created_at FROM model_validations WHERE model_name = ? ORDER BY id DESC LIMIT ?',
    );
    this.setFlagsStmt = db.prepare('UPDATE models SET runtime_flags = @flags, updated_at = @now WHERE name = @name');
    this.setGatedStmt = db.prepare('UPDATE models SET hub_gated = @gated WHERE name = @name');
    this.setPinStmt = db.prepare('UPDATE models SET pinned_revision = @commit, updated_at = @now WHERE name = @name');
    this.touchStmt = db.prepare('UPDATE models SET last_used = @now WHERE name = @name');
    this.latestValidationStmt = db.prepare<[string, string], { kind: string; ok: number; details: string; created_at: string }>(
      'SELECT kind, ok, details, created_at FROM model_validations WHERE model_name = ? AND kind = ? ORDER BY id DESC LIMIT 1',
    );
    this.replaceArtifactsTx = db.transaction((name: string, artifacts: NewArtifact[]) => {
      this.deleteArtifactsStmt.run(name);
      const now = new Date().toISOString();
      for (const a of artifacts) this.insertArtifactStmt.run({ ...a, model_name: name, now });
    });
  }

  get(name: string): ModelRecord | null {
    const row = this.getStmt.get(name);
    return row ? toRecord(row) : null;
  }

  /** By name as given, or as Ollama names it (`llama3.2` → `llama3.2:latest`). */
  find(name: string): ModelRecord | null {
    return this.get(name) ?? this.get(ollamaCanonicalName(name));
  }

  private knownKind(row: ModelKind): boolean {
    return wellFormed(row) && this.knows(row);
  }

  /** A row of a kind this build does not know (written by a newer Switchyard) is left out, not an error for the whole list. */
  list(): ModelRecord[] {
    return this.listStmt.all().filter((row) => this.knownKind(row)).map(toRecord);
  }

  /** Creates or updates a model and replaces its artifacts, in one transaction. */
  save(model: Omit<ModelRecord, 'capabilities_override' | 'last_used' | 'runtime_flags'>, artifacts?: NewArtifact[]): void {
    if (!this.knownKind(model)) throw new AppError('internal_error', `${model.name}: provider "${model.provider}" with runtime "${model.runtime}" is not a kind of local model this version can store.`);
    this.db.transaction(() => {
      this.upsertStmt.run({ ...model, import_path: model.import_path ?? null, capabilities: model.capabilities ? JSON.stringify(model.capabilities) : null, now: new Date().toISOString() });
      if (artifacts) this.replaceArtifactsTx(model.name, artifacts);
    })();
  }

  /** What the Hub said about the repo's gating at install. */
  setHubGated(name: string, gated: boolean): void {
    this.setGatedStmt.run({ name, gated: gated ? 1 : 0 });
  }

  /** Pins a Hub model to a commit (null: serve the installed one). */
  setPinnedRevision(name: string, commit: string | null): void {
    this.setPinStmt.run({ name, commit, now: new Date().toISOString() });
  }

  setStatus(name: string, status: ModelStatus): void {
    this.setStatusStmt.run({ name, status, now: new Date().toISOString() });
  }

  setCapabilities(name: string, caps: ModelCapabilities | null): void {
    this.setCapsStmt.run({ name, caps: caps ? JSON.stringify(caps) : null, now: new Date().toISOString() });
  }

  setOverride(name: string, override: CapabilitiesOverride | null): void {
    this.setOverrideStmt.run({ name, override: override && Object.keys(override).length ? JSON.stringify(override) : null, now: new Date().toISOString() });
  }

  delete(name: string): void {
    this.deleteStmt.run(name);
  }

  artifacts(name: string): ModelArtifact[] {
    return this.artifactsStmt.all(name).map(({ id: _id, ...a }) => a);
  }

  setArtifactStatus(name: string, path: string, status: ModelArtifact['status'], localPath: string | null = null): void {
    this.artifactStatusStmt.run({ model_name: name, path, status, local_path: localPath, now: new Date().toISOString() });
  }

  /** Whether another (not removed) model's artifacts use this blob. */
  blobUsedElsewhere(blobId: string, exceptModel: string): boolean {
    return (this.blobUsersStmt.get(blobId, exceptModel)?.n ?? 0) > 0;
  }

  setRuntimeFlags(name: string, flags: RuntimeFlags | null): void {
    this.setFlagsStmt.run({ name, flags: flags && Object.keys(flags).length ? JSON.stringify(flags) : null, now: new Date().toISOString() });
  }

  touchLastUsed(name: string, at = new Date().toISOString()): void {
    this.touchStmt.run({ name, now: at });
  }

  /** Append-only validation history (seed VANESSA `model_validations`). */
  addValidation(name: string, kind: ValidationKind, ok: boolean, details: unknown): ValidationRecord {
    const created_at = new Date().toISOString();
    this.insertValidationStmt.run(name, kind, ok ? 1 : 0, JSON.stringify(details), created_at);
    return { kind, ok, details, created_at };
  }

  validations(name: string, limit = 20): ValidationRecord[] {
    return this.validationsStmt.all(name, limit).map((v) => ({ ...v, ok: v.ok === 1, details: parse(v.details) }));
  }

  latestValidation(name: string, kind: ValidationKind): ValidationRecord | null {
    const v = this.latestValidationStmt.get(name, kind);
    return v ? { ...v, ok: v.ok === 1, details: parse(v.details) } : null;
  }
}
