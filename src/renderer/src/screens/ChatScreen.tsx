import { useEffect, useState } from 'react';
import type { Conversation } from '../../../shared/api/chat';
import { useStore } from '../store';
import { Messages } from './chat/Messages';
import { ModelBar } from './chat/ModelBar';

/** Chat through Switchyard's own OpenAI-compatible endpoint, one model per conversation; history in SQLite. */
export function ChatScreen() {
  const conversations = useStore((s) => s.conversations);
  const current = useStore((s) => s.chatCurrent);
  const load = useStore((s) => s.loadConversations);
  const loadModels = useStore((s) => s.loadChatModels);
  const open = useStore((s) => s.openConversation);
  const remove = useStore((s) => s.deleteConversation);
  const create = useStore((s) => s.newConversation);
  const loadInstalled = useStore((s) => s.loadInstalled);
  const loadRoutes = useStore((s) => s.loadProviders);
  const defaultModel = useStore((s) => s.chatCurrent?.model ?? s.chatModels.ids[0] ?? null);
  useEffect(() => {
    void load().catch(() => {});
    void loadModels();
    // capabilities (system role) and what an Activate button may start
    void loadInstalled().catch(() => {});
    // the router's routes: the picker groups them (local, cluster, cloud) with their state
    void loadRoutes().catch(() => {});
  }, [load, loadModels, loadInstalled, loadRoutes]);

  return (
    <section className="screen chat-screen">
      <h1 className="sr-only">Chat</h1>
      <aside className="chat-list" aria-label="Conversations">
        <button className="primary" data-testid="chat-new" onClick={() => void create(defaultModel)}>
          New chat
        </button>
        <UndoDelete />
        <ul>
          {conversations.map((c) => (
            <li key={c.id} className={current?.id === c.id ? 'active' : ''}>
              <button className="link" onClick={() => void open(c.id)} data-testid="chat-conversation" title={c.title} aria-current={current?.id === c.id ? 'true' : undefined}>
                {c.title}
              </button>
              <button className="small ghost" title="Delete this conversation (Undo follows)" aria-label={`Delete ${c.title}`} onClick={() => remove(c.id)} data-testid="chat-delete">
                ✕
              </button>
            </li>
          ))}
        </ul>
      </aside>
      <div className="chat-main">
        <ModelBar />
        {current ? <ConversationSettings key={current.id} conversation={current} /> : null}
        <Messages />
        <Composer />
      </div>
    </section>
  );
}

/** A conversation deleted a moment ago, with the way back. */
function UndoDelete() {
  const deleted = useStore((s) => s.chatDeleted);
  const undo = useStore((s) => s.undoDeleteConversation);
  if (!deleted) return null;
  return (
    <div className="undo-bar small" role="status" data-testid="chat-undo-bar">
      <span>Deleted “{deleted.title}”.</span>
      <button className="small" onClick={undo} data-testid="chat-undo">
        Undo
      </button>
    </div>
  );
}

function ConversationSettings({ conversation }: { conversation: Conversation }) {
  const update = useStore((s) => s.updateConversation);
  const model = useStore((s) => conversation.model ?? s.chatModels.ids[0] ?? null);
  const rejecting = useStore((s) => s.installed.find((m) => m.name === model && m.capabilities?.supports_system_role === false));
  const systemRejected = Boolean(rejecting);
  const [system, setSystem] = useState(conversation.system_prompt);
  const [temperature, setTemperature] = useState(String(conversation.temperature));
  const [maxTokens, setMaxTokens] = useState(conversation.max_tokens === null ? '' : String(conversation.max_tokens));
  const [error, setError] = useState<string | null>(null);
  const save = (patch: Parameters<typeof update>[0]) => void update(patch).then(() => setError(null), (e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  const saveTemperature = () => {
    const t = Number(temperature);
    if (!(t >= 0 && t <= 2)) return setError('Temperature is a number from 0 to 2.');
    if (t !== conversation.temperature) save({ temperature: t });
  };
  const saveMaxTokens = () => {
    const n = maxTokens.trim() === '' ? null : Number(maxTokens);
    if (n !== null && !(Number.isInteger(n) && n >= 1)) return setError('Max tokens is a whole number from 1, or empty for the model’s limit.');
    if (n !== conversation.max_tokens) save({ max_tokens: n });
  };
  return (
    <details className="chat-settings" open={conversation.message_count === 0}>
      <summary className="muted small">System prompt, temperature, max tokens</summary>
      <label className="field">
        <span>System prompt</span>
        <textarea
          rows={2}
          value={system}
          disabled={systemRejected}
          placeholder={systemRejected ? '' : 'e.g. You answer briefly.'}
          onChange={(e) => setSystem(e.target.value)}
          onBlur={() => system !== conversation.system_prompt && save({ system_prompt: system })}
          data-testid="chat-system"
        />
        {systemRejected && (
          <span className="small muted" data-testid="chat-system-why">
            {rejecting?.name}’s chat template rejects the system role, so no system prompt is sent. Put instructions in your first message instead.
          </span>
        )}
      </label>
      <div className="row">
        <label className="inline small">
          Temperature
          <input className="narrow" inputMode="decimal" value={temperature} onChange={(e) => setTemperature(e.target.value)} onBlur={saveTemperature} data-testid="chat-temperature" />
        </label>
        <label className="inline small">
          Max tokens
          <input className="narrow" inputMode="numeric" value={maxTokens} placeholder="model limit" onChange={(e) => setMaxTokens(e.target.value)} onBlur={saveMaxTokens} data-testid="chat-max-tokens" />
        </label>
        {error && (
          <span className="error small" role="alert">
            {error}
          </span>
        )}
      </div>
    </details>
  );
}

function Composer() {
  const send = useStore((s) => s.sendChat);
  const stop = useStore((s) => s.stopChat);
  const streaming = useStore((s) => s.chatStreaming);
  const served = useStore((s) => s.chatModels.ids);
  const chosen = useStore((s) => s.chatCurrent?.model ?? s.chatModels.ids[0] ?? null);
  const [text, setText] = useState('');
  const why = !chosen ? 'No model is served now.' : !served.includes(chosen) ? `${chosen} is not served now.` : !text.trim() ? 'Type a message first.' : null;
  const submit = () => {
    if (why || streaming) return;
    const question = text.trim();
    setText('');
    void send(question);
  };
  return (
    <form
      className="chat-composer"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <textarea
        rows={3}
        value={text}
        onChange={(e) => setText(e.target.value)}
        placeholder="Message (Enter sends, Shift+Enter for a new line)"
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey) {
            e.preventDefault();
            submit();
          }
        }}
        data-testid="chat-input"
        aria-label="Message"
      />
      <div className="row">
        {streaming ? (
          <button type="button" onClick={stop} data-testid="chat-stop">
            Stop
          </button>
        ) : (
          <button type="submit" className="primary" disabled={why !== null} title={why ?? undefined} data-testid="chat-send">
            Send
          </button>
        )}
        {!streaming && why && <span className="muted small">{why}</span>}
      </div>
    </form>
  );
}
