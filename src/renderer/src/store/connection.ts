import type { StateCreator } from 'zustand';
import type { AppStore } from './index';

export interface ConnectionSlice {
  token: string | null;
  connected: boolean;
  setConnection(patch: Partial<Pick<ConnectionSlice, 'token' | 'connected'>>): void;
}

export const createConnectionSlice: StateCreator<AppStore, [], [], ConnectionSlice> = (set) => ({
  token: null,
  connected: false,
  setConnection: (patch) => set(patch),
});
