import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, Notification, safeStorage, screen, shell, type Rectangle } from 'electron';
import { createCore, type Core } from './app';
import { startupFromArgv } from './config';
import { buildServer, type App } from './http/server';
import { NotificationPolicy } from './notifications';
import { createTray } from './tray';

/**
 * Electron shell: single instance, window, tray, graceful quit. The core and its HTTP API run here;
 * the window loads the UI from that same server, with the token handed over by the preload script.
 */
if (!app.requestSingleInstanceLock()) app.quit();

let core: Core | null = null;
let server: App | null = null;
let window: BrowserWindow | null = null;
let quitting = false;
let baseUrl = '';
let tray: ReturnType<typeof createTray> | null = null;
const here = dirname(fileURLToPath(import.meta.url));

const WINDOW_STATE_KEY = 'ui.window';

/** The last window bounds, if they are still on a connected display. */
function savedBounds(): Partial<Rectangle> & { maximized?: boolean } {
  const saved = core!.state.readState<Rectangle & { maximized?: boolean }>(WINDOW_STATE_KEY);
  if (!saved) return {};
  const visible = screen.getAllDisplays().some(({ workArea: a }) => saved.x < a.x + a.width && saved.x + saved.width > a.x && saved.y < a.y + a.height && saved.y + saved.height > a.y);
  return visible ? saved : { width: saved.width, height: saved.height, maximized: saved.maximized };
}

function showWindow(): void {
  if (window) {
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
    if (window) core?.state.writeState(WINDOW_STATE_KEY, { ...window.getNormalBounds(), maximized: window.isMaximized() });
    if (!quitting && core?.settings.get().ui.closeToTray) {
      event.preventDefault();
      window?.hide();
    }
  });
  window.on('minimize', () => {
    if (core?.settings.get().ui.minimizeToTray) window?.hide();
  });
  window.on('closed', () => (window = null));
  window.webContents.setWindowOpenHandler(({ url }) => {
    void shell.openExternal(url);
    return { action: 'deny' };
  });
  void window.loadURL(process.env.ELECTRON_RENDERER_URL ?? `${baseUrl}/`);
}

app.on('second-instance', () => showWindow());

// The renderer asks the preload for the API address and token over IPC — never on its command line,
// which every local user can read in /proc/<pid>/cmdline. Only our own window's top frame gets them.
ipcMain.on('switchyard:connection', (event) => {
  const fromOurWindow = window !== null && event.sender === window.webContents && event.senderFrame === window.webContents.mainFrame;
  event.returnValue = fromOurWindow && core ? { apiBase: baseUrl, token: core.token } : { apiBase: '', token: '' };
});

/** Secrets at rest encrypted with the OS keychain (libsecret / Keychain / DPAPI) when there is one. */
function keychainCipher() {
  if (!safeStorage.isEncryptionAvailable()) return undefined;
  return { name: 'electron-safeStorage', encrypt: (plain: string) => safeStorage.encryptString(plain), decrypt: (data: Buffer) => safeStorage.decryptString(data) };
}

// "Locate…" on the Runtimes screen: the renderer gets only the chosen path, which the API then checks
ipcMain.handle('switchyard:pick-executable', async (event, title: unknown) => {
  if (window === null || event.sender !== window.webContents) return null;
  const options = { title: typeof title === 'string' ? title.slice(0, 200) : 'Choose a program', properties: ['openFile' as const, 'showHiddenFiles' as const] };
  const result = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options);
  return result.canceled ? null : (result.filePaths[0] ?? null);
});

app.whenReady().then(async () => {
  const options = startupFromArgv(process.argv.slice(1));
  core = await createCore({ ...options, dataDir: process.env.SWITCHYARD_DATA_DIR ? options.dataDir : join(app.getPath('userData')), port: options.port }, { secretCipher: keychainCipher() });
  const devOrigin = process.env.ELECTRON_RENDERER_URL ? new URL(process.env.ELECTRON_RENDERER_URL).origin : null;
  server = await buildServer(core, { rendererDir: join(here, '../renderer'), extraOrigins: devOrigin ? [devOrigin] : [] });
  await server.listen({ host: core.options.host, port: core.options.port });
  const address = server.server.address();
  baseUrl = `http://${core.options.host}:${typeof address === 'object' && address ? address.port : core.options.port}`;

  const c = core;
  const notify = (title: string, body: string, urgent = false) => {
    if (!c.settings.get().ui.notifications || !Notification.isSupported()) return;
    new Notification({ title, body, urgency: urgent ? 'critical' : 'normal' }).show();
  };
  const fail = (what: string) => (error: unknown) => notify(what, error instanceof Error ? error.message : String(error), true);
  tray = createTray(join(here, '../../resources/tray.png'), (action) => {
    switch (action.type) {
      case 'open':
        return showWindow();
      case 'quit':
        return app.quit();
      case 'off':
        // through the activation service, like the API's stop: the model gets its `deactivated` event
        void c.activation.stopActive().catch(fail('Could not stop the runtime'));
        return;
      case 'switch':
        // a switch with a model is an activation: same lifecycle rules as the API (failures are notified)
        void c.activation.switchTo(action.runtime, action.model).catch(() => {});
        return;
    }
  });
  const refreshTray = () => {
    const models = c.models.list().filter((m) => m.status === 'installed' && m.validated);
    tray?.update({
      runtimes: c.runtimes.list(),
      models: { vllm: models.filter((m) => m.runtime === 'vllm').map((m) => m.name), ollama: models.filter((m) => m.runtime === 'ollama').map((m) => m.name) },
    });
  };
  refreshTray();
  c.events.on(refreshTray, ['runtime.state', 'models.changed']);
  const policy = new NotificationPolicy();
  c.events.on(
    (event) => {
      const notice = policy.noticeFor(event);
      if (notice) notify(notice.title, notice.body, notice.urgent);
    },
    ['operation.updated', 'model.activation', 'runtime.state'],
  );
  showWindow();
});

app.on('window-all-closed', () => {
  // Stays in the tray; quit from the tray menu.
});

app.on('before-quit', (event) => {
  if (quitting || !core) return;
  event.preventDefault();
  quitting = true;
  // stopping vLLM can take seconds (grace period): say so where the user looks
  const owned = core.runtimes.list().some((r) => r.owned);
  if (owned) {
    window?.setTitle('Switchyard — stopping runtimes…');
    tray?.setStatus('Stopping runtimes…');
  }
  void (async () => {
    await server?.close();
    await core?.stop();
    app.exit(0);
  })();
});
