import type Database from 'better-sqlite3';
import type { Migration } from './index';

/**
 * `models.provider` and `models.runtime` lose their CHECK (huggingface/ollama, vllm/ollama): SQLite
 * cannot widen a CHECK in place, and a third local kind would need this rebuild again. Their values
 * are validated with zod where rows are written and read (models-repo.ts) instead.
 *
 * The table is rebuilt from its own stored definition minus those two clauses, so every column any
 * earlier migration added (`runtime_flags`, …) comes along, and its indexes and triggers are created
 * again. `model_artifacts` points at `models`: foreign keys are off for the rebuild (see migrate.ts).
 */
export const modelsOpenKindsMigration: Migration = {
  version: 13,
  name: 'models-open-kinds',
  rebuildsTables: true,
  up(db: Database.Database) {
    const table = db.prepare<[], { sql: string }>(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'models'`).get();
    if (!table) throw new Error('migration 13: the models table is missing');
    const attached = db.prepare<[], { sql: string }>(`SELECT sql FROM sqlite_master WHERE tbl_name = 'models' AND type IN ('index', 'trigger') AND sql IS NOT NULL`).all();
    const open = table.sql
      .replace(/\s+CHECK\s*\(\s*(provider|runtime)\s+IN\s*\([^)]*\)\s*\)/gi, '')
      .replace(/^CREATE TABLE\s+"?models"?/i, 'CREATE TABLE models_rebuilt');
    db.exec(open);
    db.exec('INSERT INTO models_rebuilt SELECT * FROM models');
    db.exec('DROP TABLE models');
    db.exec('ALTER TABLE models_rebuilt RENAME TO models');
    for (const { sql } of attached) db.exec(sql);
  },
};
