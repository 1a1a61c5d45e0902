import type { Migration } from './index';

/**
 * The model library (issue 29): an imported model remembers the file or folder it came from
 * (`import_path`; `source` is then 'local'), and a Hub model may be pinned to one snapshot
 * (`pinned_revision`, a commit): vLLM serves that one whatever an update installs.
 */
export const modelLibraryMigration: Migration = {
  version: 17,
  name: 'model-library',
  sql: `
    ALTER TABLE models ADD COLUMN import_path TEXT;
    ALTER TABLE models ADD COLUMN pinned_revision TEXT;
  `,
};
