import type * as c from '../../../../shared/api/chat';
import type { Ok } from '../../../../shared/api/common';
import type { V1ModelList } from '../../../../shared/api/v1-models';
import { del, get, type In, patch, post, seg } from '../typed';

/** Conversations of the chat screen (routes: src/main/http/routes/chat.ts). */
export const chatApi = {
  /** what the OpenAI-compatible endpoint serves now: the models a request may name */
  models: () => get<typeof V1ModelList>('/v1/models'),
  list: () => get<typeof c.ConversationsResponse>('/api/v1/chat/conversations'),
  get: (id: number) => get<typeof c.ConversationDetailResponse>(`/api/v1/chat/conversations/${seg(id)}`),
  create: (body: In<typeof c.ConversationPatch>) => post<typeof c.ConversationResponse>('/api/v1/chat/conversations', body),
  update: (id: number, body: In<typeof c.ConversationPatch>) => patch<typeof c.ConversationResponse>(`/api/v1/chat/conversations/${seg(id)}`, body),
  remove: (id: number) => del<typeof Ok>(`/api/v1/chat/conversations/${seg(id)}`),
  /** removes the message and every later one */
  truncateFrom: (id: number, messageId: number) => del<typeof c.ConversationDetailResponse>(`/api/v1/chat/conversations/${seg(id)}/messages/${seg(messageId)}`),
  addMessage: (id: number, body: In<typeof c.NewMessage>) => post<typeof c.MessageResponse>(`/api/v1/chat/conversations/${seg(id)}/messages`, body),
};
