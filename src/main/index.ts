import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, Notification, safeStorage, screen, session, shell, type Rectangle } from 'electron';
import { createCore, type Core } from './app';
import { installCrashPolicy } from './crash-policy';
import { startupFromArgv } from './config';
import { buildServer, type App } from './http/server';
import { NotificationPolicy } from './notifications';
import { createTray } from './tray';
import { trayState } from './tray-menu';
import { WindowGuards } from './window-guards';

/**
 * Electron shell: single instance, window, tray, graceful quit. The core and its HTTP API run here;
 * the window loads the UI from that same server, with the token handed over by the preload script.
 */
let core: Core | null = null;
let server: App | null = null;
let window: BrowserWindow | null = null;
let quitting = false;
let baseUrl = '';
let tray: ReturnType<typeof createTray> | null = null;
const here = dirname(fileURLToPath(import.meta.url));
const WINDOW_STATE_KEY = 'ui.window';
const guards = new WindowGuards({
  openExternal: (url) => shell.openExternal(url),
  warn: (message, url) => core?.logger.warn({ url }, message),
});

/** The last window bounds, if they are still on a connected display. */
function savedBounds(): Partial<Rectangle> & { maximized?: boolean } {
  const saved = core!.state.readState<Rectangle & { maximized?: boolean }>(WINDOW_STATE_KEY);
  if (!saved) return {};
  const visible = screen.getAllDisplays().some(({ workArea: a }) => saved.x < a.x + a.width && saved.x + saved.width > a.x && saved.y < a.y + a.height && saved.y + saved.height > a.y);
  return visible ? saved : { width: saved.width, height: saved.height, maximized: saved.maximized };
}

function saveBounds(): void {
  if (window && !window.isDestroyed()) core?.state.writeState(WINDOW_STATE_KEY, { ...window.getNormalBounds(), maximized: window.isMaximized() });
}

function showWindow(): void {
  if (!core) return; // still starting: the window opens when it is ready
  if (window) {
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
    return;
  }
  const bounds = savedBounds();
  window = new BrowserWindow({
    width: bounds.width ?? 1280,
    height: bounds.height ?? 820,
    x: bounds.x,
    y: bounds.y,
    show: false,
    title: 'Switchyard',
    webPreferences: {
      preload: join(here, '../preload/index.cjs'),
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
    },
  });
  window.on('ready-to-show', () => {
    if (bounds.maximized) window?.maximize();
    window?.show();
  });
  window.on('close', (event) => {
    saveBounds();
    if (!quitting && core?.settings.get().ui.closeToTray) {
      event.preventDefault();
      window?.hide();
    }
  });
  window.on('minimize', () => {
    if (core?.settings.get().ui.minimizeToTray) window?.hide();
  });
  window.on('closed', () => (window = null));
  void window.loadURL(process.env.ELECTRON_RENDERER_URL ?? `${baseUrl}/`);
}

// Every web contents (the window, and anything a page manages to open) gets the same guards.
app.on('web-contents-created', (_event, contents) => guards.guard(contents));

// The renderer asks the preload for the API address and token over IPC — never on its command line,
// which every local user can read in /proc/<pid>/cmdline. Only our UI (top frame, our origin) gets them.
ipcMain.on('switchyard:connection', (event) => {
  const ours = window !== null && core !== null && guards.fromOurUi(event, window.webContents);
  event.returnValue = ours ? { apiBase: baseUrl, token: core!.token } : { apiBase: '', token: '' };
});

/** Secrets at rest encrypted with the OS keychain (libsecret / Keychain / DPAPI) when there is one. */
function keychainCipher() {
  if (!safeStorage.isEncryptionAvailable()) return undefined;
  return { name: 'electron-safeStorage', encrypt: (plain: string) => safeStorage.encryptString(plain), decrypt: (data: Buffer) => safeStorage.decryptString(data) };
}

// "Locate…" on the Runtimes screen: the renderer gets only the chosen path, which the API then checks
ipcMain.handle('switchyard:pick-executable', async (event, title: unknown) => {
  if (!window || !guards.fromOurUi(event, window.webContents)) return null;
  const result = await dialog.showOpenDialog(window, { title: typeof title === 'string' ? title.slice(0, 200) : 'Choose a program', properties: ['openFile', 'showHiddenFiles'] });
  return result.canceled ? null : (result.filePaths[0] ?? null);
});

// "Import…" on Installed: a .gguf file or a model folder; the API then checks what it is
ipcMain.handle('switchyard:pick-model-path', async (event, kind: unknown) => {
  if (!window || !guards.fromOurUi(event, window.webContents)) return null;
  const folder = kind === 'folder';
  const result = await dialog.showOpenDialog(window, {
    title: folder ? 'Choose a model folder (config.json, tokenizer, *.safetensors)' : 'Choose a GGUF file',
    properties: [folder ? 'openDirectory' : 'openFile'],
    ...(folder ? {} : { filters: [{ name: 'GGUF models', extensions: ['gguf'] }] }),
  });
  return result.canceled ? null : (result.filePaths[0] ?? null);
});

/** Listens on the configured port; if another program holds it, on a free one (and says which). */
async function listen(c: Core, s: App, notify: (title: string, body: string) => void): Promise<number> {
  try {
    await s.listen({ host: c.options.host, port: c.options.port });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || c.options.port === 0) throw error;
    await s.listen({ host: c.options.host, port: 0 });
    const address = s.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const message = `Another program uses port ${c.options.port}, so Switchyard listens on port ${port}. The CLI finds it through the data dir; other clients need the new address.`;
    c.logger.warn({ wanted: c.options.port, port }, message);
    notify(`Switchyard is on port ${port}`, `port ${c.options.port} is in use by another program: Switchyard listens on port ${port} instead.`);
  }
  const address = s.server.address();
  return typeof address === 'object' && address ? address.port : c.options.port;
}

async function start(): Promise<void> {
  const argv = process.argv.slice(1);
  const options = startupFromArgv(argv);
  // the desktop app keeps its data in Electron's userData unless told otherwise (flag or env)
  const explicitDir = process.env.SWITCHYARD_DATA_DIR !== undefined || argv.some((a) => a === '--data-dir' || a.startsWith('--data-dir='));
  const c = await createCore({ ...options, dataDir: explicitDir ? options.dataDir : app.getPath('userData') }, { secretCipher: keychainCipher() });
  core = c;
  installCrashPolicy(c.logger);
  const devOrigin = process.env.ELECTRON_RENDERER_URL ? new URL(process.env.ELECTRON_RENDERER_URL).origin : null;
  server = await buildServer(c, { rendererDir: join(here, '../renderer'), extraOrigins: devOrigin ? [devOrigin] : [] });

  const notify = (title: string, body: string, urgent = false) => {
    if (!c.settings.get().ui.notifications || !Notification.isSupported()) return;
    new Notification({ title, body, urgency: urgent ? 'critical' : 'normal' }).show();
  };
  const port = await listen(c, server, notify);
  baseUrl = `http://${c.options.host.includes(':') ? `[${c.options.host}]` : c.options.host}:${port}`;
  c.instance.describe({ url: baseUrl });
  guards.allow(baseUrl);
  if (devOrigin) guards.allow(devOrigin);
  guards.lockPermissions(session.defaultSession);

  const fail = (what: string) => (error: unknown) => notify(what, error instanceof Error ? error.message : String(error), true);
  tray = createTray(join(here, '../../resources/tray.png'), (action) => {
    switch (action.type) {
      case 'open':
        return showWindow();
      case 'quit':
        return app.quit();
      case 'off':
        // through the activation service, like the API's stop: the model gets its `deactivated` event
        void c.activation.stops.stopAll().catch(fail('Could not stop the runtime'));
        return;
      case 'switch':
        // a switch with a model is an activation: same lifecycle rules as the API (failures are notified)
        void c.activation.switchTo(action.runtime, action.model).catch(() => {});
        return;
    }
  });
  const refreshTray = () => {
    if (quitting) return; // the tray shows "Stopping runtimes…" until the end
    tray?.update(trayState(c));
  };
  refreshTray();
  c.events.on(refreshTray, ['runtime.state', 'models.changed', 'model.activation', 'providers.changed']);
  const policy = new NotificationPolicy();
  c.events.on(
    (event) => {
      const notice = policy.noticeFor(event);
      if (notice) notify(notice.title, notice.body, notice.urgent);
    },
    ['operation.updated', 'model.activation', 'runtime.state', 'provider.budget'],
  );
  showWindow();
}

/** Stops the API and every runtime this app owns (runtimes first: the database closes last). */
async function shutdown(): Promise<void> {
  saveBounds();
  await server?.close().catch(() => {});
  await core?.stop();
}

// A second launch hands its arguments to this instance (which shows its window) and ends.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => showWindow());
  let starting: Promise<void> | null = null;

  app.on('before-quit', (event) => {
    if (quitting) return;
    event.preventDefault();
    quitting = true;
    // stopping vLLM can take seconds (grace period): say so where the user looks
    if (core?.runtimes.list().some((r) => r.owned)) {
      window?.setTitle('Switchyard — stopping runtimes…');
      tray?.setStatus('Stopping runtimes…');
    }
    // a quit during start-up waits for it: runtimes recovered or started meanwhile are stopped too
    void (async () => {
      await starting?.catch(() => {});
      let code = 0;
      await shutdown().catch((error: unknown) => {
        core?.logger.error({ err: error }, 'error while quitting');
        code = 1;
      });
      app.exit(code);
    })();
  });

  app.on('window-all-closed', () => {
    // Stays in the tray; quit from the tray menu.
  });

  starting = app.whenReady().then(start);
  starting.catch(async (error: unknown) => {
    // Never an invisible app: say what went wrong (and what to do), then end with a failure status.
    const message = error instanceof Error ? error.message : String(error);
    core?.logger.error({ err: error }, 'Switchyard could not start');
    dialog.showErrorBox('Switchyard could not start', message);
    quitting = true;
    await shutdown().catch(() => {});
    app.exit(1);
  });
}
