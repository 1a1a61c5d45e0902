/**
 * Models manifest, their artifacts (files) apart from the model record (seed VANESSA), append-only
 * validation history, and persisted install/remove operations. Artifact rows double as the resume
 * state of an interrupted Hugging Face install: the plan (commit, files, hashes) lives here, the
 * bytes in `blobs/<hash>.incomplete`.
 */
export const modelsMigration = {
  version: 2,
  name: 'models',
  sql: `
    CREATE TABLE models (
      name                  TEXT PRIMARY KEY,
      provider              TEXT NOT NULL CHECK (provider IN ('huggingface', 'ollama')),
      runtime               TEXT NOT NULL CHECK (runtime IN ('vllm', 'ollama')),
      display_name          TEXT NOT NULL,
      size_bytes            INTEGER NOT NULL DEFAULT 0,
      status                TEXT NOT NULL,
      revision              TEXT,
      commit_sha            TEXT,
      local_path            TEXT,
      source                TEXT NOT NULL DEFAULT 'installed',
      capabilities          TEXT,            -- JSON, detected
      capabilities_override TEXT,            -- JSON, edited by the user
      installed_at          TEXT,
      last_used             TEXT,
      updated_at            TEXT NOT NULL
    );

    CREATE TABLE model_artifacts (
      id          INTEGER PRIMARY KEY AUTOINCREMENT,
      model_name  TEXT NOT NULL REFERENCES models(name) ON DELETE CASCADE,
      path        TEXT NOT NULL,             -- path inside the repo / snapshot
      size        INTEGER NOT NULL,
      sha256      TEXT,                      -- LFS sha256 (verified while streaming)
      blob_id     TEXT,                      -- blob file name in the HF cache (sha256 or git sha1), or Ollama digest
      local_path  TEXT,
      status      TEXT NOT NULL CHECK (status IN ('pending', 'verified', 'missing')),
      updated_at  TEXT NOT NULL,
      UNIQUE (model_name, path)
    );

    CREATE TABLE model_validations (
      id          INTEGER PRIMARY KEY AUTOINCREMENT,
      model_name  TEXT NOT NULL,
      kind        TEXT NOT NULL,             -- 'files' (presence + hashes); later 'runtime'
      ok          INTEGER NOT NULL,
      details     TEXT NOT NULL,             -- JSON
      created_at  TEXT NOT NULL
    );
    CREATE INDEX model_validations_model ON model_validations (model_name, id);

    CREATE TABLE operations (
      id             TEXT PRIMARY KEY,
      model_name     TEXT NOT NULL,
      operation_type TEXT NOT NULL CHECK (operation_type IN ('install', 'remove')),
      provider       TEXT NOT NULL,
      runtime        TEXT NOT NULL,
      status         TEXT NOT NULL CHECK (status IN ('pending', 'in_progress', 'completed', 'failed', 'cancelled')),
      progress       REAL NOT NULL DEFAULT 0,
      message        TEXT NOT NULL DEFAULT '',
      error_code     TEXT,
      error_message  TEXT,
      bytes_done     INTEGER NOT NULL DEFAULT 0,
      bytes_total    INTEGER,
      params         TEXT NOT NULL,          -- JSON: the install request and, once resolved, the plan
      created_at     TEXT NOT NULL,
      started_at     TEXT,
      updated_at     TEXT NOT NULL,
      finished_at    TEXT
    );
    CREATE INDEX operations_created ON operations (created_at);
    CREATE INDEX operations_open ON operations (status) WHERE status IN ('pending', 'in_progress');
  `,
};
