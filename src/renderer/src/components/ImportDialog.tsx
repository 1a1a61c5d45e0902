import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/client';
import { sy } from '../api/endpoints';
import { Linkified } from './Linkified';

/**
 * Installed › "Import…": a .gguf file (becomes an Ollama model) or a model folder (served by vLLM from
 * where it is). The desktop app offers its file dialogs; a browser types the path. The server checks
 * everything and refuses before it creates anything; the import then runs as an operation.
 */
export function ImportDialog({ onClose, onStarted }: { onClose(): void; onStarted(message: string): void }) {
  const [path, setPath] = useState('');
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const picker = window.switchyard?.pickModelPath;
  const pick = async (kind: 'file' | 'folder') => {
    const chosen = await picker?.(kind);
    if (chosen) setPath(chosen);
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSending(true);
    try {
      const r = await sy.library.import({ path: path.trim(), ...(name.trim() ? { name: name.trim() } : {}) });
      onStarted(`${r.message} — follow it under Operations.`);
      onClose();
    } catch (err) {
      setError(err instanceof ApiError || err instanceof Error ? err.message : String(err));
    } finally {
      setSending(false);
    }
  };
  return (
    <div className="modal-backdrop" role="dialog" aria-modal="true" aria-label="Import a model" data-testid="import-dialog">
      <form className="modal card" onSubmit={(e) => void submit(e)}>
        <h2>Import a model from disk</h2>
        <p className="muted small">A .gguf file becomes an Ollama model (Ollama keeps its own copy). A folder with config.json, tokenizer files and *.safetensors is served by vLLM from where it is; removing it later never deletes the folder.</p>
        <label>
          Path on this machine
          <div className="row">
            <input value={path} onChange={(e) => setPath(e.target.value)} placeholder="/home/me/models/my-model.Q4_K_M.gguf" aria-label="Path" data-testid="import-path" />
            {picker && (
              <>
                <button type="button" onClick={() => void pick('file')}>
                  GGUF file…
                </button>
                <button type="button" onClick={() => void pick('folder')}>
                  Folder…
                </button>
              </>
            )}
          </div>
        </label>
        <label>
          Name (optional)
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="from the file or folder name" aria-label="Name" data-testid="import-name" />
        </label>
        {error && (
          <p className="error" data-testid="import-error">
            <Linkified text={error} />
          </p>
        )}
        <div className="row actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button className="primary" type="submit" disabled={!path.trim() || sending} data-testid="import-submit">
            {sending ? 'Checking…' : 'Import'}
          </button>
        </div>
      </form>
    </div>
  );
}
