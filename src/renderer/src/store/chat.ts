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

export interface ChatSlice {
  conversations: Conversation[];
  chatCurrent: Conversation | null;
  chatMessages: ChatMessage[];
  chatStreaming: ChatStreaming | null;
  chatError: string | null;
  loadConversations(): Promise<void>;
  openConversation(id: number): Promise<void>;
  newConversation(model: string | null): Promise<Conversation>;
  updateConversation(patch: ConversationPatch): Promise<void>;
  deleteConversation(id: number): Promise<void>;
  /** sends the question to the model and stores both turns; resolves when the answer is complete or stopped */
  sendChat(text: string, model: string, options: { systemAllowed: boolean }): Promise<void>;
  stopChat(): void;
}

const message = (e: unknown) => (e instanceof ApiError ? e.message : String(e));
let streamController: AbortController | null = null;

export const createChatSlice: StateCreator<AppStore, [], [], ChatSlice> = (set, get) => ({
  conversations: [],
  chatCurrent: null,
  chatMessages: [],
  chatStreaming: null,
  chatError: null,

  async loadConversations() {
    const r = await sy.chat.list();
    set({ conversations: r.conversations });
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

  async deleteConversation(id) {
    await sy.chat.remove(id);
    set((s) => ({
      conversations: s.conversations.filter((c) => c.id !== id),
      ...(s.chatCurrent?.id === id ? { chatCurrent: null, chatMessages: [] } : {}),
    }));
  },

  async sendChat(text, model, { systemAllowed }) {
    if (get().chatStreaming) return;
    set({ chatError: null });
    const conversation = get().chatCurrent ?? (await get().newConversation(model));
    const id = conversation.id;
    try {
      const asked = await sy.chat.addMessage(id, { role: 'user', content: text });
      set((s) => ({ chatCurrent: asked.conversation, chatMessages: [...s.chatMessages, asked.message], conversations: upsert(s.conversations, asked.conversation) }));
    } catch (e) {
      set({ chatError: message(e) });
      return;
    }
    const history: ChatTurn[] = get().chatMessages.map((m) => ({ role: m.role, content: m.content }));
    const system = systemAllowed && conversation.system_prompt.trim() ? [{ role: 'system' as const, content: conversation.system_prompt }] : [];
    const controller = (streamController = new AbortController());
    set({ chatStreaming: { conversationId: id, text: '' } });
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
  },

  stopChat() {
    streamController?.abort();
  },
});

function upsert(list: Conversation[], c: Conversation): Conversation[] {
  return [c, ...list.filter((x) => x.id !== c.id)];
}
