import { useEffect, useState } from 'react';
import type { RuntimeName } from '../../../shared/api/runtimes';
import { ApiError } from '../api/client';
import { useStore } from '../store';
import { Linkified } from './Linkified';

/**
 * First run: a runtime that was not found. Says how to install it (the commands its own docs give),
 * where Switchyard looked, and lets the user point at the program or look again after installing.
 */
export function RuntimeSetup({ name, label }: { name: RuntimeName; label: string }) {
  const info = useStore((s) => s.runtimeBinary[name]);
  const check = useStore((s) => s.checkRuntimeBinary);
  const locate = useStore((s) => s.locateRuntimeBinary);
  const [path, setPath] = useState('');
  const [busy, setBusy] = useState<'check' | 'locate' | null>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const picker = window.switchyard?.pickExecutable;
  useEffect(() => {
    void check(name).catch(() => {});
  }, [check, name]);

  const recheck = async () => {
    setBusy('check');
    setMessage(null);
    try {
      await check(name);
      const found = useStore.getState().runtimeBinary[name]?.found;
      setMessage(found ? { ok: true, text: `Found ${found}.` } : { ok: false, text: `${label} is still not found. After installing, open a new terminal or check the folders below.` });
    } catch (error) {
      setMessage({ ok: false, text: error instanceof ApiError ? error.message : String(error) });
    } finally {
      setBusy(null);
    }
  };
  const choose = async (file: string) => {
    setBusy('locate');
    setMessage(null);
    try {
      await locate(name, file);
      setMessage({ ok: true, text: `Switchyard will run ${file}.` });
      setPath('');
    } catch (error) {
      setMessage({ ok: false, text: error instanceof ApiError ? error.message : String(error) });
    } finally {
      setBusy(null);
    }
  };
  const pick = async () => {
    const file = await picker?.(`Choose the ${label} program`);
    if (file) await choose(file);
  };

  if (!info) return <p className="muted">Looking for {label}…</p>;
  const lockedBy = info.overridden_by;
  return (
    <div className="runtime-setup" data-testid={`runtime-${name}-setup`}>
      <p>
        <strong>{label} was not found.</strong> {info.requirements}
      </p>
      <p className="small">Install it with:</p>
      {info.install.map((step) => (
        <div key={step.command} className="install-step">
          <span className="muted small">{step.label}</span>
          <div className="row">
            <code className="command" data-testid={`runtime-${name}-install-command`}>
              {step.command}
            </code>
            <button type="button" className="small" onClick={() => void navigator.clipboard?.writeText(step.command).catch(() => {})} title="Copy to the clipboard">
              Copy
            </button>
          </div>
        </div>
      ))}
      <p className="small muted">
        More: <Linkified text={info.docs_url} />
      </p>
      <div className="row locate">
        {picker ? (
          <button type="button" data-testid={`runtime-${name}-locate`} disabled={busy !== null || lockedBy !== null} onClick={() => void pick()}>
            Locate…
          </button>
        ) : (
          <form
            className="row grow"
            onSubmit={(e) => {
              e.preventDefault();
              if (path.trim()) void choose(path.trim());
            }}
          >
            <input
              className="grow"
              value={path}
              onChange={(e) => setPath(e.target.value)}
              placeholder={`/full/path/to/${name}`}
              aria-label={`Path of the ${label} program`}
              data-testid={`runtime-${name}-locate-path`}
              disabled={lockedBy !== null}
            />
            <button type="submit" data-testid={`runtime-${name}-locate`} disabled={busy !== null || !path.trim() || lockedBy !== null}>
              Use this program
            </button>
          </form>
        )}
        <button type="button" data-testid={`runtime-${name}-recheck`} disabled={busy !== null} onClick={() => void recheck()}>
          {busy === 'check' ? 'Looking…' : 'Check again'}
        </button>
      </div>
      {lockedBy && <p className="small muted">{lockedBy} sets the program for this session; unset it to choose another here.</p>}
      {message && (
        <p className={message.ok ? 'ok-text small' : 'error small'} role={message.ok ? 'status' : 'alert'} data-testid={`runtime-${name}-setup-message`}>
          {message.text}
        </p>
      )}
      <details className="small muted">
        <summary>Where Switchyard looked ({info.searched.length} folders)</summary>
        <ul className="mono searched">
          {info.searched.map((d) => (
            <li key={d}>{d}</li>
          ))}
        </ul>
      </details>
    </div>
  );
}
