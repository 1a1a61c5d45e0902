import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export type HubTokenSource = 'settings' | 'HF_TOKEN' | 'token_file';

export interface HubToken {
  token: string;
  source: HubTokenSource;
  /** the file it was read from (token_file only) */
  path?: string;
}

/**
 * `$HF_TOKEN_PATH`, else `$HF_HOME/token` (HF_HOME: `$XDG_CACHE_HOME/huggingface`, else
 * `~/.cache/huggingface`) — where `hf auth login` writes the token (huggingface_hub `constants.py`).
 */
export function hubTokenPath(env: Record<string, string | undefined>, hfHome?: string | null): string {
  if (env.HF_TOKEN_PATH) return env.HF_TOKEN_PATH;
  const home = hfHome || env.HF_HOME || join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'huggingface');
  return join(home, 'token');
}

/**
 * The token for the Hub: the one typed into Settings (the user's explicit choice for this app), else
 * `HF_TOKEN`, else the file `hf auth login` wrote — so a user logged in with the CLI needs nothing more.
 * Read on every call: logging in or out with the CLI takes effect without a restart.
 */
export function resolveHubToken(settingsToken: string | null | undefined, env: Record<string, string | undefined>, hfHome?: string | null): HubToken | null {
  if (settingsToken?.trim()) return { token: settingsToken.trim(), source: 'settings' };
  if (env.HF_TOKEN?.trim()) return { token: env.HF_TOKEN.trim(), source: 'HF_TOKEN' };
  const path = hubTokenPath(env, hfHome);
  try {
    const token = readFileSync(path, 'utf8').trim();
    if (token) return { token, source: 'token_file', path };
  } catch {
    // not logged in with the CLI
  }
  return null;
}
