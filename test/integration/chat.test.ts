import { afterEach, describe, expect, it } from 'vitest';
import type { ChatMessage, Conversation } from '../../src/shared/api/chat';
import { startTestCore, type TestCore } from '../support/core';

let t: TestCore | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

describe('chat playground history (/api/v1/chat)', () => {
  it('keeps conversations and their turns across a restart, titled by the first question', async () => {
    t = await startTestCore({ keepDataDir: true });
    const dataDir = t.dataDir;
    const created = await t.call<{ conversation: Conversation }>('POST', '/api/v1/chat/conversations', { model: 'acme/local-chat', system_prompt: 'Be brief.', temperature: 0.2 });
    const id = created.body.conversation.id;
    expect(created.body.conversation).toMatchObject({ title: 'New chat', temperature: 0.2, max_tokens: null, message_count: 0 });

    const q = await t.call<{ conversation: Conversation; message: ChatMessage }>('POST', `/api/v1/chat/conversations/${id}/messages`, {
      role: 'user',
      content: 'What does tensor parallelism split across GPUs, and why does it need fast links between them?\nDetails please.',
    });
    expect(q.body.conversation.title).toBe('What does tensor parallelism split across GPUs, and why…');
    await t.call('POST', `/api/v1/chat/conversations/${id}/messages`, { role: 'assistant', content: 'The weight matrices.', model: 'acme/local-chat', ttft_ms: 42.5, tokens_per_s: 31.2, completion_tokens: 4, stopped: true });
    await t.call('PATCH', `/api/v1/chat/conversations/${id}`, { max_tokens: 256 });
    await t.close();

    t = await startTestCore({ dataDir });
    const detail = await t.call<{ conversation: Conversation; messages: ChatMessage[] }>('GET', `/api/v1/chat/conversations/${id}`);
    expect(detail.body.conversation).toMatchObject({ max_tokens: 256, system_prompt: 'Be brief.', message_count: 2 });
    expect(detail.body.messages.map((m) => [m.role, m.stopped])).toEqual([
      ['user', false],
      ['assistant', true],
    ]);
    expect(detail.body.messages[1]).toMatchObject({ ttft_ms: 42.5, tokens_per_s: 31.2, completion_tokens: 4, model: 'acme/local-chat' });
    const list = await t.call<{ conversations: Conversation[] }>('GET', '/api/v1/chat/conversations');
    expect(list.body.conversations.map((c) => c.id)).toEqual([id]);
  });

  it('refuses bad settings and unknown conversations; deleting one removes its messages', async () => {
    t = await startTestCore();
    const { body } = await t.call<{ conversation: Conversation }>('POST', '/api/v1/chat/conversations', {});
    const id = body.conversation.id;
    const bad = await t.call<{ error: { code: string; message: string } }>('PATCH', `/api/v1/chat/conversations/${id}`, { temperature: 3 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('temperature');
    await t.call('POST', `/api/v1/chat/conversations/${id}/messages`, { role: 'user', content: 'hi' });
    expect((await t.call('DELETE', `/api/v1/chat/conversations/${id}`)).status).toBe(200);
    const gone = await t.call<{ error: { code: string } }>('GET', `/api/v1/chat/conversations/${id}`);
    expect(gone.status).toBe(404);
    expect((await t.call('POST', `/api/v1/chat/conversations/${id}/messages`, { role: 'user', content: 'hi' })).status).toBe(404);
    expect(t.core.db.prepare('SELECT count(*) AS n FROM chat_messages').get()).toEqual({ n: 0 });
  });

  it('removes a message and every later one (regenerate, edit and resend), only within its conversation', async () => {
    t = await startTestCore();
    const a = (await t.call<{ conversation: Conversation }>('POST', '/api/v1/chat/conversations', {})).body.conversation.id;
    const b = (await t.call<{ conversation: Conversation }>('POST', '/api/v1/chat/conversations', {})).body.conversation.id;
    const ids: number[] = [];
    for (const [role, content] of [['user', 'one'], ['assistant', 'first answer'], ['user', 'two'], ['assistant', 'second answer']] as const) {
      ids.push((await t.call<{ message: ChatMessage }>('POST', `/api/v1/chat/conversations/${a}/messages`, { role, content })).body.message.id);
    }
    const other = (await t.call<{ message: ChatMessage }>('POST', `/api/v1/chat/conversations/${b}/messages`, { role: 'user', content: 'elsewhere' })).body.message.id;

    const cut = await t.call<{ conversation: Conversation; messages: ChatMessage[] }>('DELETE', `/api/v1/chat/conversations/${a}/messages/${ids[2]}`);
    expect(cut.status).toBe(200);
    expect(cut.body.messages.map((m) => m.content)).toEqual(['one', 'first answer']);
    expect(cut.body.conversation.message_count).toBe(2);

    const foreign = await t.call<{ error: { code: string } }>('DELETE', `/api/v1/chat/conversations/${a}/messages/${other}`);
    expect(foreign.status).toBe(404);
    expect((await t.call<{ messages: ChatMessage[] }>('GET', `/api/v1/chat/conversations/${b}`)).body.messages).toHaveLength(1);
    expect((await t.call('DELETE', `/api/v1/chat/conversations/${a}/messages/${ids[3]}`)).status).toBe(404);
  });
});
