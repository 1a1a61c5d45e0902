import './zod-setup';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App, startFirstLoad } from './App';
import { initialToken, setToken } from './api/client';
import { useStore } from './store';
import { currentScreen, screens } from './screens/registry';
import './styles.css';

// the token before the first render: the app renders once, with its screen, not the token form first
const token = initialToken();
setToken(token);
useStore.getState().setConnection({ token });
if (token) startFirstLoad();

// The first screen's chunk (preloaded by index.html when it is the default screen) is there before the
// first render, which then shows the screen itself rather than a Suspense fallback (registry.tsx).
const firstScreen = screens.find((s) => s.id === currentScreen());
void (firstScreen?.ready() ?? Promise.resolve()).then(() =>
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <App />
    </StrictMode>,
  ),
);
