import type { StateCreator } from 'zustand';
import type { Settings, SettingsPatch } from '../../../shared/settings';
import { api } from '../api/client';
import type { AppStore } from './index';

interface SettingsBody {
  settings: Settings;
  overridden: string[];
  paths: { data_dir: string; hf_hub_cache: string; log_dir: string; db: string };
}

export interface SettingsSlice {
  settings: SettingsBody | null;
  loadSettings(): Promise<void>;
  saveSettings(patch: SettingsPatch): Promise<void>;
}

export const createSettingsSlice: StateCreator<AppStore, [], [], SettingsSlice> = (set) => ({
  settings: null,
  async loadSettings() {
    set({ settings: await api.get<SettingsBody>('/api/v1/settings') });
  },
  async saveSettings(patch) {
    set({ settings: await api.patch<SettingsBody>('/api/v1/settings', patch) });
  },
});
