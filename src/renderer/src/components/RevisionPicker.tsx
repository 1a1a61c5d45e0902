import { useEffect, useState } from 'react';
import type { ModelRevision } from '../../../shared/api/library';
import type { InstalledModel } from '../../../shared/api/models';
import { ApiError } from '../api/client';
import { sy } from '../api/endpoints';

const short = (c: string) => c.slice(0, 8);

/**
 * Installed › a Hub model's revision: the snapshots on disk, and a pin. "Latest installed" unpins; a
 * pin on a serving model applies at its next activation, which the server's answer says.
 */
export function RevisionPicker({ model }: { model: InstalledModel }) {
  const [revisions, setRevisions] = useState<ModelRevision[] | null>(null);
  const [note, setNote] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    sy.library
      .revisions(model.name)
      .then((r) => live && setRevisions(r.revisions))
      .catch(() => live && setRevisions([]));
    return () => {
      live = false;
    };
  }, [model.name, model.commit_sha, model.pinned_revision]);
  if (!revisions || revisions.length === 0) return model.commit_sha ? <div className="muted small mono">{short(model.commit_sha)}</div> : null;
  const change = async (value: string) => {
    try {
      const r = await sy.library.pin(model.name, { revision: value || null });
      setRevisions(r.revisions);
      setNote(r.applies_on_next_activation ? r.message : null);
    } catch (e) {
      setNote(e instanceof ApiError || e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <div className="small">
      <select value={model.pinned_revision ?? ''} onChange={(e) => void change(e.target.value)} aria-label="Revision" title="Pin the snapshot vLLM serves" data-testid={`installed-${model.name}-revision`}>
        <option value="">latest installed{model.commit_sha ? ` (${short(model.commit_sha)})` : ''}</option>
        {revisions.map((r) => (
          <option key={r.commit} value={r.commit}>
            pin {short(r.commit)} · {new Date(r.date).toLocaleDateString()}
            {r.served ? ' · served' : ''}
            {r.refs.length ? ` · ${r.refs.join(', ')}` : ''}
          </option>
        ))}
      </select>
      {note && <div className="muted">{note}</div>}
    </div>
  );
}
