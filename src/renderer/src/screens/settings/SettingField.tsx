import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { formatFieldValue, parseFieldInput, serverMessageSentence, type FieldSpec } from '../../../../shared/settings-fields';
import { ApiError } from '../../api/client';
import { formatBytes, formatDuration } from '../../components/format';

type Status = { state: 'idle' } | { state: 'saving' } | { state: 'saved' } | { state: 'error'; message: string };

interface Props {
  spec: FieldSpec;
  label: string;
  hint?: string;
  value: unknown;
  /** the env var or flag that sets it, when one does: the field is then read-only */
  overriddenBy: string | null;
  save(value: unknown): Promise<void>;
}

/** A number stored in ms or bytes, as a person reads it ("15 min", "64.0 MiB"); null for other fields. */
export function humanValue(key: string, value: unknown): string | null {
  if (typeof value !== 'number' || !Number.isFinite(value)) return null;
  if (/Ms$/.test(key)) return value < 1000 ? `${value} ms` : formatDuration(value / 1000);
  if (/Bytes$/.test(key)) return formatBytes(value);
  return null;
}

/** The sentence for a failed save: the server's detail for this very field, else its message. */
export function saveErrorSentence(error: unknown, group: string, key: string): string {
  if (error instanceof ApiError && error.code === 'validation_error' && Array.isArray(error.details)) {
    const detail = (error.details as { field?: string; message?: string }[]).find((d) => d.field === `body.${group}.${key}`);
    if (detail?.message) return serverMessageSentence(detail.message);
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * One setting. Enter saves, Escape puts back the saved value; leaving the field saves too. A value
 * that fails its check is not sent: the field keeps the text and says beside it what is wrong.
 */
export function SettingField({ spec, label, hint, value, overriddenBy, save }: Props) {
  const id = `setting-${spec.group}-${spec.key}`;
  const saved = formatFieldValue(spec, value);
  const [draft, setDraft] = useState(saved);
  const [status, setStatus] = useState<Status>({ state: 'idle' });
  const editing = useRef(false);
  // Escape blurs the field; that blur must not save the text being thrown away
  const reverting = useRef(false);
  const inFlight = useRef(false);
  // a value changed elsewhere (another window, the CLI) shows up unless the user is typing here
  useEffect(() => {
    if (!editing.current) setDraft(saved);
  }, [saved]);

  const commit = async (raw: string | boolean) => {
    if (reverting.current || inFlight.current) return;
    if (typeof raw === 'string' && raw === saved && status.state !== 'error') return;
    const parsed = parseFieldInput(spec, raw);
    if (!parsed.ok) {
      setStatus({ state: 'error', message: parsed.error });
      return;
    }
    setStatus({ state: 'saving' });
    inFlight.current = true;
    try {
      await save(parsed.value);
      editing.current = false;
      setStatus({ state: 'saved' });
    } catch (error) {
      setStatus({ state: 'error', message: saveErrorSentence(error, spec.group, spec.key) });
    } finally {
      inFlight.current = false;
    }
  };
  const revert = (target: HTMLElement) => {
    editing.current = false;
    setDraft(saved);
    setStatus({ state: 'idle' });
    reverting.current = true;
    target.blur();
    reverting.current = false;
  };
  const onKey = (e: KeyboardEvent<HTMLInputElement | HTMLTextAreaElement>) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      revert(e.currentTarget);
    } else if (e.key === 'Enter' && (e.currentTarget.tagName === 'INPUT' || e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void commit(e.currentTarget.value);
    }
  };
  const disabled = overriddenBy !== null;
  const common = {
    id,
    'data-testid': id,
    disabled,
    'aria-invalid': status.state === 'error',
    'aria-describedby': `${id}-status`,
  };
  const onChange = (text: string) => {
    editing.current = true;
    setDraft(text);
    if (status.state === 'saved') setStatus({ state: 'idle' });
  };

  let input;
  switch (spec.kind.kind) {
    case 'bool':
      input = <input {...common} type="checkbox" checked={Boolean(value)} onChange={(e) => void commit(e.target.checked)} />;
      break;
    case 'enum':
      input = (
        <select {...common} value={draft} onChange={(e) => (setDraft(e.target.value), void commit(e.target.value))}>
          {spec.nullable && <option value="">default</option>}
          {spec.kind.options.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      );
      break;
    case 'list':
    case 'map':
      input = <textarea {...common} rows={Math.max(2, draft.split('\n').length)} value={draft} placeholder={hint} onChange={(e) => onChange(e.target.value)} onKeyDown={onKey} onBlur={(e) => void commit(e.target.value)} />;
      break;
    default:
      input = (
        <input
          {...common}
          type="text"
          inputMode={spec.kind.kind === 'number' ? 'decimal' : undefined}
          value={draft}
          placeholder={hint}
          onChange={(e) => onChange(e.target.value)}
          onKeyDown={onKey}
          onBlur={(e) => void commit(e.target.value)}
        />
      );
  }

  return (
    <div className={`setting ${spec.kind.kind === 'bool' ? 'setting-bool' : ''}`} data-testid={`${id}-row`}>
      <label htmlFor={id}>
        {label}
        {overriddenBy && (
          <span className="badge badge-warn setting-lock" title={`Set by ${overriddenBy}`}>
            locked
          </span>
        )}
      </label>
      <div className="setting-input">
        {input}
        {humanValue(spec.key, value) !== null && spec.kind.kind === 'number' && (
          <span className="muted small" data-testid={`${id}-human`}>
            = {humanValue(spec.key, value)}
          </span>
        )}
        <span id={`${id}-status`} className={`setting-status status-${status.state}`} data-testid={`${id}-status`} role={status.state === 'error' ? 'alert' : undefined}>
          {status.state === 'saving' && 'Saving…'}
          {status.state === 'saved' && '✓ Saved'}
          {status.state === 'error' && status.message}
        </span>
      </div>
      {overriddenBy && (
        <p className="muted small setting-note" data-testid={`${id}-locked`}>
          Locked: set by <code>{overriddenBy}</code>. Change it there, or unset it to edit it here.
        </p>
      )}
      {spec.kind.kind === 'list' || spec.kind.kind === 'map' ? hint && <p className="muted small setting-note">{hint}; Ctrl+Enter saves</p> : null}
    </div>
  );
}
