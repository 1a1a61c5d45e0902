import type { StateCreator } from 'zustand';
import type { ChatMessage, Conversation, ConversationPatch } from '../../../shared/api/chat';
import { ApiError } from '../api/client';
import { sy } from '../api/endpoints';
import { streamChat, type ChatTurn } from '../api/chat-stream';
import type { AppStore } from './index';

/** The answer being written, shown as it streams. */
export interface ChatStreaming {
  conversationId: number;
  text: string;
}

/** What `GET /v1/models` lists: the models a conversation may send to. */
export interface ChatModels {
  ids: string[];
  loaded: boolean;
  error: string | null;
}

/** How long a deleted conversation can be brought back before it is deleted for good. */
export const UNDO_MS = 8000;

export interface ChatSlice {
  conversations: Conversation[];
  chatCurrent: Conversation | null;
  chatMessages: ChatMessage[];
  chatStreaming: ChatStreaming | null;
  chatError: string | null;
  chatModels: ChatModels;
  /** a conversation deleted a moment ago, still restorable (Undo) */
  chatDeleted: Conversation | null;
  loadConversations(): Promise<void>;
  loadChatModels(): Promise<void>;
  openConversation(id: number): Promise<void>;
  newConversation(model: string | null): Promise<Conversation>;
  updateConversation(patch: ConversationPatch): Promise<void>;
  /** hides the conversation at once and deletes it after UNDO_MS unless undone */
  deleteConversation(id: number): void;
  undoDeleteConversation(): void;
  /** asks the conversation's model and stores both turns; resolves when the answer is complete or stopped */
  sendChat(text: string): Promise<void>;
  /** drops the last answer and asks again */
  regenerateChat(): Promise<void>;
  /** replaces a question (and everything after it) with `text` and asks again */
  editAndResend(messageId: number, text: string): Promise<void>;
  stopChat(): void;
}

const message = (e: unknown) => (e instanceof ApiError ? e.message : String(e));
let streamController: AbortController | null = null;
let deleteTimer: ReturnType<typeof setTimeout> | null = null;

export const createChatSlice: StateCreator<AppStore, [], [], ChatSlice> = (set, get) => {
  /** the model a conversation's requests name: its own choice, else the first one served */
  const modelOf = (c: Conversation | null): string | null => c?.model ?? get().chatModels.ids[0] ?? null;

  /** streams an answer to the conversation's history as it stands and stores it */
  const answer = async (conversation: Conversation): Promise<void> => {
    const id = conversation.id;
    const model = modelOf(conversation);
    if (!model) {
      set({ chatError: 'No model is served now: activate one under Installed (or Providers), then ask again.' });
      return;
    }
    // a model whose chat template rejects the system role gets no system prompt (the screen says why)
    const systemAllowed = get().installed.find((m) => m.name === model)?.capabilities?.supports_system_role !== false;
    const history: ChatTurn[] = get().chatMessages.map((m) => ({ role: m.role, content: m.content }));
    const system = systemAllowed && conversation.system_prompt.trim() ? [{ role: 'system' as const, content: conversation.system_prompt }] : [];
    const controller = (streamController = new AbortController());
    set({ chatStreaming: { conversationId: id, text: '' }, chatError: null });
    try {
      const r = await streamChat(
        { model, messages: [...system, ...history], temperature: conversation.temperature, max_tokens: conversation.max_tokens },
        controller.signal,
        (textSoFar) => set({ chatStreaming: { conversationId: id, text: textSoFar } }),
      );
      if (r.content || !r.stopped) {
        const saved = await sy.chat.addMessage(id, {
          role: 'assistant',
          content: r.content,
          model,
          ttft_ms: r.ttftMs,
          tokens_per_s: r.tokensPerS,
          completion_tokens: r.completionTokens,
          stopped: r.stopped,
        });
        if (get().chatCurrent?.id === id) set((s) => ({ chatCurrent: saved.conversation, chatMessages: [...s.chatMessages, saved.message] }));
        set((s) => ({ conversations: upsert(s.conversations, saved.conversation) }));
      }
    } catch (e) {
      set({ chatError: message(e) });
    } finally {
      streamController = null;
      set({ chatStreaming: null });
    }
  };

  /** removes `messageId` and every later message, then shows what is left */
  const truncate = async (messageId: number): Promise<Conversation | null> => {
    const current = get().chatCurrent;
    if (!current || get().chatStreaming) return null;
    try {
      const r = await sy.chat.truncateFrom(current.id, messageId);
      set((s) => ({ chatCurrent: r.conversation, chatMessages: r.messages, chatError: null, conversations: s.conversations.map((c) => (c.id === r.conversation.id ? r.conversation : c)) }));
      return r.conversation;
    } catch (e) {
      set({ chatError: message(e) });
      return null;
    }
  };

  const commitDelete = () => {
    const doomed = get().chatDeleted;
    deleteTimer = null;
    if (!doomed) return;
    set({ chatDeleted: null });
    sy.chat.remove(doomed.id).catch((e: unknown) => {
      // not deleted after all: it comes back, with the reason
      set((s) => ({ conversations: upsert(s.conversations, doomed), chatError: `Could not delete “${doomed.title}”: ${message(e)}` }));
    });
  };

  return {
    conversations: [],
    chatCurrent: null,
    chatMessages: [],
    chatStreaming: null,
    chatError: null,
    chatModels: { ids: [], loaded: false, error: null },
    chatDeleted: null,

    async loadConversations() {
      const r = await sy.chat.list();
      const hidden = get().chatDeleted?.id;
      set({ conversations: r.conversations.filter((c) => c.id !== hidden) });
    },

    async loadChatModels() {
      try {
        const r = await sy.chat.models();
        set({ chatModels: { ids: r.data.map((m) => m.id), loaded: true, error: null } });
      } catch (e) {
        set({ chatModels: { ids: [], loaded: true, error: message(e) } });
      }
    },

    async openConversation(id) {
      const r = await sy.chat.get(id);
      set({ chatCurrent: r.conversation, chatMessages: r.messages, chatError: null });
    },

    async newConversation(model) {
      const r = await sy.chat.create({ model });
      set((s) => ({ chatCurrent: r.conversation, chatMessages: [], chatError: null, conversations: [r.conversation, ...s.conversations] }));
      return r.conversation;
    },

    async updateConversation(patch) {
      const current = get().chatCurrent;
      if (!current) return;
      const r = await sy.chat.update(current.id, patch);
      set((s) => ({ chatCurrent: r.conversation, conversations: s.conversations.map((c) => (c.id === r.conversation.id ? r.conversation : c)) }));
    },

    deleteConversation(id) {
      const doomed = get().conversations.find((c) => c.id === id);
      if (!doomed) return;
      // one pending delete at a time: an earlier one is carried out now
      if (deleteTimer) clearTimeout(deleteTimer);
      commitDelete();
      set((s) => ({
        chatDeleted: doomed,
        conversations: s.conversations.filter((c) => c.id !== id),
        ...(s.chatCurrent?.id === id ? { chatCurrent: null, chatMessages: [] } : {}),
      }));
      deleteTimer = setTimeout(commitDelete, UNDO_MS);
    },

    undoDeleteConversation() {
      const doomed = get().chatDeleted;
      if (!doomed) return;
      if (deleteTimer) clearTimeout(deleteTimer);
      deleteTimer = null;
      set((s) => ({ chatDeleted: null, conversations: [...s.conversations, doomed].sort((a, b) => b.updated_at.localeCompare(a.updated_at) || b.id - a.id) }));
    },

    async sendChat(text) {
      if (get().chatStreaming) return;
      set({ chatError: null });
      let conversation = get().chatCurrent ?? (await get().newConversation(modelOf(null)));
      try {
        const asked = await sy.chat.addMessage(conversation.id, { role: 'user', content: text });
        conversation = asked.conversation;
        set((s) => ({ chatCurrent: asked.conversation, chatMessages: [...s.chatMessages, asked.message], conversations: upsert(s.conversations, asked.conversation) }));
      } catch (e) {
        set({ chatError: message(e) });
        return;
      }
      await answer(conversation);
    },

    async regenerateChat() {
      const last = get().chatMessages.at(-1);
      if (last?.role !== 'assistant') return;
      const conversation = await truncate(last.id);
      if (conversation) await answer(conversation);
    },

    async editAndResend(messageId, text) {
      if (!(await truncate(messageId))) return;
      await get().sendChat(text);
    },

    stopChat() {
      streamController?.abort();
    },
  };
};

function upsert(list: Conversation[], c: Conversation): Conversation[] {
  return [c, ...list.filter((x) => x.id !== c.id)];
}
