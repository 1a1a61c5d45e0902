import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RuntimeInfo } from '../../src/shared/api/runtimes';
import { freePort } from '../support/net';
import { launchShell, removeHome, type ShellApp } from './harness';

interface MenuItem {
  type: string;
  label: string;
  enabled: boolean;
  checked: boolean;
  submenu?: MenuItem[];
}

const apps: ShellApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) {
    await app.kill();
    removeHome(app.home);
  }
});

async function start(options: Parameters<typeof launchShell>[0] = {}): Promise<ShellApp> {
  const app = await launchShell(options);
  apps.push(app);
  return app;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The tray menu as last set: waits until `match` accepts it. */
function trayMenu(app: ShellApp, match: (items: MenuItem[]) => boolean): Promise<MenuItem[]> {
  return app.until(() => {
    const last = app.callsTo('Tray.setContextMenu').at(-1)?.args[0] as MenuItem[] | undefined;
    return last && match(last) ? last : null;
  }, 'the tray menu to change');
}

describe('desktop shell: tray and quit', () => {
  it('switches runtimes from the tray, and quitting stops every runtime it owns and exits 0', async () => {
    const app = await start();
    const base = await app.loaded();
    const { switchyard } = await app.command<{ switchyard: { token: string } }>('runPreload');
    const runtimes = async () => {
      const res = await fetch(new URL('/api/v1/system/llm-servers', base), { headers: { authorization: `Bearer ${switchyard.token}` } });
      return ((await res.json()) as { servers: RuntimeInfo[] }).servers;
    };

    await trayMenu(app, (items) => items[0]?.label === 'No runtime active');
    await app.command('trayClick', { path: ['Ollama'] });
    const serving = await trayMenu(app, (items) => items[0]?.label === 'Ollama — ready');
    expect(serving.find((i) => i.label === 'Ollama')).toMatchObject({ type: 'radio', checked: true });
    const ollama = (await runtimes()).find((r) => r.name === 'ollama')!;
    expect(ollama).toMatchObject({ state: 'ready', owned: true, active: true });

    await app.command('trayClick', { path: ['Off'] });
    await trayMenu(app, (items) => items[0]?.label === 'No runtime active');
    await app.until(() => !alive(ollama.pid!), 'Ollama to stop');

    await app.command('trayClick', { path: ['Ollama'] });
    await trayMenu(app, (items) => items[0]?.label === 'Ollama — ready');
    const again = (await runtimes()).find((r) => r.name === 'ollama')!;
    expect(alive(again.pid!)).toBe(true);

    await app.command('trayClick', { path: ['Quit'] });
    expect(await app.exited).toEqual({ code: 0, signal: null });
    expect(alive(again.pid!)).toBe(false);
    // the user saw why quitting takes a moment
    expect(app.callsTo('Tray.setToolTip').at(-1)?.args[0]).toBe('Switchyard — Stopping runtimes…');
    expect(app.callsTo('app.exit').map((c) => c.args[0])).toEqual([0]);
  });
});

describe('desktop shell: start-up failures are shown, never an invisible app', () => {
  it('a SWITCHYARD_TOKEN that is too short', async () => {
    const app = await start({ env: { SWITCHYARD_TOKEN: 'short' } });
    const [call] = [await app.waitForCall('dialog.showErrorBox')];
    expect(call.args[0]).toBe('Switchyard could not start');
    expect(call.args[1]).toMatch(/SWITCHYARD_TOKEN is too short \(5 characters\): use at least 16/);
    expect((await app.exited).code).toBe(1);
    expect(app.callsTo('BrowserWindow.constructor')).toHaveLength(0);
  });

  it('a data dir that cannot be created', async () => {
    const home = mkdtempSync(join(tmpdir(), 'switchyard-shell-'));
    writeFileSync(join(home, 'not-a-dir'), '');
    const dataDir = join(home, 'not-a-dir', 'data');
    const app = await start({ home, env: { SWITCHYARD_DATA_DIR: dataDir } });
    const call = await app.waitForCall('dialog.showErrorBox');
    expect(call.args[1]).toContain(dataDir);
    expect(call.args[1]).toMatch(/--data-dir|SWITCHYARD_DATA_DIR/);
    expect((await app.exited).code).toBe(1);
  });

  it('a port taken by another program: starts on another port and says so', async () => {
    const port = await freePort();
    const squatter: Server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    try {
      const app = await start({ env: { SWITCHYARD_PORT: String(port) } });
      const base = new URL(await app.loaded());
      expect(Number(base.port)).not.toBe(port);
      expect((await fetch(new URL('/healthz', base))).status).toBe(200);
      const notice = await app.waitForCall('Notification.constructor');
      expect(JSON.stringify(notice.args[0])).toContain(`port ${port} is in use`);
      expect(JSON.stringify(notice.args[0])).toContain(`port ${base.port}`);
    } finally {
      squatter.close();
    }
  });
});
