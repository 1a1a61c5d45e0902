import type { Migration } from './index';

/**
 * The model library (issue 29): an imported model remembers the file or folder it came from
 * (`import_path`; `source` is then 'local'), and a Hub model may be pinned to one snapshot
 * (`pinned_revision`, a commit): vLLM serves that one whatever an update installs. `hub_gated` keeps
 * what the Hub said about the repo at install (1 gated, 0 public, null unknown) for offline exports.
 */
export const modelLibraryMigration: Migration = {
  version: 17,
  name: 'model-library',
  sql: `
    ALTER TABLE models ADD COLUMN import_path TEXT;
    ALTER TABLE models ADD COLUMN pinned_revision TEXT;
    ALTER TABLE models ADD COLUMN hub_gated INTEGER;
  `,
};
