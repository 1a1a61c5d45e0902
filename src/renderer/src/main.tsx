import './zod-setup';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { currentScreen, screens } from './screens/registry';
import './styles.css';

// the first screen's chunk downloads while React starts, not after the first render asks for it
screens.find((s) => s.id === currentScreen())?.prefetch();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
