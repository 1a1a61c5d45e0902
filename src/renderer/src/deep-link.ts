/**
 * A deep link by path (`/chat`, `/catalog?model=x`: the server answers those with this page, as it
 * answers `/`) becomes the hash route the app navigates by (`/#/chat`, `/#/catalog?model=x`). A token
 * in the hash (`/chat#token=…`) stays there for initialToken; a hash that names a screen itself wins.
 */
export function deepLinkToHash(): void {
  const { pathname, search, hash } = window.location;
  const screen = pathname.replace(/^\/+|\/+$/g, '');
  if (!screen) return;
  // index.html's <base href="/"> resolves the app's `#/…` links against `/`: the page stays there
  if (screen === 'index.html') return history.replaceState(null, '', `/${search}${hash}`);
  const rest = hash.replace(/^#/, '');
  const route = rest.startsWith('/') ? rest : `/${screen}${search}${rest ? `&${rest}` : ''}`;
  history.replaceState(null, '', `/#${route}`);
}
