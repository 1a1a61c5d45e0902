import { describe, expect, it } from 'vitest';
import { openDatabase } from '../db/database';
import { createLogger } from '../logger';
import { renderMetrics } from './prometheus';
import { UsageRecorder } from './usage-recorder';
import { UsageRepo } from './usage-repo';

const logger = createLogger({ level: 'silent' });
const noGpu = { status: { available: false, state: 'unavailable' as const, reason: 'none', interval_ms: 1000 }, sample: null, processes: [] };

describe('UsageRecorder', () => {
  it('rolls requests up per UTC day and model, keeps failed writes for the next flush', () => {
    const db = openDatabase(':memory:');
    const repo = new UsageRepo(db);
    let now = Date.parse('2026-03-01T23:59:59Z');
    const usage = new UsageRecorder({ repo, logger, flushIntervalMs: 3_600_000, now: () => now });
    const ok = usage.begin('m', 'vllm', 'chat.completions');
    ok.firstToken();
    ok.finish({ status: 200, promptTokens: 10, completionTokens: 5 });
    ok.finish({ status: 200, promptTokens: 10, completionTokens: 5 }); // idempotent
    usage.begin('m', 'vllm', 'chat.completions').finish({ status: 499 });
    now += 2_000; // next UTC day
    usage.begin('m', 'vllm', 'embeddings').finish({ status: 200, promptTokens: 3 });

    const merge = repo.merge.bind(repo);
    repo.merge = () => {
      throw new Error('disk full');
    };
    usage.flush(); // fails: deltas are kept
    repo.merge = merge;
    usage.close();

    const rows = repo.listSince('2026-03-01');
    expect(rows.map((r) => [r.day, r.requests, r.errors, r.prompt_tokens, r.completion_tokens])).toEqual([
      ['2026-03-02', 1, 0, 3, 0],
      ['2026-03-01', 2, 1, 10, 5],
    ]);
    expect(rows[1]!.ttft_p50_ms).not.toBeNull();
    expect(rows[0]!.ttft_p50_ms).toBeNull(); // not streamed
    expect(usage.stats()).toMatchObject({ total_requests: 3, total_errors: 1, in_flight: 0 });
    db.close();
  });
});

describe('renderMetrics', () => {
  it('writes Prometheus text with escaped label values and cumulative histograms', () => {
    const db = openDatabase(':memory:');
    const usage = new UsageRecorder({ repo: new UsageRepo(db), logger, flushIntervalMs: 3_600_000 });
    usage.begin('we"ird\\name', 'ollama', 'chat.completions').finish({ status: 200 });
    const text = renderMetrics({ usage, runtimes: [], gpu: noGpu });
    expect(text).toContain('switchyard_openai_requests_total{model="we\\"ird\\\\name",runtime="ollama",endpoint="chat.completions",status="200"} 1');
    expect(text).toMatch(/# TYPE switchyard_openai_request_duration_seconds histogram/);
    expect(text).toMatch(/switchyard_openai_request_duration_seconds_bucket\{model="we\\"ird\\\\name",runtime="ollama",le="\+Inf"\} 1/);
    expect(text).toContain('switchyard_gpu_available 0');
    expect(text.endsWith('\n')).toBe(true);
    usage.close();
    db.close();
  });

  it('keeps every sample on one line: a carriage return or other control character in a label is dropped', () => {
    const db = openDatabase(':memory:');
    const usage = new UsageRecorder({ repo: new UsageRepo(db), logger, flushIntervalMs: 3_600_000 });
    usage.begin('a\rb\u0000c\nd', 'ollama', 'chat.completions').finish({ status: 200 });
    const text = renderMetrics({ usage, runtimes: [], gpu: noGpu });
    expect(text).not.toMatch(/[\r\u0000]/);
    expect(text).toContain('switchyard_openai_requests_total{model="abc\\nd",runtime="ollama",endpoint="chat.completions",status="200"} 1');
    usage.close();
    db.close();
  });
});
