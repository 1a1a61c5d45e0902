import { describe, expect, it } from 'vitest';
import { bypassesProxy, isLoopbackHost, proxyFromEnv } from './proxy-env';

describe('proxy variables', () => {
  it('reads lower case before upper case, all_proxy as the fallback, scheme-less as http://', () => {
    expect(proxyFromEnv({ https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:2', HTTP_PROXY: 'proxy:3128' })).toEqual({
      httpsProxy: 'http://lower:1',
      httpProxy: 'http://proxy:3128',
      noProxy: '',
    });
    expect(proxyFromEnv({ ALL_PROXY: 'http://all:9', no_proxy: 'a.b' })).toEqual({ httpsProxy: 'http://all:9', httpProxy: 'http://all:9', noProxy: 'a.b' });
  });

  it('uses the Settings proxy only where the environment names none', () => {
    const settings = { proxy: 'http://settings:8080', noProxy: 'corp.example' };
    expect(proxyFromEnv({}, settings)).toEqual({ httpsProxy: 'http://settings:8080', httpProxy: 'http://settings:8080', noProxy: 'corp.example' });
    expect(proxyFromEnv({ HTTPS_PROXY: 'http://env:1' }, settings).httpsProxy).toBe('http://env:1');
  });

  it('never proxies loopback', () => {
    for (const h of ['localhost', '127.0.0.1', '127.0.0.2', '[::1]', 'foo.localhost']) expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['huggingface.co', '10.0.0.1', '128.0.0.1', '::2']) expect(isLoopbackHost(h)).toBe(false);
    expect(bypassesProxy(new URL('http://127.0.0.1:11434/api/tags'), '')).toBe(true);
  });

  it('matches NO_PROXY as curl does: suffixes, leading dots, ports, CIDRs, *', () => {
    const u = (s: string) => new URL(s);
    expect(bypassesProxy(u('https://cdn.hf.co/x'), 'hf.co')).toBe(true);
    expect(bypassesProxy(u('https://cdn.hf.co/x'), '.hf.co')).toBe(true);
    expect(bypassesProxy(u('https://hf.co/x'), '*.hf.co')).toBe(true);
    expect(bypassesProxy(u('https://nothf.co/x'), 'hf.co')).toBe(false);
    expect(bypassesProxy(u('https://hf.co/x'), 'hf.co:8443')).toBe(false);
    expect(bypassesProxy(u('https://hf.co:8443/x'), 'other, hf.co:8443')).toBe(true);
    expect(bypassesProxy(u('http://10.1.2.3/x'), '10.0.0.0/8')).toBe(true);
    expect(bypassesProxy(u('http://11.1.2.3/x'), '10.0.0.0/8')).toBe(false);
    expect(bypassesProxy(u('http://[fd00::1]/x'), 'fd00::/8')).toBe(true);
    expect(bypassesProxy(u('https://anything/x'), '*')).toBe(true);
  });
});
