export const coreMigration = {
  version: 1,
  name: 'core',
  sql: `
    CREATE TABLE settings (
      grp        TEXT PRIMARY KEY,
      value      TEXT NOT NULL,
      updated_at TEXT NOT NULL
    );

    -- Key/value state the core keeps across restarts (active runtime, last model per runtime, …).
    CREATE TABLE app_state (
      key        TEXT PRIMARY KEY,
      value      TEXT NOT NULL,
      updated_at TEXT NOT NULL
    );

    -- One row per runtime process Switchyard spawned; used to find orphans after a crash of Switchyard.
    CREATE TABLE runtime_processes (
      id           INTEGER PRIMARY KEY AUTOINCREMENT,
      runtime      TEXT NOT NULL,
      pid          INTEGER NOT NULL,
      pgid         INTEGER NOT NULL,
      proc_start   TEXT,            -- /proc/<pid>/stat starttime: tells a live process from a reused pid
      command      TEXT NOT NULL,   -- JSON array: binary + args
      host         TEXT NOT NULL,
      port         INTEGER NOT NULL,
      model        TEXT,
      log_path     TEXT NOT NULL,
      status       TEXT NOT NULL CHECK (status IN ('running', 'exited')),
      started_at   TEXT NOT NULL,
      exited_at    TEXT,
      exit_code    INTEGER,
      exit_signal  TEXT,
      exit_reason  TEXT
    );
    CREATE INDEX runtime_processes_running ON runtime_processes (status, runtime);
  `,
};
