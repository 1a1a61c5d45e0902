import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where the Linux installer's systemd service (user `ollama`, HOME /usr/share/ollama) keeps models. */
export const OLLAMA_SERVICE_MODELS_DIR = '/usr/share/ollama/.ollama/models';

export interface ModelsDirInput {
  /** Settings › Ollama › models dir, or OLLAMA_MODELS (config puts the env var there) */
  configured: string | null;
  env: Record<string, string | undefined>;
  /** an Ollama Switchyard did not start is serving (the systemd service, usually) */
  external: boolean;
  exists?: (path: string) => boolean;
}

/**
 * The models folder of the Ollama that runs: what Switchyard passes as OLLAMA_MODELS when it starts
 * Ollama; for an Ollama started by someone else, the service's folder when that one holds models and
 * the user's own does not (its OLLAMA_MODELS is in a root-owned unit file we cannot read); else
 * `~/.ollama/models`, Ollama's default.
 */
export function ollamaModelsDir(input: ModelsDirInput): string {
  if (input.configured) return input.configured;
  const exists = input.exists ?? existsSync;
  const own = join(input.env.HOME || homedir(), '.ollama', 'models');
  if (input.external && hasManifests(OLLAMA_SERVICE_MODELS_DIR, exists) && !hasManifests(own, exists)) return OLLAMA_SERVICE_MODELS_DIR;
  return own;
}

function hasManifests(dir: string, exists: (path: string) => boolean): boolean {
  const manifests = join(dir, 'manifests');
  if (!exists(manifests)) return false;
  try {
    return readdirSync(manifests).length > 0;
  } catch {
    // the service's folder is readable by its group only: it exists, that is enough to prefer it
    return true;
  }
}
