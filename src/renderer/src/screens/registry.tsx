import { lazy, type ComponentType, type LazyExoticComponent } from 'react';

export interface ScreenEntry {
  id: string;
  label: string;
  /** the screen, loaded from its own chunk the first time it renders (inside App's Suspense) */
  component: LazyExoticComponent<ComponentType>;
  /**
   * The screen itself once its chunk has loaded, else null. App renders this when it can: a lazy
   * component suspends on its first render even when its chunk is already there, and React then holds
   * the fallback on screen for at least 300 ms (its Suspense throttle) before showing the screen.
   */
  loaded(): ComponentType | null;
  /** starts loading the chunk without rendering it (pointer resting on the nav link); safe to call often */
  prefetch(): void;
  /** the chunk's download, settled either way (start.tsx waits for the first screen's before the first render) */
  ready(): Promise<void>;
}

type Module = Record<string, unknown>;

/**
 * One entry per screen. Each screen is a dynamic import, so the bundler gives it a chunk of its own
 * (uPlot goes with the Dashboard, markdown-it with the model page and Chat) and the first screen loads
 * only its own code. One promise per screen: a prefetch and the render share the download; a failed
 * load is forgotten, so the next try fetches again.
 */
function screen(id: string, label: string, load: () => Promise<Module>, name: string): ScreenEntry {
  let pending: Promise<{ default: ComponentType }> | null = null;
  let loaded: ComponentType | null = null;
  const fetchChunk = () =>
    (pending ??= load().then(
      (m) => ({ default: (loaded = m[name] as ComponentType) }),
      (error: unknown) => {
        pending = null;
        throw error;
      },
    ));
  const ready = () => fetchChunk().then(
    () => undefined,
    () => undefined,
  );
  return { id, label, component: lazy(fetchChunk), loaded: () => loaded, prefetch: () => void ready(), ready };
}

/** Navigation order. */
export const screens: ScreenEntry[] = [
  screen('catalog', 'Catalog', () => import('./CatalogScreen'), 'CatalogScreen'),
  screen('trending', 'Trending', () => import('./TrendingScreen'), 'TrendingScreen'),
  screen('installed', 'Installed', () => import('./InstalledScreen'), 'InstalledScreen'),
  screen('operations', 'Operations', () => import('./OperationsScreen'), 'OperationsScreen'),
  screen('runtimes', 'Runtimes', () => import('./RuntimesScreen'), 'RuntimesScreen'),
  screen('providers', 'Providers', () => import('./ProvidersScreen'), 'ProvidersScreen'),
  screen('chat', 'Chat', () => import('./ChatScreen'), 'ChatScreen'),
  screen('dashboard', 'Dashboard', () => import('./DashboardScreen'), 'DashboardScreen'),
  screen('news', 'News', () => import('./NewsScreen'), 'NewsScreen'),
  screen('settings', 'Settings', () => import('./SettingsScreen'), 'SettingsScreen'),
];

/**
 * The screen the URL names (`#/chat`), or Runtimes. The default screen's chunks are preloaded by
 * index.html (preloadFirstScreen in electron.vite.config.ts names RuntimesScreen.tsx).
 */
export function currentScreen(): string {
  const id = window.location.hash.replace(/^#\/?/, '').split(/[?&]/)[0];
  return screens.some((s) => s.id === id) ? id! : 'runtimes';
}
