import { initialToken, setToken } from './api/client';
import { startFirstLoad } from './api/first-load';
import { deepLinkToHash } from './deep-link';
import './styles.css';

// The entry is small on purpose: it reads the token and sends the first requests (the event stream,
// the runtimes), then loads the app (React, the store: start.tsx). index.html preloads that chunk and
// the first screen's, so they download beside this one, and the first answer is under way while React
// is evaluated rather than after.
deepLinkToHash();
const token = initialToken();
setToken(token);
const first = token ? startFirstLoad() : null;

void import('./start').then(({ start }) => start(token, first));
