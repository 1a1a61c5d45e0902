import { statSync } from 'node:fs';
import type { Logger } from '../logger';
import type { ModelRecord, ModelsRepo } from './models-repo';

/**
 * Files present, of the recorded size and not modified since their last good validation. A change
 * is recorded once (a failed `files` validation); the model stays unvalidated until `verify` passes.
 */
export function filesValidated(models: ModelsRepo, logger: Logger, m: ModelRecord): boolean {
  if (m.status !== 'installed') return false;
  const last = models.latestValidation(m.name, 'files');
  if (!last?.ok) return false;
  // only files of ours on disk are checked (artifacts with a local path; a runtime's own store checks itself)
  const changed = changedFiles(models, m, Date.parse(last.created_at));
  if (changed.length === 0) return true;
  models.addValidation(m.name, 'files', false, { reason: 'files changed on disk since they were verified', changed: changed.slice(0, 20) });
  logger.warn({ model: m.name, changed: changed.slice(0, 5) }, 'model files changed on disk');
  return false;
}

function changedFiles(models: ModelsRepo, m: ModelRecord, since: number): string[] {
  const changed: string[] = [];
  for (const a of models.artifacts(m.name)) {
    if (!a.local_path) continue;
    try {
      const st = statSync(a.local_path);
      if (st.size !== a.size || st.mtimeMs > since + 1000) changed.push(a.path);
    } catch {
      changed.push(a.path);
    }
  }
  return changed;
}
