import { describe, expect, it } from 'vitest';
import { childEnv } from '../runtimes/adapters';
import { budgetLevel, costOf, periodStart, RateLimiter, requestedCap, worstCase } from './governance';
import { checkBaseUrl, configFingerprint, isLoopback, keyUpdate, scrub } from './keys';
import { REMOTE_KEY_ENV } from '../../shared/secret-env';
import { parseModelList } from './validation';

describe('RateLimiter', () => {
  it('refuses past rpm with the seconds until the oldest request leaves the minute', () => {
    let now = 1_000_000;
    const limiter = new RateLimiter(() => now);
    for (let i = 0; i < 3; i++) {
      expect('settle' in limiter.admit('p', { rpm: 3 }, 1)).toBe(true);
      now += 10_000;
    }
    const refused = limiter.admit('p', { rpm: 3 }, 1);
    expect(refused).toMatchObject({ reason: 'rate_limited', retryAfterS: 30 });
    now += 30_001;
    expect('settle' in limiter.admit('p', { rpm: 3 }, 1)).toBe(true);
    // other providers have their own window
    expect('settle' in limiter.admit('q', { rpm: 3 }, 1)).toBe(true);
  });

  it('counts tokens per minute: estimated on admission, settled with the real usage', () => {
    let now = 0;
    const limiter = new RateLimiter(() => now);
    const first = limiter.admit('p', { tpm: 100 }, 90);
    if (!('settle' in first)) throw new Error('refused');
    expect(limiter.admit('p', { tpm: 100 }, 20)).toMatchObject({ reason: 'rate_limited' });
    first.settle(10); // it used far less than estimated
    now += 1000;
    expect('settle' in limiter.admit('p', { tpm: 100 }, 20)).toBe(true);
    // a single request that may use more than the whole limit is refused even in an empty window
    now += 120_000;
    expect(limiter.admit('p', { tpm: 100 }, 500)).toMatchObject({ reason: 'rate_limited', retryAfterS: null });
  });
});

describe('costs and budgets', () => {
  it('prices usage with the user prices, and none without them', () => {
    expect(costOf({ input_per_mtok: 0.15, output_per_mtok: 0.6 }, 1_000_000, 500_000)).toBeCloseTo(0.45, 10);
    expect(costOf(undefined, 10, 10)).toBeNull();
    expect(requestedCap({ max_tokens: 50 })).toBe(50);
    expect(requestedCap({ max_completion_tokens: 70, max_tokens: 50 })).toBe(70);
    expect(requestedCap({ max_tokens: 'lots' })).toBeNull();
    expect(worstCase(100, 4096, { input_per_mtok: 1e6, output_per_mtok: 2e6 })).toEqual({ tokens: 4196, usd: 100 + 8192 });
  });

  it('starts a period on the UTC day or the first of the month; the hard line wins over the soft', () => {
    const t = Date.parse('2026-12-05T23:59:00Z');
    expect(periodStart('day', t)).toBe('2026-12-05');
    expect(periodStart('month', t)).toBe('2026-12-01');
    expect(budgetLevel({ period: 'day', soft_usd: 1, hard_usd: 2 }, 0.5)).toBeNull();
    expect(budgetLevel({ period: 'day', soft_usd: 1, hard_usd: 2 }, 1)).toBe('soft');
    expect(budgetLevel({ period: 'day', soft_usd: 1, hard_usd: 2 }, 2.5)).toBe('hard');
  });
});

describe('keys and URLs', () => {
  it('keeps the stored key when the mask comes back, removes it on null or empty, replaces it otherwise', () => {
    expect(keyUpdate(undefined)).toEqual({ keep: true });
    expect(keyUpdate('sk-…abcd', 'sk-…abcd')).toEqual({ keep: true });
    // a mask that is not this key's (or a key containing the ellipsis) is refused, never taken for "keep"
    expect(() => keyUpdate('sk-…abcd', 'sk-…wxyz')).toThrow(/not the mask of the stored one/);
    expect(() => keyUpdate('sk-…abcd', null)).toThrow(/no key is stored/);
    expect(keyUpdate(null)).toEqual({ keep: false, value: null });
    expect(keyUpdate('')).toEqual({ keep: false, value: null });
    expect(keyUpdate('sk-new')).toEqual({ keep: false, value: 'sk-new' });
  });

  it('refuses credentials in a URL, warns on plain http beyond loopback', () => {
    expect(() => checkBaseUrl('https://u:p@h/v1')).toThrow(/credentials/);
    expect(() => checkBaseUrl('https://h/v1?key=abc')).toThrow(/query/);
    expect(() => checkBaseUrl('https://h/v1#k')).toThrow(/fragment/);
    expect(checkBaseUrl('http://127.0.0.1:8000/v1/').url).toBe('http://127.0.0.1:8000/v1');
    expect(checkBaseUrl('http://[::1]:8000/v1').warnings).toEqual([]);
    expect(checkBaseUrl('http://gpu-node:8000/v1').warnings[0]).toContain('unencrypted');
    expect(isLoopback('localhost')).toBe(true);
    expect(isLoopback('10.0.0.1')).toBe(false);
  });

  it('fingerprints the configuration without holding the key, and scrubs the key out of upstream text', () => {
    const config = { kind: 'openai' as const, base_url: 'https://api.openai.com/v1', headers: { A: '1' } };
    const a = configFingerprint(config, 'sk-one-key-123456');
    expect(a).not.toContain('sk-one');
    expect(configFingerprint(config, 'sk-one-key-123456')).toBe(a);
    expect(configFingerprint({ ...config, headers: { a: '1' } }, 'sk-one-key-123456')).toBe(a);
    expect(configFingerprint(config, 'sk-two-key-123456')).not.toBe(a);
    expect(configFingerprint({ ...config, headers: { A: '2' } }, 'sk-one-key-123456')).not.toBe(a);
    expect(scrub('Incorrect API key provided: sk-one-key-123456.', 'sk-one-key-123456')).toBe('Incorrect API key provided: …3456.');
  });

  it('never lets a runtime inherit a remote key', () => {
    const env = Object.fromEntries(REMOTE_KEY_ENV.map((k) => [k, 'secret'])) as Record<string, string>;
    const out = childEnv({ ...env, PATH: '/usr/bin' });
    expect(out).toEqual({ PATH: '/usr/bin' });
  });
});

describe('parseModelList', () => {
  it('reads OpenAI data[], bare arrays, Gemini models/ ids and Anthropic pages', () => {
    expect(parseModelList('{"object":"list","data":[{"id":"a"},{"id":"b"}]}')).toEqual({ ids: ['a', 'b'], nextAfter: null });
    expect(parseModelList('["a",{"id":"b"}]').ids).toEqual(['a', 'b']);
    expect(parseModelList('{"data":[{"id":"models/gemini-2.0-flash"}]}').ids).toEqual(['gemini-2.0-flash']);
    expect(parseModelList('{"data":[{"id":"c-1"}],"has_more":true,"last_id":"c-1"}').nextAfter).toBe('c-1');
    expect(() => parseModelList('{"detail":"nope"}')).toThrow(/data/);
  });
});
