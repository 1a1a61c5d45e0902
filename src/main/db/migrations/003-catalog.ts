export const catalogMigration = {
  version: 3,
  name: 'catalog',
  sql: `
    -- Every remote catalog answer (search page, trending, library, news), with its fetch time.
    CREATE TABLE catalog_cache (
      key           TEXT PRIMARY KEY,
      payload       TEXT NOT NULL,   -- JSON, validated by a zod schema when read back
      fetched_at    TEXT NOT NULL,
      last_error    TEXT,
      last_error_at TEXT
    );

    -- Every model the catalog has seen (bundled or fetched): the local search index.
    CREATE TABLE catalog_models (
      id             INTEGER PRIMARY KEY,
      provider       TEXT NOT NULL CHECK (provider IN ('huggingface', 'ollama')),
      model_name     TEXT NOT NULL,
      display_name   TEXT NOT NULL,
      runtime        TEXT NOT NULL CHECK (runtime IN ('vllm', 'ollama')),
      size_gb        REAL,
      parameters_b   REAL,
      min_vram_gib   REAL,            -- one-GPU need at the minimum context: the "fits my GPU" prefilter
      downloads      INTEGER,
      likes          INTEGER,
      vllm_supported INTEGER,
      tags           TEXT NOT NULL,   -- JSON array
      description    TEXT,
      shape          TEXT NOT NULL,   -- JSON ModelShape for the fit estimate
      origin         TEXT NOT NULL CHECK (origin IN ('bundled', 'remote')),
      updated_at     TEXT NOT NULL,
      UNIQUE (provider, model_name)
    );
    CREATE INDEX catalog_models_downloads ON catalog_models (downloads DESC);

    CREATE VIRTUAL TABLE catalog_fts USING fts5(
      model_name, display_name, tags, description,
      content = 'catalog_models', content_rowid = 'id',
      tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER catalog_models_ai AFTER INSERT ON catalog_models BEGIN
      INSERT INTO catalog_fts (rowid, model_name, display_name, tags, description)
      VALUES (new.id, new.model_name, new.display_name, new.tags, coalesce(new.description, ''));
    END;
    CREATE TRIGGER catalog_models_ad AFTER DELETE ON catalog_models BEGIN
      INSERT INTO catalog_fts (catalog_fts, rowid, model_name, display_name, tags, description)
      VALUES ('delete', old.id, old.model_name, old.display_name, old.tags, coalesce(old.description, ''));
    END;
    CREATE TRIGGER catalog_models_au AFTER UPDATE ON catalog_models BEGIN
      INSERT INTO catalog_fts (catalog_fts, rowid, model_name, display_name, tags, description)
      VALUES ('delete', old.id, old.model_name, old.display_name, old.tags, coalesce(old.description, ''));
      INSERT INTO catalog_fts (rowid, model_name, display_name, tags, description)
      VALUES (new.id, new.model_name, new.display_name, new.tags, coalesce(new.description, ''));
    END;
  `,
};
