import { describe, expect, it } from 'vitest';
import { openDatabase } from '../db/database';
import { ProviderRepo, type ProviderRow } from './provider-repo';

const row = (over: Partial<ProviderRow> = {}): ProviderRow => ({
  id: 'oa',
  kind: 'openai',
  base_url: 'https://api.example/v1',
  headers: { 'x-team': 'a' },
  governance: {},
  fallback: null,
  enabled: true,
  created_at: '2026-12-07T00:00:00.000Z',
  updated_at: '2026-12-07T00:00:00.000Z',
  ...over,
});

describe('ProviderRepo', () => {
  it('keeps a read row until the next write: every write is seen by the next get, and a shared row cannot be changed', () => {
    const db = openDatabase(':memory:');
    const repo = new ProviderRepo(db);
    expect(repo.get('oa')).toBeNull();
    repo.insert(row(), []);
    const first = repo.get('oa')!;
    expect(repo.get('oa')).toBe(first); // a map read, not a query
    expect(() => ((first.headers as Record<string, string>)['x-team'] = 'b')).toThrow(TypeError);

    repo.update(row({ base_url: 'https://other.example/v1' }), undefined);
    expect(repo.get('oa')?.base_url).toBe('https://other.example/v1');
    repo.setEnabled('oa', false, '2026-12-07T01:00:00.000Z');
    expect(repo.get('oa')?.enabled).toBe(false);
    repo.remove('oa');
    expect(repo.get('oa')).toBeNull();
    db.close();
  });

  it('counts usage per day and model with and without errors, the reasons kept across answered requests', () => {
    const db = openDatabase(':memory:');
    const repo = new ProviderRepo(db);
    repo.insert(row(), []);
    const entry = { day: '2026-12-07', provider: 'oa', model: 'gpt', fallback: false, promptTokens: 10, completionTokens: 5, costUsd: 0.5 };
    repo.addUsage({ ...entry, error: null });
    repo.addUsage({ ...entry, error: 'timeout', completionTokens: 0, costUsd: 0.25 });
    repo.addUsage({ ...entry, error: null, fallback: true });
    repo.addUsage({ ...entry, error: 'timeout', completionTokens: 0, costUsd: 0 });
    repo.addUsage({ ...entry, error: null });
    // written together later: what is read first writes what is pending
    expect(db.prepare('SELECT COUNT(*) AS n FROM remote_usage_daily').get()).toEqual({ n: 0 });
    const [day] = repo.usageSince('2026-12-01');
    expect(day).toMatchObject({ requests: 5, errors: 2, fallbacks: 1, prompt_tokens: 50, completion_tokens: 15, cost_usd: 1.75, errors_by_reason: { timeout: 2 } });
    expect(repo.spend('oa', '2026-12-01')).toMatchObject({ cost_usd: 1.75, requests: 5, errors: 2 });
    repo.addUsage({ ...entry, error: null });
    expect(repo.spend(null, '2026-12-01')).toMatchObject({ requests: 6 });
    repo.addUsage({ ...entry, error: 'rate_limited' });
    repo.flushUsage(); // on shutdown
    expect(db.prepare('SELECT requests, errors_by_reason FROM remote_usage_daily').get()).toEqual({ requests: 7, errors_by_reason: JSON.stringify({ timeout: 2, rate_limited: 1 }) });
    db.close();
  });
});
