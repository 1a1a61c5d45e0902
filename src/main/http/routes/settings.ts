import { SettingsPatch, SettingsResponse } from '../../../shared/settings';
import { ErrorBody } from '../../../shared/errors';
import type { Core } from '../../app';
import type { App } from '../server';
import { maskedSettings } from '../../settings-secrets';

export function registerSettingsRoutes(app: App, core: Core): void {
  const tags = ['settings'];
  const body = () => ({
    success: true as const,
    settings: maskedSettings(core.settings.get()),
    overridden: core.settings.overriddenPaths(),
    paths: { data_dir: core.paths.dataDir, hf_hub_cache: core.paths.hfHubCache(), log_dir: core.paths.logDir, db: core.paths.db },
  });
  app.get('/api/v1/settings', { schema: { tags, response: { 200: SettingsResponse } } }, async () => body());
  app.patch('/api/v1/settings', { bodyLimit: 64 * 1024, schema: { tags, body: SettingsPatch, response: { 200: SettingsResponse, 400: ErrorBody, 507: ErrorBody } } }, async (request) => {
    core.settings.update(request.body);
    core.events.emit({ type: 'settings.changed' });
    return body();
  });
}
