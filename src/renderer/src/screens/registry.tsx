import type { ComponentType } from 'react';
import { InstalledScreen } from './InstalledScreen';
import { OperationsScreen } from './OperationsScreen';
import { PlannedScreen } from './PlannedScreen';
import { RuntimesScreen } from './RuntimesScreen';
import { SettingsScreen } from './SettingsScreen';

export interface ScreenEntry {
  id: string;
  label: string;
  component: ComponentType;
}

/** Navigation order. Each domain replaces its PlannedScreen entry with its real screen. */
export const screens: ScreenEntry[] = [
  { id: 'catalog', label: 'Catalog', component: () => <PlannedScreen title="Catalog" /> },
  { id: 'trending', label: 'Trending', component: () => <PlannedScreen title="Trending" /> },
  { id: 'installed', label: 'Installed', component: InstalledScreen },
  { id: 'operations', label: 'Operations', component: OperationsScreen },
  { id: 'runtimes', label: 'Runtimes', component: RuntimesScreen },
  { id: 'dashboard', label: 'Dashboard', component: () => <PlannedScreen title="Dashboard" /> },
  { id: 'news', label: 'News', component: () => <PlannedScreen title="News" /> },
  { id: 'settings', label: 'Settings', component: SettingsScreen },
];
