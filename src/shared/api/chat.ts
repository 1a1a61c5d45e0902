import { z } from 'zod';
import { okShape } from './common';

export const ChatRole = z.enum(['system', 'user', 'assistant']);

export const ChatMessage = z.object({
  id: z.number().int(),
  conversation_id: z.number().int(),
  role: ChatRole,
  content: z.string(),
  /** the model that wrote it (assistant messages) */
  model: z.string().nullable(),
  created_at: z.string(),
  /** time to first token, as the playground measured it */
  ttft_ms: z.number().nullable(),
  tokens_per_s: z.number().nullable(),
  completion_tokens: z.number().int().nullable(),
  /** the user pressed Stop: the answer is cut short */
  stopped: z.boolean(),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

const Temperature = z.number().min(0).max(2);
const MaxTokens = z.number().int().min(1).max(1_000_000).nullable();

export const Conversation = z.object({
  id: z.number().int(),
  title: z.string(),
  model: z.string().nullable(),
  system_prompt: z.string(),
  temperature: Temperature,
  max_tokens: MaxTokens,
  created_at: z.string(),
  updated_at: z.string(),
  message_count: z.number().int(),
});
export type Conversation = z.infer<typeof Conversation>;

export const ConversationPatch = z.object({
  title: z.string().min(1).max(200).optional(),
  model: z.string().max(300).nullable().optional(),
  system_prompt: z.string().max(100_000).optional(),
  temperature: Temperature.optional(),
  max_tokens: MaxTokens.optional(),
});
export type ConversationPatch = z.infer<typeof ConversationPatch>;

export const NewMessage = z.object({
  role: z.enum(['user', 'assistant']),
  content: z.string().max(1_000_000),
  model: z.string().max(300).nullable().optional(),
  ttft_ms: z.number().min(0).nullable().optional(),
  tokens_per_s: z.number().min(0).nullable().optional(),
  completion_tokens: z.number().int().min(0).nullable().optional(),
  stopped: z.boolean().optional(),
});
export type NewMessage = z.infer<typeof NewMessage>;

export const ConversationParams = z.object({ id: z.coerce.number().int().positive() });
/** a message of a conversation: DELETE removes it and every later one (regenerate, edit and resend) */
export const MessageParams = ConversationParams.extend({ message_id: z.coerce.number().int().positive() });
export const ConversationsResponse = okShape({ conversations: z.array(Conversation) });
export const ConversationResponse = okShape({ conversation: Conversation });
export const ConversationDetailResponse = okShape({ conversation: Conversation, messages: z.array(ChatMessage) });
export const MessageResponse = okShape({ conversation: Conversation, message: ChatMessage });
