import {
  ConversationDetailResponse,
  ConversationParams,
  ConversationPatch,
  ConversationResponse,
  ConversationsResponse,
  MessageParams,
  MessageResponse,
  NewMessage,
} from '../../../shared/api/chat';
import { Ok } from '../../../shared/api/common';
import { ErrorBody } from '../../../shared/errors';
import type { Core } from '../../app';
import type { App } from '../server';

const errors = { 400: ErrorBody, 404: ErrorBody };

/**
 * `/api/v1/chat/…`: the playground's conversations. The answers themselves stream from the
 * OpenAI-compatible endpoint (`/v1/chat/completions`); the playground stores each turn here.
 */
export function registerChatRoutes(app: App, core: Core): void {
  const tags = ['chat'];
  const chat = core.chat;
  app.get('/api/v1/chat/conversations', { schema: { tags, response: { 200: ConversationsResponse } } }, async () => ({ success: true as const, conversations: chat.list() }));
  app.post('/api/v1/chat/conversations', { schema: { tags, body: ConversationPatch.nullish(), response: { 200: ConversationResponse, ...errors } } }, async (request) => ({
    success: true as const,
    conversation: chat.create(request.body ?? {}),
  }));
  app.get('/api/v1/chat/conversations/:id', { schema: { tags, params: ConversationParams, response: { 200: ConversationDetailResponse, ...errors } } }, async (request) => ({
    success: true as const,
    conversation: chat.require(request.params.id),
    messages: chat.messages(request.params.id),
  }));
  app.patch('/api/v1/chat/conversations/:id', { schema: { tags, params: ConversationParams, body: ConversationPatch, response: { 200: ConversationResponse, ...errors } } }, async (request) => ({
    success: true as const,
    conversation: chat.update(request.params.id, request.body),
  }));
  app.delete('/api/v1/chat/conversations/:id', { schema: { tags, params: ConversationParams, response: { 200: Ok, ...errors } } }, async (request) => {
    chat.delete(request.params.id);
    return { success: true as const };
  });
  app.delete('/api/v1/chat/conversations/:id/messages/:message_id', { schema: { tags, params: MessageParams, response: { 200: ConversationDetailResponse, ...errors } } }, async (request) => ({
    success: true as const,
    ...chat.truncateFrom(request.params.id, request.params.message_id),
  }));
  // a long answer is bigger than the API's default body limit
  app.post('/api/v1/chat/conversations/:id/messages', { bodyLimit: 4 * 1024 * 1024, schema: { tags, params: ConversationParams, body: NewMessage, response: { 200: MessageResponse, ...errors } } }, async (request) => ({
    success: true as const,
    ...chat.append(request.params.id, request.body),
  }));
}
