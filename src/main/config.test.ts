import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hfHubCache, loadOrCreateToken, SettingsService, startupFromArgv } from './config';
import { openDatabase } from './db/database';
import { SettingsRepo } from './db/settings-repo';
import { SecretStore } from './secrets';

const secrets = () => new SecretStore(join(tmp(), 'secrets.json'));

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'cfg-'));
  dirs.push(d);
  return d;
};

describe('settings precedence: flags > env > stored > defaults', () => {
  it('layers the sources and reports what is overridden', () => {
    const repo = new SettingsRepo(openDatabase(':memory:'));
    const s = new SettingsService(repo, { SWITCHYARD_VLLM_PORT: '9000', HF_ENDPOINT: 'http://hub.local/' }, { catalog: { offline: true } }, secrets());
    expect(s.get().vllm.port).toBe(9000);
    expect(s.get().hub.endpoint).toBe('http://hub.local');
    expect(s.get().catalog.offline).toBe(true);
    expect(s.get().ollama.port).toBe(11434);
    s.update({ vllm: { port: 8001, maxModelLen: 4096 }, ollama: { port: 12000 } });
    expect(s.get().vllm.port).toBe(9000); // env still wins
    expect(s.get().vllm.maxModelLen).toBe(4096);
    expect(s.get().ollama.port).toBe(12000);
    expect(s.stored().vllm.port).toBe(8001);
    expect(s.overriddenPaths().sort()).toEqual(['catalog.offline', 'hub.endpoint', 'vllm.port']);
  });

  it('proxy variables (any case) override Settings → Network; a stored proxy must be a URL', () => {
    const repo = new SettingsRepo(openDatabase(':memory:'));
    const s = new SettingsService(repo, { https_proxy: 'proxy.corp:3128', NO_PROXY: '.corp,10.0.0.0/8' }, {}, secrets());
    expect(s.get().network).toEqual({ proxy: 'http://proxy.corp:3128', noProxy: '.corp,10.0.0.0/8' });
    expect(s.overriddenPaths().sort()).toEqual(['network.noProxy', 'network.proxy']);
    const plain = new SettingsService(new SettingsRepo(openDatabase(':memory:')), {}, {}, secrets());
    expect(plain.update({ network: { proxy: 'http://user:pw@proxy:8080' } }).network.proxy).toBe('http://user:pw@proxy:8080');
    expect(() => plain.update({ network: { proxy: 'not a url' } })).toThrow();
    expect(() => plain.update({ network: { noProxy: 'a\nb' } })).toThrow();
  });

  it('a patch leaves the fields it does not name alone', () => {
    const repo = new SettingsRepo(openDatabase(':memory:'));
    const s = new SettingsService(repo, {}, {}, secrets());
    s.update({ vllm: { env: { CUDA_VISIBLE_DEVICES: '1' }, extraArgs: ['--enforce-eager'] } });
    s.update({ vllm: { port: 8100 } });
    expect(s.get().vllm).toMatchObject({ port: 8100, env: { CUDA_VISIBLE_DEVICES: '1' }, extraArgs: ['--enforce-eager'] });
  });

  it('names SWITCHYARD_TOKEN when it is too short, in one sentence', () => {
    expect(() => startupFromArgv([], { SWITCHYARD_TOKEN: 'short' })).toThrow(/^SWITCHYARD_TOKEN is too short \(5 characters\): use at least 16/);
  });

  it('parses serve flags over env', () => {
    const o = startupFromArgv(['--port', '9999', '--data-dir', '/tmp/x', '--offline'], { SWITCHYARD_PORT: '1', SWITCHYARD_HOST: '0.0.0.0' });
    expect(o).toMatchObject({ port: 9999, dataDir: '/tmp/x', host: '0.0.0.0', flagOverrides: { catalog: { offline: true } } });
    expect(startupFromArgv([], { XDG_DATA_HOME: '/xdg' }).dataDir).toBe('/xdg/switchyard');
  });

  it('computes the HF cache like huggingface_hub', () => {
    const repo = new SettingsRepo(openDatabase(':memory:'));
    expect(hfHubCache(new SettingsService(repo, { HF_HOME: '/h' }, {}, secrets()).get(), { HF_HOME: '/h' })).toBe('/h/hub');
    expect(hfHubCache(new SettingsService(repo, { HF_HUB_CACHE: '/c', HF_HOME: '/h' }, {}, secrets()).get(), {})).toBe('/c');
    expect(hfHubCache(new SettingsService(repo, {}, {}, secrets()).get(), { XDG_CACHE_HOME: '/x' })).toBe('/x/huggingface/hub');
  });
});

describe('API token', () => {
  it('is generated once, kept with 0600 permissions, and replaced by SWITCHYARD_TOKEN', () => {
    const dir = tmp();
    const a = loadOrCreateToken(dir);
    expect(a.length).toBeGreaterThanOrEqual(32);
    expect(loadOrCreateToken(dir)).toBe(a);
    expect(statSync(join(dir, 'token')).mode & 0o777).toBe(0o600);
    expect(loadOrCreateToken(dir, 'explicit-token-1234567')).toBe('explicit-token-1234567');
  });
});
