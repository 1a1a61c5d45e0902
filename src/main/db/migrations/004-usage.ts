export const usageMigration = {
  version: 4,
  name: 'usage',
  sql: `
    -- Daily rollups of the OpenAI-compatible endpoint, one row per UTC day, model and runtime.
    -- Histograms (JSON, log buckets in ms) merge exactly across flushes; the pNN columns are read from them.
    CREATE TABLE usage_daily (
      day               TEXT NOT NULL,             -- YYYY-MM-DD (UTC)
      model             TEXT NOT NULL,
      runtime           TEXT NOT NULL,
      requests          INTEGER NOT NULL DEFAULT 0,
      errors            INTEGER NOT NULL DEFAULT 0,
      prompt_tokens     INTEGER NOT NULL DEFAULT 0,
      completion_tokens INTEGER NOT NULL DEFAULT 0,
      latency_hist      TEXT NOT NULL DEFAULT '{}',
      ttft_hist         TEXT NOT NULL DEFAULT '{}',
      latency_p50_ms    REAL,
      latency_p95_ms    REAL,
      latency_p99_ms    REAL,
      ttft_p50_ms       REAL,
      ttft_p95_ms       REAL,
      ttft_p99_ms       REAL,
      updated_at        TEXT NOT NULL,
      PRIMARY KEY (day, model, runtime)
    );
    CREATE INDEX usage_daily_day ON usage_daily (day);
  `,
};
