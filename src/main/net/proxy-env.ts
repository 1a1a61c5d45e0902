import { BlockList, isIP } from 'node:net';

/** Where outbound requests go: a proxy per scheme (null: direct) and the hosts that skip it. */
export interface ProxyConfig {
  httpProxy: string | null;
  httpsProxy: string | null;
  /** NO_PROXY as written: comma or space separated hosts, domains, IPs, CIDRs, `*` */
  noProxy: string;
}

type Env = Record<string, string | undefined>;

/** Lower-case first, as curl and Python's urllib (requests, httpx, so huggingface_hub) read them. */
function pick(env: Env, name: string): string | null {
  const v = env[name.toLowerCase()] ?? env[name.toUpperCase()];
  return v && v.trim() ? v.trim() : null;
}

/**
 * The proxy variables as curl and huggingface_hub read them: `https_proxy` for https URLs,
 * `http_proxy` for http ones, `all_proxy` for both when the scheme's own is unset, `no_proxy`
 * for exceptions; each in lower or upper case, lower case winning. `fallback` (Settings → Network)
 * fills what the environment leaves unset.
 */
export function proxyFromEnv(env: Env, fallback: { proxy: string | null; noProxy: string | null } = { proxy: null, noProxy: null }): ProxyConfig {
  const all = pick(env, 'all_proxy');
  return {
    httpProxy: normalizeProxyUrl(pick(env, 'http_proxy') ?? all ?? fallback.proxy),
    httpsProxy: normalizeProxyUrl(pick(env, 'https_proxy') ?? all ?? fallback.proxy),
    noProxy: pick(env, 'no_proxy') ?? fallback.noProxy ?? '',
  };
}

/** True when the environment names a proxy (the Settings field then does not take effect). */
export function envHasProxy(env: Env): boolean {
  return ['http_proxy', 'https_proxy', 'all_proxy'].some((n) => pick(env, n) !== null);
}

/** curl accepts `host:port` without a scheme and takes it as http://. */
function normalizeProxyUrl(value: string | null): string | null {
  if (!value) return null;
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Hostnames without brackets; IPv4-mapped IPv6 loopback counts as loopback. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const family = isIP(host);
  if (family === 4) return LOOPBACK.check(host, 'ipv4');
  if (family === 6) return LOOPBACK.check(host, 'ipv6') || /^::ffff:127\./.test(host);
  return false;
}

/**
 * Whether `url` skips the proxy: loopback always (local runtimes and tools), then NO_PROXY as curl
 * reads it — `*` for everything; a name matches itself and its subdomains (a leading `.` or `*.`
 * is ignored); an IP or CIDR matches addresses literally written in the URL; `host:port` only
 * that port.
 */
export function bypassesProxy(url: URL, noProxy: string): boolean {
  if (isLoopbackHost(url.hostname)) return true;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  for (const raw of noProxy.split(/[\s,]+/)) {
    let entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    let entryPort: string | null = null;
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    if (bracketed) {
      entry = bracketed[1]!;
      entryPort = bracketed[2] ?? null;
    } else if (/^[^:]+:\d+$/.test(entry)) {
      [entry, entryPort] = entry.split(':') as [string, string];
    }
    if (entryPort && entryPort !== port) continue;
    const slash = entry.indexOf('/');
    if (slash > 0 && isIP(host)) {
      const base = entry.slice(0, slash);
      const bits = Number(entry.slice(slash + 1));
      const family = isIP(base);
      if (family === 0 || family !== isIP(host) || !Number.isInteger(bits)) continue;
      const list = new BlockList();
      try {
        list.addSubnet(base, bits, family === 4 ? 'ipv4' : 'ipv6');
      } catch {
        continue;
      }
      if (list.check(host, family === 4 ? 'ipv4' : 'ipv6')) return true;
      continue;
    }
    entry = entry.replace(/^\*?\./, '');
    if (host === entry || host.endsWith(`.${entry}`)) return true;
  }
  return false;
}

/** A proxy URL for messages: credentials left out. */
export function redactProxy(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.origin;
  } catch {
    return 'the proxy';
  }
}
