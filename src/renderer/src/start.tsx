import './zod-setup';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import type { FirstLoad } from './api/first-load';
import { App, takeOverFirstLoad } from './App';
import { currentScreen, screens } from './screens/registry';
import { useStore } from './store';

/** The app, once main.tsx has sent the first requests: the token goes to the store, then the first render. */
export async function start(token: string | null, first: FirstLoad | null): Promise<void> {
  useStore.getState().setConnection({ token });
  if (first) takeOverFirstLoad(first);
  // The first screen's chunk (preloaded by index.html when it is the default screen) is there before
  // the first render, which then shows the screen itself rather than a Suspense fallback (registry.tsx).
  await screens.find((s) => s.id === currentScreen())?.ready();
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
