import { describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../db/database';
import { EventBus } from '../events';
import { createLogger } from '../logger';
import type { Operation } from '../../shared/api/models';
import { AppError } from '../../shared/errors';
import { OperationService, cancelReasonOf } from './operation-service';
import { OperationsRepo } from './operations-repo';

function setup() {
  const db = openDatabase(':memory:');
  const events = new EventBus();
  const seen: (Operation & { at: number })[] = [];
  events.on((e) => e.type === 'operation.updated' && seen.push({ ...e.operation, at: Date.now() }));
  const repo = new OperationsRepo(db);
  const ops = new OperationService({ repo, events, logger: createLogger({ level: 'silent' }) });
  return { db, ops, repo, seen };
}
const base = { model_name: 'm', operation_type: 'install' as const, provider: 'huggingface' as const, runtime: 'vllm' as const, params: {}, message: 'go' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('OperationService', () => {
  it('throttles progress events to ≤ 10/s and completes with 100 %', async () => {
    // A fake clock: the service and the listener read the same time, and no load can stretch it.
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    try {
      const { ops, seen } = setup();
      const op = ops.start({ ...base, queue: null }, async (ctx) => {
        for (let i = 1; i <= 500; i++) {
          ctx.report({ bytesDone: i * 1000, bytesTotal: 500_000 });
          await vi.advanceTimersByTimeAsync(3); // 1.5 s of reports, one every 3 ms
        }
        return 'done';
      });
      const final = await ops.wait(op.operation_id);
      expect(final).toMatchObject({ status: 'completed', progress: 100, message: 'done', bytes_done: 500_000 });
      const progress = seen.filter((o) => o.status === 'in_progress');
      // Each progress event comes ≥ 100 ms after the one before; only the flush right before the final
      // state may come sooner (the last bytes are never held back).
      const gaps = progress.slice(1, -1).map((o, i) => o.at - progress[i]!.at);
      expect(gaps.length).toBeGreaterThanOrEqual(10);
      for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(100);
      expect(progress.length).toBeLessThanOrEqual(1500 / 100 + 2);
      expect(progress.some((o) => o.progress > 0 && o.progress < 100)).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('serializes a queue and cancels a pending operation without running it', async () => {
    const { ops } = setup();
    let ran = 0;
    let release!: () => void;
    const first = ops.start({ ...base, queue: 'vllm' }, () => new Promise((r) => (release = () => r('one'))));
    const second = ops.start({ ...base, model_name: 'n', queue: 'vllm' }, async () => {
      ran++;
      return 'two';
    });
    await sleep(10);
    expect(ops.get(second.operation_id).status).toBe('pending');
    const cancelled = ops.cancel(second.operation_id);
    release();
    expect((await cancelled).status).toBe('cancelled');
    expect((await ops.wait(first.operation_id)).status).toBe('completed');
    expect(ran).toBe(0);
  });

  it('records failures with the error code, and leaves running operations in_progress on shutdown', async () => {
    const { ops, repo } = setup();
    const failed = ops.start({ ...base, queue: null }, async () => {
      throw new AppError('checksum_mismatch', 'bad bytes');
    });
    expect((await ops.wait(failed.operation_id)).error).toEqual({ code: 'checksum_mismatch', message: 'bad bytes' });
    let reason: unknown = null;
    let runnerStarted!: () => void;
    const started = new Promise<void>((r) => (runnerStarted = r));
    const running = ops.start({ ...base, model_name: 'x', queue: null }, (ctx) => new Promise((_, reject) => {
      ctx.signal.addEventListener('abort', () => {
        reason = cancelReasonOf(ctx.signal);
        reject(ctx.signal.reason);
      });
      runnerStarted();
    }));
    await started;
    await ops.close();
    expect(reason).toEqual({ kind: 'shutdown', cleanup: false });
    expect(repo.get(running.operation_id)?.status).toBe('in_progress');
    expect(repo.open().map((r) => r.id)).toEqual([running.operation_id]);
  });
});
