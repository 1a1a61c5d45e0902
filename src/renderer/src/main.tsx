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

// the first screen's chunk downloads while React starts, not after the first render asks for it
screens.find((s) => s.id === currentScreen())?.prefetch();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
