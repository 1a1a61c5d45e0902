import { AppError, errorMessage, isAppError } from '../../shared/errors';
import type Database from 'better-sqlite3';
import type { Migration } from './migrations/index';

type Db = Database.Database;

interface ForeignKeyViolation {
  table: string;
  rowid: number | null;
  parent: string;
  fkid: number;
}

/**
 * Applies the pending migrations in order, each in its own transaction.
 *
 * A migration that rebuilds a table (`rebuildsTables`) runs with foreign keys off, as SQLite's
 * twelve-step ALTER TABLE procedure asks: with them on, dropping the old table would cascade-delete
 * every row that points at it (a model's artifacts). `PRAGMA foreign_keys` is a no-op inside a
 * transaction, so it is switched around it, and `PRAGMA foreign_key_check` runs before the commit:
 * a rebuild that would leave a dangling reference rolls back whole, and the database stays as it was.
 */
export function migrate(db: Db, list: readonly Migration[]): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const applied = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  for (const m of [...list].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    const apply = db.transaction(() => {
      if (m.sql) db.exec(m.sql);
      m.up?.(db);
      if (m.rebuildsTables) checkForeignKeys(db, m);
      record.run(m.version, m.name, new Date().toISOString());
    });
    if (!m.rebuildsTables) {
      run(m, apply);
      continue;
    }
    const wasOn = db.pragma('foreign_keys', { simple: true }) === 1;
    db.pragma('foreign_keys = OFF');
    try {
      run(m, apply);
    } finally {
      if (wasOn) db.pragma('foreign_keys = ON');
    }
  }
}

/** SQLite's own error ("no such table: x") says nothing of which migration failed or what state is left. */
function run(m: Migration, apply: () => void): void {
  try {
    apply();
  } catch (error) {
    if (isAppError(error)) throw error;
    throw new AppError(
      'internal_error',
      `Database migration ${m.version} (${m.name}) failed: ${errorMessage(error).replace(/\.$/, '')}. The database is unchanged. Keep using the previous version of Switchyard and report this, with a copy of the database file.`,
    );
  }
}

function checkForeignKeys(db: Db, m: Migration): void {
  const violations = db.pragma('foreign_key_check') as ForeignKeyViolation[];
  if (violations.length === 0) return;
  const where = [...new Set(violations.map((v) => `${v.table} → ${v.parent}`))].join(', ');
  throw new AppError(
    'internal_error',
    `Database migration ${m.version} (${m.name}) was not applied: it would leave ${violations.length} row(s) pointing at rows that no longer exist (${where}). ` +
      'The database is unchanged. Keep using the previous version of Switchyard and report this, with a copy of the database file.',
  );
}
