/**
 * The `/docs` explorer's request interceptor. It runs in the browser: @fastify/swagger-ui serializes it
 * into the page with `toString()`, so it uses nothing from this module's scope. Opened from the signed-in
 * UI, "Try it out" sends the token the UI keeps in localStorage (unless one was entered with "Authorize")
 * — to this page's own origin only: a URL typed into the explorer bar gets no token.
 */
export function docsRequestInterceptor(req: { url: string; headers: Record<string, string> }): { url: string; headers: Record<string, string> } {
  try {
    if (new URL(req.url, location.href).origin !== location.origin) return req;
    const token = localStorage.getItem('switchyard.token');
    if (token && !req.headers.Authorization) req.headers.Authorization = `Bearer ${token}`;
  } catch {
    // storage blocked or a URL that does not parse: no token; the user can still Authorize by hand
  }
  return req;
}

/** A small icon for the browser tab: a public `/favicon.ico`, so the first load logs no 401. */
export const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#1f6feb"/><path d="M3 11h10M3 5h10M5 5l6 6" stroke="#fff" stroke-width="1.6" fill="none" stroke-linecap="round"/></svg>';
