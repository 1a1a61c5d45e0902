import { HubCheckResponse, HubTokenResponse, type HubTokenInfo } from '../../../shared/api/hub-account';
import { ErrorBody } from '../../../shared/errors';
import type { Core } from '../../app';
import { resolveHubToken } from '../../hub/hub-token';
import { maskSecret } from '../../secrets';
import type { App } from '../server';

const SOURCES = { settings: 'settings', HF_TOKEN: 'env', token_file: 'file' } as const;

/** Where the token the core sends comes from (one resolver: Settings, else HF_TOKEN, else the `hf auth login` file). */
function tokenInfo(core: Core): HubTokenInfo {
  const resolved = resolveHubToken(core.settings.get().hub.token, core.options.env, core.settings.get().hub.home);
  return { masked: maskSecret(resolved?.token ?? null), source: resolved ? SOURCES[resolved.source] : null, endpoint: core.hub.endpoint() };
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
