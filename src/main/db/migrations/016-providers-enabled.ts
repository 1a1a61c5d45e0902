/**
 * Enable/disable of remote providers (issue 30): a disabled provider keeps its configuration and
 * history, and the router sends nothing to it. Existing providers stay enabled.
 */
export const providersEnabledMigration = {
  version: 16,
  name: 'providers-enabled',
  sql: `ALTER TABLE remote_providers ADD COLUMN enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1));`,
};
