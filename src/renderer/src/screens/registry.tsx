import type { ComponentType } from 'react';
import { CatalogScreen } from './CatalogScreen';
import { ChatScreen } from './ChatScreen';
import { InstalledScreen } from './InstalledScreen';
import { NewsScreen } from './NewsScreen';
import { OperationsScreen } from './OperationsScreen';
import { ProvidersScreen } from './ProvidersScreen';
import { DashboardScreen } from './DashboardScreen';
import { RuntimesScreen } from './RuntimesScreen';
import { SettingsScreen } from './SettingsScreen';
import { TrendingScreen } from './TrendingScreen';

export interface ScreenEntry {
  id: string;
  label: string;
  component: ComponentType;
}

/** Navigation order. Each domain replaces its PlannedScreen entry with its real screen. */
export const screens: ScreenEntry[] = [
  { id: 'catalog', label: 'Catalog', component: CatalogScreen },
  { id: 'trending', label: 'Trending', component: TrendingScreen },
  { id: 'installed', label: 'Installed', component: InstalledScreen },
  { id: 'operations', label: 'Operations', component: OperationsScreen },
  { id: 'runtimes', label: 'Runtimes', component: RuntimesScreen },
  { id: 'providers', label: 'Providers', component: ProvidersScreen },
  { id: 'chat', label: 'Chat', component: ChatScreen },
  { id: 'dashboard', label: 'Dashboard', component: DashboardScreen },
  { id: 'news', label: 'News', component: NewsScreen },
  { id: 'settings', label: 'Settings', component: SettingsScreen },
];
