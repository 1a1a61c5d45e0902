import type { StateCreator } from 'zustand';
import type { HubCheckResponse, HubTokenInfo } from '../../../shared/api/hub-account';
import type { Settings, SettingsPatch } from '../../../shared/settings';
import { api, ApiError } from '../api/client';
import type { AppStore } from './index';

interface SettingsBody {
  settings: Settings;
  overridden: string[];
  paths: { data_dir: string; hf_hub_cache: string; log_dir: string; db: string };
}

export interface SettingsSlice {
  settings: SettingsBody | null;
  hubToken: HubTokenInfo | null;
  loadSettings(): Promise<void>;
  saveSettings(patch: SettingsPatch): Promise<void>;
  loadHubToken(): Promise<void>;
  /** asks the Hub whether it accepts the token (whoami) */
  checkHubToken(): Promise<HubCheckResponse>;
}

export const createSettingsSlice: StateCreator<AppStore, [], [], SettingsSlice> = (set, get) => ({
  settings: null,
  hubToken: null,
  async loadSettings() {
    set({ settings: await api.get<SettingsBody>('/api/v1/settings') });
  },
  async saveSettings(patch) {
    set({ settings: await api.patch<SettingsBody>('/api/v1/settings', patch) });
    if (patch.hub && 'token' in patch.hub) set({ hubToken: (await api.get<{ token: HubTokenInfo }>('/api/v1/settings/hub/token')).token });
  },
  async loadHubToken() {
    set({ hubToken: (await api.get<{ token: HubTokenInfo }>('/api/v1/settings/hub/token')).token });
  },
  async checkHubToken() {
    try {
      const result = await api.post<HubCheckResponse>('/api/v1/settings/hub/check');
      set({ hubToken: result.token });
      if (result.token.source) get().noteHubAnswer(true);
      return result;
    } catch (error) {
      if (error instanceof ApiError && error.code === 'offline') get().noteHubAnswer(false);
      throw error;
    }
  },
});
