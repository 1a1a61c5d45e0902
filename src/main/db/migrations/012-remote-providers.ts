/**
 * Remote providers (issue 18): cloud APIs and cluster endpoints served behind `/v1`. Their models are keyed
 * by (provider, model id) here, never in `models`, so a remote `Qwen/Qwen3-8B` cannot collide with a local
 * install. API keys are never stored in this database (the secret store holds them); `fingerprint` is a hash
 * of the configuration a validation saw, so a changed base URL, header or key makes it stale.
 */
export const remoteProvidersMigration = {
  version: 12,
  name: 'remote-providers',
  sql: `
    CREATE TABLE remote_providers (
      id          TEXT PRIMARY KEY,
      kind        TEXT NOT NULL CHECK (kind IN ('openai','gemini','anthropic','openai_compatible','kserve')),
      base_url    TEXT NOT NULL,
      headers     TEXT NOT NULL DEFAULT '{}',   -- JSON, non-secret headers only
      governance  TEXT NOT NULL DEFAULT '{}',   -- JSON Governance
      fallback    TEXT,                         -- JSON {provider, model}
      created_at  TEXT NOT NULL,
      updated_at  TEXT NOT NULL
    );

    -- model ids added by hand (endpoints without /models); listed ids live in each validation
    CREATE TABLE remote_models (
      provider_id TEXT NOT NULL REFERENCES remote_providers (id) ON DELETE CASCADE,
      model_id    TEXT NOT NULL,
      added_at    TEXT NOT NULL,
      PRIMARY KEY (provider_id, model_id)
    );

    -- append-only: rows are never changed or deleted, not even when their provider is unregistered;
    -- provider_created_at keeps a provider registered again under the same id from inheriting them
    CREATE TABLE remote_validations (
      id                  INTEGER PRIMARY KEY AUTOINCREMENT,
      provider_id         TEXT NOT NULL,
      provider_created_at TEXT NOT NULL,
      fingerprint         TEXT NOT NULL,
      ok                  INTEGER NOT NULL,
      reason_code         TEXT NOT NULL,
      message             TEXT NOT NULL,
      steps               TEXT NOT NULL,      -- JSON ValidationStep[]
      models              TEXT NOT NULL,      -- JSON string[]
      started_at          TEXT NOT NULL,
      duration_ms         REAL NOT NULL
    );
    CREATE INDEX remote_validations_provider ON remote_validations (provider_id, id);
    CREATE TRIGGER remote_validations_no_update BEFORE UPDATE ON remote_validations
      BEGIN SELECT RAISE(ABORT, 'the validation history is append-only'); END;
    CREATE TRIGGER remote_validations_no_delete BEFORE DELETE ON remote_validations
      BEGIN SELECT RAISE(ABORT, 'the validation history is append-only'); END;

    -- spend and errors per UTC day, provider and model (budgets read the period's sum)
    CREATE TABLE remote_usage_daily (
      day               TEXT NOT NULL,
      provider_id       TEXT NOT NULL,
      model             TEXT NOT NULL,
      requests          INTEGER NOT NULL DEFAULT 0,
      errors            INTEGER NOT NULL DEFAULT 0,
      fallbacks         INTEGER NOT NULL DEFAULT 0,
      prompt_tokens     INTEGER NOT NULL DEFAULT 0,
      completion_tokens INTEGER NOT NULL DEFAULT 0,
      cost_usd          REAL NOT NULL DEFAULT 0,
      errors_by_reason  TEXT NOT NULL DEFAULT '{}',   -- JSON {reason_code: count}
      PRIMARY KEY (day, provider_id, model)
    );
  `,
};
