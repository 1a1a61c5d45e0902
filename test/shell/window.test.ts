import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchShell, removeHome, type ShellApp } from './harness';

// The built main process under the fake Electron: what the window may do, and what reaches the page.
describe('desktop shell: the window', () => {
  let shell: ShellApp;
  let base: string;

  beforeAll(async () => {
    shell = await launchShell();
    base = await shell.loaded();
  });

  afterAll(async () => {
    await shell.kill();
    removeHome(shell.home);
  });

  it('opens one window on its own API, sandboxed and isolated, without Node in the page', async () => {
    const [window] = shell.callsTo('BrowserWindow.constructor');
    const prefs = (window!.args[0] as { webPreferences: Record<string, unknown> }).webPreferences;
    expect(prefs).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false });
    // nothing that would weaken them
    for (const key of ['webSecurity', 'allowRunningInsecureContent', 'nodeIntegrationInSubFrames', 'nodeIntegrationInWorker', 'webviewTag', 'experimentalFeatures']) {
      expect(prefs[key] === undefined || prefs[key] === (key === 'webSecurity')).toBe(true);
    }
    expect(base).toBe(`http://127.0.0.1:${shell.env.SWITCHYARD_PORT}/`);
    const health = await fetch(new URL('/healthz', base));
    expect(health.status).toBe(200);
  });

  it('hands the API token to our origin’s main frame only', async () => {
    const ours = await shell.command<{ switchyard: { apiBase: string; token: string; pickExecutable: string } }>('runPreload', { frame: 'main' });
    expect(ours.switchyard.apiBase).toBe(base.replace(/\/$/, ''));
    expect(ours.switchyard.token.length).toBeGreaterThanOrEqual(16);
    const runtimes = await fetch(new URL('/api/v1/system/llm-servers', base), { headers: { authorization: `Bearer ${ours.switchyard.token}` } });
    expect(runtimes.status).toBe(200);

    // an iframe — foreign or even of our own origin — is not the UI
    for (const url of ['https://evil.example/embed', `${base}docs`]) {
      const framed = await shell.command<{ switchyard: { token: string } }>('runPreload', { frame: { url } });
      expect(framed.switchyard.token).toBe('');
    }
  });

  it('refuses the token to a foreign page that took over the main frame', async () => {
    // a navigation the guard never saw (a redirect, history): the main frame is still "the main frame"
    await shell.command('navigate', { url: 'https://evil.example/phish', unseen: true });
    const foreign = await shell.command<{ switchyard: { apiBase: string; token: string } }>('runPreload', { frame: 'main' });
    expect(foreign.switchyard).toMatchObject({ apiBase: '', token: '' });
    // the file picker is refused to it as well
    await shell.command('setOpenDialogResult', { result: { canceled: false, filePaths: ['/usr/bin/vllm'] } });
    expect(await shell.command('callExposed', { key: 'switchyard', method: 'pickExecutable', args: ['Choose vLLM'] })).toBeNull();
    expect(shell.callsTo('dialog.showOpenDialog')).toHaveLength(0);
    // back on our own page, both work again
    await shell.command('navigate', { url: base, unseen: true });
    const again = await shell.command<{ switchyard: { token: string } }>('runPreload', { frame: 'main' });
    expect(again.switchyard.token.length).toBeGreaterThanOrEqual(16);
    expect(await shell.command('callExposed', { key: 'switchyard', method: 'pickExecutable', args: ['Choose vLLM'] })).toBe('/usr/bin/vllm');
  });

  it('opens http and https links in the system browser and refuses every other scheme', async () => {
    for (const url of ['https://huggingface.co/Qwen/Qwen3-8B', 'http://example.com/page']) {
      expect(await shell.command('windowOpen', { url })).toEqual({ action: 'deny' });
      await shell.waitForCall('shell.openExternal', (c) => c.args[0] === url);
    }
    for (const url of ['smb://attacker.example/share', 'file:///etc/passwd', 'vscode://file/etc/passwd', 'ms-msdt:/id PCWDiagnostic', 'javascript:alert(1)', 'HTTPS://example.com', 'https:/\\evil.example']) {
      expect(await shell.command('windowOpen', { url })).toEqual({ action: 'deny' });
    }
    const opened = shell.callsTo('shell.openExternal').map((c) => c.args[0]);
    expect(opened.every((u) => /^https?:\/\//.test(String(u)))).toBe(true);
    // the upper-case and odd-slash spellings are parsed, not string-matched: they open as the https URL they are
    expect(opened.filter((u) => !['https://huggingface.co/Qwen/Qwen3-8B', 'http://example.com/page'].includes(String(u)))).toEqual(['https://example.com/', 'https://evil.example/']);
  });

  it('keeps the window on its own origin', async () => {
    expect(await shell.command('navigate', { url: 'https://evil.example/' })).toEqual({ prevented: true });
    expect(await shell.command('navigate', { url: 'file:///etc/passwd' })).toEqual({ prevented: true });
    expect(await shell.command('navigate', { url: `http://localhost:${shell.env.SWITCHYARD_PORT}/` })).toEqual({ prevented: true });
    expect(await shell.command('navigate', { url: `${base}models` })).toEqual({ prevented: false });
  });

  it('denies permission requests', async () => {
    for (const permission of ['media', 'geolocation', 'notifications', 'openExternal', 'display-capture', 'clipboard-read', 'fileSystem']) {
      expect(await shell.command('permission', { permission })).toEqual({ granted: false, checked: false });
    }
    // writing to the clipboard (the "copy" buttons) is allowed to our own page, to no other
    expect(await shell.command('permission', { permission: 'clipboard-sanitized-write' })).toEqual({ granted: true, checked: true });
    expect(await shell.command('permission', { permission: 'clipboard-sanitized-write', requestingUrl: 'https://evil.example/' })).toEqual({ granted: false, checked: false });
  });
});
