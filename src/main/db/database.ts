import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './migrate';
import { migrations, type Migration } from './migrations/index';

export type Db = Database.Database;

/**
 * Opens the manifest DB in WAL mode and applies pending migrations (./migrate.ts), each in its own
 * transaction. Migrations are append-only: a number once shipped is never edited.
 */
export function openDatabase(file: string, options: { migrations?: readonly Migration[] } = {}): Db {
  if (file !== ':memory:') {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    // SQLite gives the -wal and -shm files the mode of the database file: create it 0600 first
    if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
    for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
  }
  const db = new Database(file, { nativeBinding: nativeBindingPath() });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  try {
    migrate(db, options.migrations ?? migrations);
  } catch (error) {
    // a failed migration rolled back; the handle must not stay open (WAL, file lock) behind the error
    db.close();
    throw error;
  }
  return db;
}

/** The data dir holds the token, the secrets and the manifest: only its owner may enter it. */
export function ensurePrivateDir(dir: string, logger?: { info(obj: object, msg: string): void }): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const mode = statSync(dir).mode & 0o777;
  if (mode !== 0o700) {
    chmodSync(dir, 0o700);
    logger?.info({ dir, was: mode.toString(8) }, 'data dir made private (0700)');
  }
}

/**
 * Electron and Node need differently built copies of the native addon (different ABIs).
 * scripts/native.mjs keeps the Electron build in .native/electron; Node uses the default one.
 */
function nativeBindingPath(): string | undefined {
  const override = process.env.SWITCHYARD_SQLITE_BINDING;
  if (override) return override;
  if (!process.versions.electron) return undefined;
  // Built by `node scripts/native.mjs electron` (run by `npm start` / `npm run dev`).
  return process.env.SWITCHYARD_ELECTRON_SQLITE_BINDING ?? join(process.cwd(), '.native', 'electron', 'better_sqlite3.node');
}
