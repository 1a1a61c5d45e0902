import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { HubCheckResponse, HubTokenResponse, type HubTokenInfo } from '../../../shared/api/hub-account';
import { ErrorBody } from '../../../shared/errors';
import type { Core } from '../../app';
import { maskSecret } from '../../secrets';
import type { App } from '../server';

/** The token `hf auth login` wrote (huggingface_hub's places: HF_TOKEN_PATH, else $HF_HOME/token). */
function loginFileToken(core: Core): string | null {
  const env = core.options.env;
  const home = core.settings.get().hub.home ?? env.HF_HOME ?? join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'huggingface');
  try {
    return readFileSync(env.HF_TOKEN_PATH || join(home, 'token'), 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** Where the token the core sends comes from: HF_TOKEN, the `hf auth login` file, or Settings. */
function tokenInfo(core: Core): HubTokenInfo {
  const token = core.settings.get().hub.token;
  const fromEnv = core.settings.overriddenPaths().includes('hub.token');
  const source = !token ? null : fromEnv ? 'env' : token === loginFileToken(core) ? 'file' : 'settings';
  return { masked: maskSecret(token), source, endpoint: core.hub.endpoint() };
}

/** The Hugging Face account behind the token: where it comes from, and whether the Hub accepts it. */
export function registerHubAccountRoutes(app: App, core: Core): void {
  const tags = ['settings'];
  app.get('/api/v1/settings/hub/token', { schema: { tags, response: { 200: HubTokenResponse } } }, async () => ({ success: true as const, token: tokenInfo(core) }));
  app.post('/api/v1/settings/hub/check', { schema: { tags, response: { 200: HubCheckResponse, 409: ErrorBody, 502: ErrorBody, 503: ErrorBody } } }, async () => {
    const token = tokenInfo(core);
    if (!token.source) {
      return { success: true as const, token, valid: false, user: null, orgs: [], role: null, message: 'No Hugging Face token is set: public models install without one; gated and private ones need it.' };
    }
    const who = await core.hub.whoami();
    const message = who.valid
      ? `The Hub at ${token.endpoint} accepts this token: signed in as ${who.user}${who.role ? ` (${who.role} access)` : ''}.`
      : `The Hub at ${token.endpoint} refused this token. Create a new one at ${token.endpoint}/settings/tokens and paste it here.`;
    return { success: true as const, token, ...who, message };
  });
}
