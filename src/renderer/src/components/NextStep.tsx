import { useStore } from '../store';
import { Linkified } from './Linkified';

/**
 * The installed model a catalog name stands for: the same name, or for an Ollama library name without
 * a tag, its `:latest` (what `ollama pull llama3.2` installs). Undefined while it is not installed.
 */
export function useInstalledAs(name: string): string | undefined {
  return useStore((s) => s.installed.find((m) => m.status === 'installed' && (m.name === name || m.name === `${name}:latest`))?.name);
}

/** Opens Chat on a new conversation with `name` as its model (the conversation keeps the choice). */
export async function openInChat(name: string): Promise<void> {
  await useStore.getState().newConversation(name);
  window.location.hash = '#/chat';
}

/**
 * What to do with an installed model: Activate it (unless it already serves) and Open in Chat. Shown
 * where an install ends (the Install dialog), on catalog rows and on the model page.
 */
export function NextStep({ name, onDone, compact = false }: { name: string; onDone?(): void; compact?: boolean }) {
  const model = useStore((s) => s.installed.find((m) => m.name === name));
  const busy = useStore((s) => s.modelBusy[name]);
  const error = useStore((s) => s.modelErrors[name]);
  const activate = useStore((s) => s.activateModel);
  const state = model?.active ? (model.serving ? 'Active' : 'Starting…') : 'Installed';
  return (
    <div className={`next-step row${compact ? ' small' : ''}`} data-testid="next-step">
      <span className={`badge ${model?.active ? 'badge-active' : 'badge-ok'}`} data-testid="installed-badge">
        {state}
      </span>
      {!model?.active && (
        <button className={compact ? 'small' : 'primary'} disabled={busy === 'activate'} onClick={() => void activate(name)} data-testid="next-activate">
          {busy === 'activate' ? 'Activating…' : 'Activate'}
        </button>
      )}
      <button className={compact ? 'small' : undefined} onClick={() => void openInChat(name).then(() => onDone?.())} data-testid="next-chat">
        {compact ? 'Chat' : 'Open in Chat'}
      </button>
      {error && !compact && (
        <span className="error small" role="alert">
          <Linkified text={error} />
        </span>
      )}
    </div>
  );
}
