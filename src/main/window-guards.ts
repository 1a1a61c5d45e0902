import type { IpcMainEvent, IpcMainInvokeEvent, Session, WebContents } from 'electron';

/**
 * What a page in the desktop window may do, decided by origin (scheme, host, port), never by which
 * frame object is asking: a document that navigated the main frame elsewhere is still the main frame.
 * Only the UI served by our own API (and the dev server in development) is "ours".
 */
export class WindowGuards {
  private readonly origins = new Set<string>();

  constructor(private readonly deps: { openExternal(url: string): Promise<void>; warn(message: string, url: string): void }) {}

  /** An origin whose pages are our UI (set once the API listens; the dev server's in development). */
  allow(url: string): void {
    this.origins.add(new URL(url).origin);
  }

  isOurs(url: string | undefined | null): boolean {
    if (!url) return false;
    try {
      const parsed = new URL(url);
      return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && this.origins.has(parsed.origin);
    } catch {
      return false;
    }
  }

  /** The IPC sender is our UI: the top-level document of one of our web contents, on our origin. */
  fromOurUi(event: IpcMainEvent | IpcMainInvokeEvent, contents: WebContents | null): boolean {
    const frame = event.senderFrame;
    return contents !== null && event.sender === contents && frame !== null && frame.parent === null && this.origins.has(frame.origin);
  }

  /**
   * A link the page wants opened outside: http(s) goes to the system browser (as the URL parser reads
   * it, so `HTTPS:` or `https:/\host` cannot smuggle another host past a prefix check); every other
   * scheme (file:, smb:, vscode:, ms-msdt:…) would hand the OS a program to run, and is refused.
   */
  openOutside(url: string): void {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return this.deps.warn('refused to open a link that is not a URL', url.slice(0, 200));
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return this.deps.warn('refused to open a link with this scheme', `${parsed.protocol}…`);
    this.deps.openExternal(parsed.href).catch(() => this.deps.warn('the system browser did not open the link', parsed.href));
  }

  /** Guards every web contents Electron creates (call from app 'web-contents-created'). */
  guard(contents: WebContents): void {
    contents.setWindowOpenHandler(({ url }) => {
      this.openOutside(url);
      return { action: 'deny' };
    });
    // a dropped link or a script must not take the window (and the preload's bridge) to another origin
    const stayHome = (event: { url: string; preventDefault(): void }) => {
      if (this.isOurs(event.url)) return;
      event.preventDefault();
      this.deps.warn('refused to navigate the window away from Switchyard', event.url.slice(0, 200));
    };
    contents.on('will-navigate', stayHome);
    contents.on('will-redirect', stayHome);
    contents.on('will-attach-webview', (event) => event.preventDefault());
  }

  /**
   * Permissions: none, except writing to the clipboard from our own page (the "copy" buttons). Both the
   * request and the check handler say so; without them Electron grants almost everything.
   */
  lockPermissions(session: Session): void {
    const allowed = (permission: string, url: string | undefined) => permission === 'clipboard-sanitized-write' && this.isOurs(url);
    session.setPermissionRequestHandler((_contents, permission, callback, details) => callback(allowed(permission, details.requestingUrl)));
    session.setPermissionCheckHandler((_contents, permission, requestingOrigin) => allowed(permission, requestingOrigin));
  }
}
