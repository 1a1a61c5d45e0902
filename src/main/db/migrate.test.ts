import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../../shared/errors';
import { ModelsRepo, type NewArtifact } from '../models/models-repo';
import { openDatabase, type Db } from './database';
import { migrate } from './migrate';
import { migrations, type Migration } from './migrations/index';
import { tempDir } from '../../../test/support/temp';

const REBUILD = 13;
const before = migrations.filter((m) => m.version < REBUILD);
const file = () => join(tempDir('migrate-'), 'switchyard.db');

const artifact = (path: string, size: number): NewArtifact => ({ path, size, sha256: 'a'.repeat(64), blob_id: `blob-${path}`, local_path: `/cache/${path}`, status: 'verified' });
const base = { display_name: 'm', size_bytes: 1, status: 'installed' as const, revision: 'main', commit_sha: null, local_path: null, source: 'installed' as const, capabilities: null, installed_at: null };

/**
 * A database as the version before the rebuild left it: models, their artifacts, validations, flags.
 * Written in SQL, as that version's code did: today's repository prepares statements for columns a
 * later migration adds.
 */
function oldDatabase(path: string): void {
  const db = openDatabase(path, { migrations: before });
  const now = new Date().toISOString();
  const model = db.prepare(
    `INSERT INTO models (name, provider, runtime, display_name, size_bytes, status, revision, commit_sha, local_path, source, capabilities, installed_at, updated_at)
     VALUES (@name, @provider, @runtime, @display_name, @size_bytes, @status, @revision, @commit_sha, @local_path, @source, @capabilities, @installed_at, @now)`,
  );
  const file = db.prepare(
    `INSERT INTO model_artifacts (model_name, path, size, sha256, blob_id, local_path, status, updated_at) VALUES (@model_name, @path, @size, @sha256, @blob_id, @local_path, @status, @now)`,
  );
  const validation = db.prepare('INSERT INTO model_validations (model_name, kind, ok, details, created_at) VALUES (?, ?, ?, ?, ?)');
  const save = (m: { name: string; provider: string; runtime: string }, artifacts: NewArtifact[]) => {
    model.run({ ...base, ...m, now });
    for (const a of artifacts) file.run({ ...a, model_name: m.name, now });
  };
  save({ name: 'Qwen/Qwen3-0.6B', provider: 'huggingface', runtime: 'vllm' }, [artifact('config.json', 700), artifact('model.safetensors', 1_200_000_000), artifact('tokenizer.json', 11_000)]);
  save({ name: 'llama3.2:latest', provider: 'ollama', runtime: 'ollama' }, [artifact('manifest', 500), artifact('sha256-model', 2_000_000_000)]);
  db.prepare('UPDATE models SET runtime_flags = ? WHERE name = ?').run(JSON.stringify({ max_model_len: 4096 }), 'Qwen/Qwen3-0.6B');
  validation.run('Qwen/Qwen3-0.6B', 'files', 1, JSON.stringify({ files: 3 }), now);
  validation.run('llama3.2:latest', 'activation', 1, JSON.stringify({ load_ms: 10 }), now);
  db.close();
}

const rows = (db: Db, table: string) => db.prepare(`SELECT * FROM ${table} ORDER BY 1`).all();

describe('migrations that rebuild a table', () => {
  it('opens models to a third provider and runtime, keeping every artifact, validation and flag of an old database', () => {
    const path = file();
    oldDatabase(path);
    const old = openDatabase(path, { migrations: before });
    const [models, artifacts, validations] = ['models', 'model_artifacts', 'model_validations'].map((t) => rows(old, t));
    old.close();
    expect(artifacts).toHaveLength(5);

    const db = openDatabase(path);
    // every column the old rows had, unchanged (later migrations add columns of their own)
    const columns = Object.keys(models?.[0] ?? {});
    expect(rows(db, 'models').map((r) => Object.fromEntries(columns.map((c) => [c, (r as Record<string, unknown>)[c]])))).toEqual(models);
    expect(rows(db, 'model_artifacts')).toEqual(artifacts);
    expect(rows(db, 'model_validations')).toEqual(validations);
    expect(db.prepare('SELECT version FROM schema_migrations WHERE version = ?').pluck().get(REBUILD)).toBe(REBUILD);
    expect(new ModelsRepo(db).get('Qwen/Qwen3-0.6B')?.runtime_flags).toEqual({ max_model_len: 4096 });

    // the CHECK is gone: the table takes a kind it did not know, which the repository (told by the
    // core's drivers which kinds there are) leaves out of lists and refuses to write
    db.prepare(`INSERT INTO models (name, provider, runtime, display_name, status, updated_at) VALUES ('x', 'llamacpp', 'llamacpp', 'x', 'installed', 'now')`).run();
    const knows = (k: { provider: string; runtime: string }) => (k.provider === 'huggingface' && k.runtime === 'vllm') || (k.provider === 'ollama' && k.runtime === 'ollama');
    expect(new ModelsRepo(db, knows).list().map((m) => m.name)).toEqual(['Qwen/Qwen3-0.6B', 'llama3.2:latest']);
    expect(() => new ModelsRepo(db, knows).save({ ...base, name: 'y', provider: 'llamacpp', runtime: 'vllm' })).toThrow(/not a kind of local model/);

    // foreign keys are on again and still point at the rebuilt table
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(() => db.prepare(`INSERT INTO model_artifacts (model_name, path, size, status, updated_at) VALUES ('nobody', 'f', 1, 'pending', 'now')`).run()).toThrow(/FOREIGN KEY/);
    new ModelsRepo(db).delete('llama3.2:latest');
    expect(rows(db, 'model_artifacts')).toHaveLength(3);
    db.close();
  });

  it('needs foreign keys off: the same rebuild with them on would cascade-delete every artifact', () => {
    const path = file();
    oldDatabase(path);
    const db = openDatabase(path, { migrations: before });
    const rebuild = migrations.find((m) => m.version === REBUILD)!;
    migrate(db, [...before, { ...rebuild, rebuildsTables: false }]);
    expect(rows(db, 'models')).toHaveLength(2);
    expect(rows(db, 'model_artifacts')).toHaveLength(0);
    db.close();
  });

  it('refuses a rebuild that would leave dangling rows: rolled back, said clearly, foreign keys on again', () => {
    const path = file();
    oldDatabase(path);
    const db = openDatabase(path, { migrations: before });
    // a faulty rebuild: the new table forgets one model, whose artifacts would then point at nothing
    const faulty: Migration = {
      version: 99,
      name: 'faulty-rebuild',
      rebuildsTables: true,
      sql: `CREATE TABLE models_new (name TEXT PRIMARY KEY, provider TEXT NOT NULL);
            INSERT INTO models_new SELECT name, provider FROM models WHERE provider = 'huggingface';
            DROP TABLE models;
            ALTER TABLE models_new RENAME TO models;`,
    };
    let error: unknown;
    try {
      migrate(db, [...before, faulty]);
    } catch (e) {
      error = e;
    }
    expect(isAppError(error) && error.code, String(error)).toBe('internal_error');
    expect((error as Error).message).toMatch(/migration 99 \(faulty-rebuild\) was not applied: it would leave 2 row\(s\) pointing at rows that no longer exist \(model_artifacts → models\)\. The database is unchanged/);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(rows(db, 'models')).toHaveLength(2);
    expect(rows(db, 'model_artifacts')).toHaveLength(5);
    expect(db.prepare('SELECT COUNT(*) FROM schema_migrations WHERE version = 99').pluck().get()).toBe(0);
    db.close();
  });

  it('names the migration that failed and says the database is unchanged', () => {
    const db = openDatabase(':memory:', { migrations: before });
    const broken: Migration = { version: 98, name: 'broken', sql: 'CREATE TABLE t (a); INSERT INTO nowhere VALUES (1);' };
    expect(() => migrate(db, [...before, broken])).toThrow(/^Database migration 98 \(broken\) failed: no such table: nowhere\. The database is unchanged/);
    expect(db.prepare(`SELECT COUNT(*) FROM sqlite_master WHERE name = 't'`).pluck().get()).toBe(0);
    db.close();
  });
});
