import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, shell } from 'electron';
import { createCore, type Core } from './app';
import { startupFromArgv } from './config';
import { buildServer, type App } from './http/server';
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
const here = dirname(fileURLToPath(import.meta.url));

function showWindow(): void {
  if (window) {
    window.show();
    window.focus();
    return;
  }
  window = new BrowserWindow({
    width: 1280,
    height: 820,
    show: false,
    title: 'Switchyard',
    webPreferences: {
      preload: join(here, '../preload/index.cjs'),
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      additionalArguments: [`--switchyard-api=${baseUrl}`, `--switchyard-token=${core!.token}`],
    },
  });
  window.on('ready-to-show', () => window?.show());
  window.on('close', (event) => {
    if (!quitting && core?.settings.get().ui.closeToTray) {
      event.preventDefault();
      window?.hide();
    }
  });
  window.on('closed', () => (window = null));
  window.webContents.setWindowOpenHandler(({ url }) => {
    void shell.openExternal(url);
    return { action: 'deny' };
  });
  void window.loadURL(process.env.ELECTRON_RENDERER_URL ?? `${baseUrl}/`);
}

app.on('second-instance', () => showWindow());

app.whenReady().then(async () => {
  const options = startupFromArgv(process.argv.slice(1));
  core = await createCore({ ...options, dataDir: process.env.SWITCHYARD_DATA_DIR ? options.dataDir : join(app.getPath('userData')), port: options.port });
  server = await buildServer(core, { rendererDir: join(here, '../renderer') });
  await server.listen({ host: core.options.host, port: core.options.port });
  const address = server.server.address();
  baseUrl = `http://${core.options.host}:${typeof address === 'object' && address ? address.port : core.options.port}`;

  const tray = createTray(join(here, '../../resources/tray.png'), (action) => {
    switch (action.type) {
      case 'open':
        return showWindow();
      case 'quit':
        return app.quit();
      case 'off': {
        const active = core!.runtimes.activeInfo().active_server;
        if (active) void core!.runtimes.stop(active).catch(() => {});
        return;
      }
      case 'switch':
        void core!.runtimes.activate(action.runtime, { model: action.model }).catch(() => {});
        return;
    }
  });
  const refreshTray = () => tray.update({ runtimes: core!.runtimes.list() });
  refreshTray();
  core.events.on(refreshTray, ['runtime.state']);
  showWindow();
});

app.on('window-all-closed', () => {
  // Stays in the tray; quit from the tray menu.
});

app.on('before-quit', (event) => {
  if (quitting || !core) return;
  event.preventDefault();
  quitting = true;
  window?.setTitle('Switchyard — stopping runtimes…');
  void (async () => {
    await server?.close();
    await core?.stop();
    app.exit(0);
  })();
});
