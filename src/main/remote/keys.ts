import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { KeySource, ProviderKind } from '../../shared/api/remote';
import { AppError } from '../../shared/errors';
import { isMasked, maskSecret, type SecretStore } from '../secrets';
import { ANTHROPIC_VERSION, PRESETS } from './presets';

type Env = Record<string, string | undefined>;

export interface ResolvedKey {
  key: string;
  source: KeySource;
}

/** The secret store's name for a provider's key: keys never go to SQLite, logs, events or operations. */
export const secretName = (provider: string) => `remote:${provider}` as const;

/**
 * The key a provider uses: the one stored in Switchyard (Providers screen, API, CLI), else the kind's
 * environment variables in order (`GEMINI_API_KEY` before `GOOGLE_API_KEY`). Cluster kinds read no variable.
 */
export function resolveKey(provider: { id: string; kind: ProviderKind }, secrets: SecretStore, env: Env): ResolvedKey | null {
  const stored = secrets.get(secretName(provider.id));
  if (stored) return { key: stored, source: 'settings' };
  for (const name of PRESETS[provider.kind].envKeys) {
    const value = env[name]?.trim();
    if (value) return { key: value, source: `env:${name}` };
  }
  return null;
}

/**
 * What an edit form sends back decides the stored key: absent or the very mask the API shows now keeps
 * it, null or '' removes it, anything else replaces it. Something that looks like a mask but is not
 * this key's is refused: taken for "keep", a key containing `…` would silently never be stored.
 */
export function keyUpdate(input: string | null | undefined, currentMask: string | null = null): { keep: true } | { keep: false; value: string | null } {
  if (input === undefined) return { keep: true };
  if (input === null || input === '') return { keep: false, value: null };
  if (isMasked(input)) {
    if (input === currentMask) return { keep: true };
    throw new AppError(
      'validation_error',
      currentMask
        ? `api_key looks like a masked key but is not the mask of the stored one (${currentMask}) — send that mask to keep the key, or the whole new key.`
        : 'api_key looks like a masked key (it contains "…"), and no key is stored — paste the whole key.',
    );
  }
  return { keep: false, value: input };
}

export const maskKey = (key: string | null): string | null => maskSecret(key);

/** The headers that authenticate to the upstream: Anthropic's own pair, a bearer token for the rest. */
export function authHeaders(kind: ProviderKind, key: string | null): Record<string, string> {
  if (PRESETS[kind].auth === 'anthropic') return { ...(key ? { 'x-api-key': key } : {}), 'anthropic-version': ANTHROPIC_VERSION };
  return key ? { authorization: `Bearer ${key}` } : {};
}

export interface CheckedUrl {
  /** without a trailing slash: paths are appended as `${base}/models` */
  url: string;
  warnings: string[];
}

/**
 * Static checks of a base URL: http(s) only, no credentials in it (userinfo or query: they would be
 * stored in plain text and show in logs and proxies), a warning for plain http beyond this machine.
 */
export function checkBaseUrl(raw: string): CheckedUrl {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    throw new AppError('validation_error', `"${raw.slice(0, 200)}" is not a URL — give the API base up to its version path, e.g. http://gpu-node:8000/v1.`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new AppError('validation_error', `Only http:// and https:// base URLs are supported (got ${u.protocol}).`);
  if (u.username || u.password) {
    throw new AppError('validation_error', 'The base URL carries credentials (user:password@host). Remove them and put the key in api_key: it is kept in the secret store, never in the URL.');
  }
  if (u.search || u.hash) {
    throw new AppError('validation_error', 'The base URL has a query or fragment (a ?key= would be stored in plain text and logged). Remove it and put the key in api_key.');
  }
  const warnings: string[] = [];
  if (u.protocol === 'http:' && !isLoopback(u.hostname)) {
    warnings.push(`Plain http to ${u.host}: the key and every prompt cross the network unencrypted — use https where the endpoint offers it.`);
  }
  return { url: u.href.replace(/\/+$/, ''), warnings };
}

export function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h === '::1';
}

/**
 * A hash of everything a validation depends on: base URL, auth style, headers, and the key (hashed
 * again inside, so the fingerprint never helps guess it). A change makes the last validation stale.
 */
export function configFingerprint(config: { kind: ProviderKind; base_url: string; headers: Record<string, string> }, key: string | null): string {
  const keyHash = key ? createHash('sha256').update(key).digest('hex') : null;
  const headers = Object.entries(config.headers)
    .map(([k, v]) => [k.toLowerCase(), v])
    .sort(([a], [b]) => (a! < b! ? -1 : 1));
  const text = JSON.stringify({ auth: PRESETS[config.kind].auth, base: config.base_url, headers, key: keyHash });
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/** Text from an upstream (error bodies) with the key cut out: some APIs echo part or all of it. */
export function scrub(text: string, key: string | null): string {
  if (!key || key.length < 4) return text;
  return text.split(key).join(maskKey(key) ?? '…');
}
