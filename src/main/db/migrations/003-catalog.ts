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
      facets         TEXT NOT NULL DEFAULT '',  -- filter tokens for the FTS index (source, runtime, size/VRAM buckets)
      origin         TEXT NOT NULL CHECK (origin IN ('bundled', 'remote')),
      updated_at     TEXT NOT NULL,
      UNIQUE (provider, model_name)
    );
    -- Covering index for filtered lists: popularity order and every filter column, so a filtered page or
    -- count reads this narrow index and touches full rows only for the page it returns.
    CREATE INDEX catalog_models_downloads ON catalog_models (downloads DESC, provider, runtime, size_gb, min_vram_gib);

    -- Full-text index whose rowid is a popularity key: (2^38 - downloads) * 2^24 + id. FTS5 walks
    -- matches in rowid order, so "most downloaded first" stops at LIMIT instead of sorting every match.
    -- Contentless (the text lives in catalog_models); detail=column (no positions: words are matched as
    -- prefixes, never as phrases) still allows the "facets:" column filter that makes filters index terms.
    CREATE VIRTUAL TABLE catalog_fts USING fts5(
      model_name, display_name, tags, description, facets,
      content = '', contentless_delete = 1, detail = column,
      tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3 4'
    );
    CREATE TRIGGER catalog_models_ai AFTER INSERT ON catalog_models BEGIN
      INSERT INTO catalog_fts (rowid, model_name, display_name, tags, description, facets)
      VALUES ((274877906943 - min(coalesce(new.downloads, 0), 274877906943)) * 16777216 + new.id,
              new.model_name, new.display_name, new.tags, coalesce(new.description, ''), new.facets);
    END;
    CREATE TRIGGER catalog_models_ad AFTER DELETE ON catalog_models BEGIN
      DELETE FROM catalog_fts WHERE rowid = (274877906943 - min(coalesce(old.downloads, 0), 274877906943)) * 16777216 + old.id;
    END;
    CREATE TRIGGER catalog_models_au AFTER UPDATE ON catalog_models BEGIN
      DELETE FROM catalog_fts WHERE rowid = (274877906943 - min(coalesce(old.downloads, 0), 274877906943)) * 16777216 + old.id;
      INSERT INTO catalog_fts (rowid, model_name, display_name, tags, description, facets)
      VALUES ((274877906943 - min(coalesce(new.downloads, 0), 274877906943)) * 16777216 + new.id,
              new.model_name, new.display_name, new.tags, coalesce(new.description, ''), new.facets);
    END;
  `,
};
