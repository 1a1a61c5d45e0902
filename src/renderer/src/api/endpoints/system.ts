import type * as h from '../../../../shared/api/hub-account';
import type * as s from '../../../../shared/api/system';
import type * as settings from '../../../../shared/settings';
import { get, type In, patch, post, qs, type Query } from '../typed';

/** Server info, GPUs, usage and settings (routes: src/main/http/routes/system.ts, settings.ts, hub-account.ts). */
export const systemApi = {
  server: () => get<typeof s.ServerInfoResponse>('/api/v1/system/server'),
  gpus: (q: Query<typeof s.GpusQuery>) => get<typeof s.GpusResponse>(`/api/v1/system/gpus${qs(q)}`),
  usage: () => get<typeof s.ModelsUsageResponse>('/api/v1/models/usage'),
  endpointStats: () => get<typeof s.EndpointStatsResponse>('/api/v1/models/usage/endpoint'),
  usageDaily: (q: Query<typeof s.UsageDailyQuery>) => get<typeof s.UsageDailyResponse>(`/api/v1/models/usage/daily${qs(q)}`),
  settings: () => get<typeof settings.SettingsResponse>('/api/v1/settings'),
  saveSettings: (body: In<typeof settings.SettingsPatch>) => patch<typeof settings.SettingsResponse>('/api/v1/settings', body),
  hubToken: () => get<typeof h.HubTokenResponse>('/api/v1/settings/hub/token'),
  checkHubToken: () => post<typeof h.HubCheckResponse>('/api/v1/settings/hub/check'),
};
