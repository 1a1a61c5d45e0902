/** The chat playground (issue 14): conversations with their settings, and their messages. */
export const chatMigration = {
  version: 7,
  name: 'chat',
  sql: `
    CREATE TABLE chat_conversations (
      id            INTEGER PRIMARY KEY,
      title         TEXT NOT NULL,
      model         TEXT,
      system_prompt TEXT NOT NULL DEFAULT '',
      temperature   REAL NOT NULL DEFAULT 0.7,
      max_tokens    INTEGER,
      created_at    TEXT NOT NULL,
      updated_at    TEXT NOT NULL
    );
    CREATE TABLE chat_messages (
      id                INTEGER PRIMARY KEY,
      conversation_id   INTEGER NOT NULL REFERENCES chat_conversations (id) ON DELETE CASCADE,
      role              TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
      content           TEXT NOT NULL,
      model             TEXT,
      created_at        TEXT NOT NULL,
      ttft_ms           REAL,
      tokens_per_s      REAL,
      completion_tokens INTEGER,
      stopped           INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX chat_messages_conversation ON chat_messages (conversation_id, id);
    CREATE INDEX chat_conversations_updated ON chat_conversations (updated_at DESC);
  `,
};
