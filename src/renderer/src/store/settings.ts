import type { StateCreator } from 'zustand';
import type { HubCheckResponse, HubTokenInfo } from '../../../shared/api/hub-account';
import type { SettingsPatch, SettingsResponse } from '../../../shared/settings';
import { ApiError } from '../api/client';
import { sy } from '../api/endpoints';
import type { Out } from '../api/typed';
import type { AppStore } from './index';

/** The settings as the API answers them, with the overridden paths and the data paths. */
type SettingsBody = Omit<Out<typeof SettingsResponse>, 'success'>;

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
    set({ settings: await sy.system.settings() });
  },
  async saveSettings(patch) {
    set({ settings: await sy.system.saveSettings(patch) });
    if (patch.hub && 'token' in patch.hub) set({ hubToken: (await sy.system.hubToken()).token });
  },
  async loadHubToken() {
    set({ hubToken: (await sy.system.hubToken()).token });
  },
  async checkHubToken() {
    try {
      const result = await sy.system.checkHubToken();
      set({ hubToken: result.token });
      if (result.token.source) get().noteHubAnswer(true);
      return result;
    } catch (error) {
      if (error instanceof ApiError && error.code === 'offline') get().noteHubAnswer(false);
      throw error;
    }
  },
});
