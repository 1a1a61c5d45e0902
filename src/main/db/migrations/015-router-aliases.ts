/** The router's aliases (issue 30): a short name for a route (`fast` → `openai/gpt-4o-mini`). */
export const routerAliasesMigration = {
  version: 15,
  name: 'router-aliases',
  sql: `
    CREATE TABLE router_aliases (
      alias      TEXT PRIMARY KEY,
      target     TEXT NOT NULL,
      created_at TEXT NOT NULL
    );
  `,
};
