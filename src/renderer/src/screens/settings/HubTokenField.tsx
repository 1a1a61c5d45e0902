import { useEffect, useState } from 'react';
import type { HubCheckResponse, HubTokenSource } from '../../../../shared/api/hub-account';
import { ApiError } from '../../api/client';
import { useStore } from '../../store';

const SOURCE_TEXT: Record<HubTokenSource, string> = {
  settings: 'saved in Switchyard’s settings',
  env: 'from the HF_TOKEN environment variable',
  file: 'from the file `hf auth login` wrote',
};

type Check = { state: 'idle' } | { state: 'checking' } | { state: 'done'; result: HubCheckResponse } | { state: 'error'; message: string };

/**
 * The Hugging Face token: write-only. The field starts empty (empty leaves the token as it is); the
 * saved token is only ever shown masked, with where it comes from.
 */
export function HubTokenField() {
  const info = useStore((s) => s.hubToken);
  const load = useStore((s) => s.loadHubToken);
  const save = useStore((s) => s.saveSettings);
  const check = useStore((s) => s.checkHubToken);
  const [draft, setDraft] = useState('');
  const [status, setStatus] = useState<{ state: 'idle' | 'saving' | 'saved' } | { state: 'error'; message: string }>({ state: 'idle' });
  const [checked, setChecked] = useState<Check>({ state: 'idle' });
  useEffect(() => {
    void load().catch(() => {});
  }, [load]);

  const fromEnv = info?.source === 'env';
  const fromFile = info?.source === 'file';
  const store = async (token: string | null) => {
    setStatus({ state: 'saving' });
    setChecked({ state: 'idle' });
    try {
      await save({ hub: { token } });
      setDraft('');
      setStatus({ state: 'saved' });
    } catch (error) {
      setStatus({ state: 'error', message: error instanceof Error ? error.message : String(error) });
    }
  };
  const submit = () => {
    const token = draft.trim();
    if (!token) return;
    if (/\s/.test(token)) return setStatus({ state: 'error', message: 'A token has no spaces: paste it again, without anything around it.' });
    void store(token);
  };
  const runCheck = async () => {
    setChecked({ state: 'checking' });
    try {
      setChecked({ state: 'done', result: await check() });
    } catch (error) {
      setChecked({ state: 'error', message: error instanceof ApiError ? error.message : String(error) });
    }
  };

  return (
    <div className="setting hub-token" data-testid="setting-hub-token-row">
      <label htmlFor="setting-hub-token">Access token</label>
      <div className="setting-input">
        <input
          id="setting-hub-token"
          data-testid="setting-hub-token"
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={draft}
          disabled={fromEnv}
          placeholder={info?.masked ? `${info.masked} — type a new one to replace it` : 'hf_… (not set)'}
          onChange={(e) => {
            setDraft(e.target.value);
            if (status.state !== 'saving') setStatus({ state: 'idle' });
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              submit();
            } else if (e.key === 'Escape') {
              e.preventDefault();
              setDraft('');
              setStatus({ state: 'idle' });
              e.currentTarget.blur();
            }
          }}
        />
        <button type="button" data-testid="setting-hub-token-save" disabled={!draft.trim() || status.state === 'saving'} title={draft.trim() ? undefined : 'Type or paste a token first'} onClick={submit}>
          Save
        </button>
        <button
          type="button"
          data-testid="setting-hub-token-clear"
          disabled={!info?.masked || fromEnv || fromFile}
          title={
            fromEnv
              ? 'The token comes from HF_TOKEN: unset it in the environment'
              : fromFile
                ? 'The token is in the file `hf auth login` wrote: run `hf auth logout` to remove it'
                : !info?.masked
                  ? 'No token is saved'
                  : undefined
          }
          onClick={() => void store(null)}
        >
          Remove
        </button>
        <button type="button" data-testid="setting-hub-token-check" disabled={checked.state === 'checking'} onClick={() => void runCheck()}>
          {checked.state === 'checking' ? 'Checking…' : 'Check'}
        </button>
        <span className={`setting-status status-${status.state}`} data-testid="setting-hub-token-status" role={status.state === 'error' ? 'alert' : undefined}>
          {status.state === 'saving' && 'Saving…'}
          {status.state === 'saved' && '✓ Saved'}
          {status.state === 'error' && status.message}
        </span>
      </div>
      <p className="muted small setting-note" data-testid="setting-hub-token-source">
        {info?.source ? `Token ${info.masked ?? ''} ${SOURCE_TEXT[info.source]}.` : 'No token: public models install without one; gated and private ones need it.'}
        {fromEnv && ' Unset HF_TOKEN to set one here.'}
      </p>
      {checked.state === 'done' && (
        <p className={`setting-note small ${checked.result.valid ? 'ok-text' : 'error'}`} data-testid="setting-hub-token-check-result">
          {checked.result.message}
        </p>
      )}
      {checked.state === 'error' && (
        <p className="setting-note error small" data-testid="setting-hub-token-check-result">
          {checked.message}
        </p>
      )}
    </div>
  );
}
