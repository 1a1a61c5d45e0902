import type { ChatMessage, Conversation, ConversationPatch, NewMessage } from '../../shared/api/chat';
import { AppError } from '../../shared/errors';
import type { Db } from '../db/database';

interface ConversationRow extends Omit<Conversation, 'message_count'> {
  message_count: number;
}
interface MessageRow extends Omit<ChatMessage, 'stopped'> {
  stopped: number;
}

export const NEW_CONVERSATION_TITLE = 'New chat';
const TITLE_CHARS = 60;

/** A conversation's title from its first question: its first line, cut at a word. */
export function titleFrom(text: string): string {
  const line = text.trim().split('\n')[0]!.replace(/\s+/g, ' ');
  if (line.length <= TITLE_CHARS) return line || NEW_CONVERSATION_TITLE;
  const cut = line.slice(0, TITLE_CHARS);
  return `${cut.slice(0, cut.lastIndexOf(' ') > 20 ? cut.lastIndexOf(' ') : TITLE_CHARS)}…`;
}

/** `chat_conversations` and `chat_messages`: the playground's history. */
export class ChatRepo {
  private readonly listStmt;
  private readonly getStmt;
  private readonly insertStmt;
  private readonly deleteStmt;
  private readonly messagesStmt;
  private readonly insertMessageStmt;
  private readonly getMessageStmt;
  private readonly touchStmt;
  private readonly truncateStmt;
  readonly addMessage: (id: number, message: NewMessage, now: string) => { conversation: Conversation; message: ChatMessage };

  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {
    const select = `SELECT c.*, (SELECT count(*) FROM chat_messages m WHERE m.conversation_id = c.id) AS message_count FROM chat_conversations c`;
    this.listStmt = db.prepare<[number], ConversationRow>(`${select} ORDER BY c.updated_at DESC, c.id DESC LIMIT ?`);
    this.getStmt = db.prepare<[number], ConversationRow>(`${select} WHERE c.id = ?`);
    this.insertStmt = db.prepare(
      `INSERT INTO chat_conversations (title, model, system_prompt, temperature, max_tokens, created_at, updated_at)
       VALUES (@title, @model, @system_prompt, @temperature, @max_tokens, @now, @now)`,
    );
    this.deleteStmt = db.prepare<[number]>('DELETE FROM chat_conversations WHERE id = ?');
    this.messagesStmt = db.prepare<[number], MessageRow>('SELECT * FROM chat_messages WHERE conversation_id = ? ORDER BY id');
    this.insertMessageStmt = db.prepare(
      `INSERT INTO chat_messages (conversation_id, role, content, model, created_at, ttft_ms, tokens_per_s, completion_tokens, stopped)
       VALUES (@conversation_id, @role, @content, @model, @created_at, @ttft_ms, @tokens_per_s, @completion_tokens, @stopped)`,
    );
    this.getMessageStmt = db.prepare<[number | bigint], MessageRow>('SELECT * FROM chat_messages WHERE id = ?');
    this.truncateStmt = db.prepare<[number, number]>('DELETE FROM chat_messages WHERE conversation_id = ? AND id >= ?');
    this.touchStmt = db.prepare<[string, string | null, number]>('UPDATE chat_conversations SET updated_at = ?, title = coalesce(?, title) WHERE id = ?');
    // the message and the conversation's new title and time land together, or not at all
    this.addMessage = db.transaction((id: number, m: NewMessage, now: string) => {
      const conversation = this.require(id);
      const info = this.insertMessageStmt.run({
        conversation_id: id,
        role: m.role,
        content: m.content,
        model: m.model ?? null,
        created_at: now,
        ttft_ms: m.ttft_ms ?? null,
        tokens_per_s: m.tokens_per_s ?? null,
        completion_tokens: m.completion_tokens ?? null,
        stopped: m.stopped ? 1 : 0,
      });
      const retitle = m.role === 'user' && conversation.message_count === 0 && conversation.title === NEW_CONVERSATION_TITLE ? titleFrom(m.content) : null;
      this.touchStmt.run(now, retitle, id);
      return { conversation: this.require(id), message: toMessage(this.getMessageStmt.get(info.lastInsertRowid)!) };
    });
  }

  list(limit = 200): Conversation[] {
    return this.listStmt.all(limit);
  }

  get(id: number): Conversation | null {
    return this.getStmt.get(id) ?? null;
  }

  require(id: number): Conversation {
    const c = this.get(id);
    if (!c) throw new AppError('not_found', `No conversation ${id}: it may have been deleted. Start a new chat.`);
    return c;
  }

  create(input: ConversationPatch): Conversation {
    const info = this.insertStmt.run({
      title: input.title ?? NEW_CONVERSATION_TITLE,
      model: input.model ?? null,
      system_prompt: input.system_prompt ?? '',
      temperature: input.temperature ?? 0.7,
      max_tokens: input.max_tokens ?? null,
      now: this.now().toISOString(),
    });
    return this.require(Number(info.lastInsertRowid));
  }

  update(id: number, patch: ConversationPatch): Conversation {
    this.require(id);
    const sets = Object.entries(patch).filter(([, v]) => v !== undefined);
    if (sets.length) {
      // column names come from the zod-checked patch's keys only
      const sql = `UPDATE chat_conversations SET ${sets.map(([k]) => `${k} = @${k}`).join(', ')}, updated_at = @now WHERE id = @id`;
      this.db.prepare(sql).run({ ...Object.fromEntries(sets), now: this.now().toISOString(), id });
    }
    return this.require(id);
  }

  delete(id: number): void {
    this.require(id);
    this.deleteStmt.run(id);
  }

  messages(id: number): ChatMessage[] {
    this.require(id);
    return this.messagesStmt.all(id).map(toMessage);
  }

  /** Removes a message and every later one in its conversation: the history a regenerate or an edit resends. */
  truncateFrom(id: number, messageId: number): { conversation: Conversation; messages: ChatMessage[] } {
    this.require(id);
    const message = this.getMessageStmt.get(messageId);
    if (!message || message.conversation_id !== id) throw new AppError('not_found', `Conversation ${id} has no message ${messageId}: reload the conversation.`);
    this.db.transaction(() => {
      this.truncateStmt.run(id, messageId);
      this.touchStmt.run(this.now().toISOString(), null, id);
    })();
    return { conversation: this.require(id), messages: this.messages(id) };
  }

  append(id: number, message: NewMessage): { conversation: Conversation; message: ChatMessage } {
    return this.addMessage(id, message, this.now().toISOString());
  }
}

function toMessage(row: MessageRow): ChatMessage {
  return { ...row, stopped: row.stopped === 1 };
}
