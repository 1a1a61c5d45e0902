/**
 * Activation (issue 5): per-model vLLM flags the user chose, and an index to read a model's latest
 * validation of a kind (files, activation, test) without scanning its whole history.
 */
export const activationMigration = {
  version: 5,
  name: 'activation',
  sql: `
    ALTER TABLE models ADD COLUMN runtime_flags TEXT;   -- JSON RuntimeFlags, edited by the user
    CREATE INDEX model_validations_kind ON model_validations (model_name, kind, id);
  `,
};
