import { useEffect, useMemo, useRef, useState } from 'react';
import type { ChatMessage, Conversation } from '../../../shared/api/chat';
import { Linkified } from '../components/Linkified';
import { useStore } from '../store';

/** Chat with the active model through Switchyard's own OpenAI-compatible endpoint; history in SQLite. */
export function ChatScreen() {
  const conversations = useStore((s) => s.conversations);
  const current = useStore((s) => s.chatCurrent);
  const load = useStore((s) => s.loadConversations);
  const open = useStore((s) => s.openConversation);
  const remove = useStore((s) => s.deleteConversation);
  const create = useStore((s) => s.newConversation);
  const loadInstalled = useStore((s) => s.loadInstalled);
  const installed = useStore((s) => s.installed);
  const active = useMemo(() => installed.find((m) => m.active) ?? null, [installed]);
  const loadProviders = useStore((s) => s.loadProviders);
  useEffect(() => {
    void load().catch(() => {});
    void loadInstalled().catch(() => {});
    // a remote model (Providers) may be the one answering
    void loadProviders().catch(() => {});
  }, [load, loadInstalled, loadProviders]);

  return (
    <section className="screen chat-screen">
      <h1 className="sr-only">Chat</h1>
      <aside className="chat-list" aria-label="Conversations">
        <button className="primary" data-testid="chat-new" onClick={() => void create(active?.name ?? null)}>
          New chat
        </button>
        <ul>
          {conversations.map((c) => (
            <li key={c.id} className={current?.id === c.id ? 'active' : ''}>
              <button className="link" onClick={() => void open(c.id)} data-testid="chat-conversation" title={c.title}>
                {c.title}
              </button>
              <button className="small ghost" title="Delete this conversation" aria-label={`Delete ${c.title}`} onClick={() => void remove(c.id)}>
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

/** The model answering: the active one, or a way to activate one from here. */
function ModelBar() {
  const installed = useStore((s) => s.installed);
  const busy = useStore((s) => s.modelBusy);
  const errors = useStore((s) => s.modelErrors);
  const activate = useStore((s) => s.activateModel);
  const remote = useStore((s) => s.activeRemote);
  const active = installed.find((m) => m.active) ?? null;
  const ready = installed.filter((m) => m.status === 'installed');
  const [pick, setPick] = useState('');
  const chosen = pick || active?.name || ready[0]?.name || '';
  const activating = Object.entries(busy).find(([, v]) => v === 'activate')?.[0];
  return (
    <div className="row chat-model" data-testid="chat-model-bar">
      <span className="muted">Model</span>
      <select aria-label="Model" value={chosen} onChange={(e) => setPick(e.target.value)} data-testid="chat-model-select" disabled={ready.length === 0}>
        {ready.length === 0 && <option value="">no model installed</option>}
        {ready.map((m) => (
          <option key={m.name} value={m.name}>
            {m.name}
            {m.active ? (m.serving ? ' (active)' : ' (starting…)') : ''}
          </option>
        ))}
      </select>
      {chosen && chosen !== active?.name && (
        <button data-testid="chat-activate" disabled={Boolean(activating)} onClick={() => void activate(chosen).then(() => setPick(''))}>
          {activating === chosen ? 'Activating…' : 'Activate'}
        </button>
      )}
      {remote && (
        <span className="badge badge-ok" data-testid="chat-active-model">
          answering: {remote.model} ({remote.provider})
        </span>
      )}
      {active && (
        <span className={`badge ${active.serving ? 'badge-ok' : 'badge-busy'}`} data-testid="chat-active-model">
          {active.serving ? `answering: ${active.name}` : `starting ${active.name}…`}
        </span>
      )}
      {!active && !remote && ready.length > 0 && <span className="muted small">No model is active: pick one and Activate it.</span>}
      {ready.length === 0 && (
        <span className="muted small">
          Install a model from the <a href="#/catalog">Catalog</a> first.
        </span>
      )}
      {chosen && errors[chosen] && (
        <span className="error small" role="alert">
          <Linkified text={errors[chosen]!} />
        </span>
      )}
    </div>
  );
}

function ConversationSettings({ conversation }: { conversation: Conversation }) {
  const update = useStore((s) => s.updateConversation);
  const installed = useStore((s) => s.installed);
  const active = installed.find((m) => m.active);
  const systemRejected = active?.capabilities?.supports_system_role === false;
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
            {active!.name}’s chat template rejects the system role, so no system prompt is sent. Put instructions in your first message instead.
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

function Stats({ m }: { m: ChatMessage }) {
  const parts = [
    m.ttft_ms !== null ? `first token ${Math.round(m.ttft_ms)} ms` : null,
    m.tokens_per_s !== null ? `${m.tokens_per_s.toFixed(1)} tokens/s` : null,
    m.completion_tokens !== null ? `${m.completion_tokens} tokens` : null,
    m.stopped ? 'stopped' : null,
  ].filter(Boolean);
  return parts.length ? (
    <div className="muted small chat-stats" data-testid="chat-stats">
      {m.model ? `${m.model} · ` : ''}
      {parts.join(' · ')}
    </div>
  ) : null;
}

function Messages() {
  const messages = useStore((s) => s.chatMessages);
  const streaming = useStore((s) => s.chatStreaming);
  const current = useStore((s) => s.chatCurrent);
  const error = useStore((s) => s.chatError);
  const end = useRef<HTMLDivElement>(null);
  useEffect(() => {
    end.current?.scrollIntoView({ block: 'end' });
  }, [messages.length, streaming?.text]);
  const live = streaming && streaming.conversationId === current?.id ? streaming : null;
  return (
    <div className="chat-messages" data-testid="chat-messages">
      {messages.length === 0 && !live && <p className="muted">Ask something. Answers come from the active model through Switchyard’s OpenAI-compatible endpoint.</p>}
      {messages.map((m) => (
        <div key={m.id} className={`chat-msg chat-${m.role}`} data-testid={`chat-msg-${m.role}`}>
          <div className="chat-text">
            <Linkified text={m.content} />
          </div>
          {m.role === 'assistant' && <Stats m={m} />}
        </div>
      ))}
      {live && (
        <div className="chat-msg chat-assistant streaming" data-testid="chat-streaming">
          <div className="chat-text">{live.text || '…'}</div>
        </div>
      )}
      {error && (
        <p className="error" role="alert" data-testid="chat-error">
          <Linkified text={error} />
        </p>
      )}
      <div ref={end} />
    </div>
  );
}

function Composer() {
  const send = useStore((s) => s.sendChat);
  const stop = useStore((s) => s.stopChat);
  const streaming = useStore((s) => s.chatStreaming);
  const installed = useStore((s) => s.installed);
  const remote = useStore((s) => s.activeRemote);
  const active = installed.find((m) => m.active) ?? null;
  const [text, setText] = useState('');
  const why = remote ? (!text.trim() ? 'Type a message first.' : null) : !active ? 'Activate a model first.' : !active.serving ? `${active.name} is still starting.` : !text.trim() ? 'Type a message first.' : null;
  const submit = () => {
    if (why || streaming || (!active && !remote)) return;
    const question = text.trim();
    setText('');
    // a remote model (Providers) answers under its own id; the provider's template decides about system prompts
    if (remote) void send(question, remote.model, { systemAllowed: true });
    else if (active) void send(question, active.name, { systemAllowed: active.capabilities?.supports_system_role !== false });
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
        {!streaming && why && text.trim() !== '' && <span className="muted small">{why}</span>}
        {!streaming && !active && text.trim() === '' && <span className="muted small">{why}</span>}
      </div>
    </form>
  );
}
