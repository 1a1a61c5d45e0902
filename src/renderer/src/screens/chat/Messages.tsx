import { useEffect, useRef, useState } from 'react';
import type { ChatMessage } from '../../../../shared/api/chat';
import { Linkified } from '../../components/Linkified';
import { copyText, Markdown } from '../../components/Markdown';
import { useStore } from '../../store';

function Stats({ m }: { m: ChatMessage }) {
  const parts = [
    m.ttft_ms !== null ? `first token ${Math.round(m.ttft_ms)} ms` : null,
    m.tokens_per_s !== null ? `${m.tokens_per_s.toFixed(1)} tokens/s` : null,
    m.completion_tokens !== null ? `${m.completion_tokens} token${m.completion_tokens === 1 ? '' : 's'}` : null,
    m.stopped ? 'stopped' : null,
  ].filter(Boolean);
  return parts.length ? (
    <div className="muted small chat-stats" data-testid="chat-stats">
      {m.model ? `${m.model} · ` : ''}
      {parts.join(' · ')}
    </div>
  ) : null;
}

/** Copies a whole message as it was written (Markdown source). */
function CopyButton({ text }: { text: string }) {
  const [said, setSaid] = useState<string | null>(null);
  return (
    <button type="button" className="small ghost" onClick={() => void copyText(text).then(setSaid)} data-testid="chat-copy" aria-label={said ?? 'Copy message'}>
      {said ?? 'Copy'}
    </button>
  );
}

function EditBox({ m, onDone }: { m: ChatMessage; onDone(): void }) {
  const resend = useStore((s) => s.editAndResend);
  const [text, setText] = useState(m.content);
  return (
    <form
      className="chat-edit"
      onSubmit={(e) => {
        e.preventDefault();
        if (!text.trim()) return;
        onDone();
        void resend(m.id, text.trim());
      }}
    >
      <textarea aria-label="Edit your message" rows={3} value={text} onChange={(e) => setText(e.target.value)} data-testid="chat-edit-input" autoFocus />
      <div className="row">
        <button type="submit" className="primary small" disabled={!text.trim()} data-testid="chat-edit-send">
          Send edited
        </button>
        <button type="button" className="small" onClick={onDone}>
          Cancel
        </button>
        <span className="muted small">The answers after it are replaced.</span>
      </div>
    </form>
  );
}

function Message({ m, last }: { m: ChatMessage; last: boolean }) {
  const streaming = useStore((s) => s.chatStreaming !== null);
  const regenerate = useStore((s) => s.regenerateChat);
  const [editing, setEditing] = useState(false);
  const user = m.role === 'user';
  return (
    <article className={`chat-msg chat-${m.role}`} data-testid={`chat-msg-${m.role}`} aria-label={user ? 'You' : `Answer${m.model ? ` from ${m.model}` : ''}`}>
      {user ? editing ? <EditBox m={m} onDone={() => setEditing(false)} /> : <div className="chat-text">{m.content}</div> : <Markdown text={m.content} className="chat-md" />}
      {!user && <Stats m={m} />}
      {!editing && (
        <div className="msg-actions">
          <CopyButton text={m.content} />
          {user && (
            <button type="button" className="small ghost" disabled={streaming} onClick={() => setEditing(true)} data-testid="chat-edit">
              Edit
            </button>
          )}
          {!user && last && (
            <button type="button" className="small ghost" disabled={streaming} onClick={() => void regenerate()} data-testid="chat-regenerate">
              Regenerate
            </button>
          )}
        </div>
      )}
    </article>
  );
}

export function Messages() {
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
    <div className="chat-messages" data-testid="chat-messages" tabIndex={0} aria-label="Messages">
      {messages.length === 0 && !live && <p className="muted">Ask something. Answers come from this conversation’s model through Switchyard’s OpenAI-compatible endpoint, and render as Markdown.</p>}
      {messages.map((m, i) => (
        <Message key={m.id} m={m} last={i === messages.length - 1} />
      ))}
      {live && (
        <article className="chat-msg chat-assistant streaming" data-testid="chat-streaming" aria-busy="true">
          {live.text ? <Markdown text={live.text} className="chat-md" /> : '…'}
        </article>
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
