import { describe, expect, it } from 'vitest';
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
    const { ops, seen } = setup();
    const op = ops.start({ ...base, queue: null }, async (ctx) => {
      for (let i = 1; i <= 500; i++) {
        ctx.report({ bytesDone: i * 1000, bytesTotal: 500_000 });
        if (i % 50 === 0) await sleep(50);
      }
      return 'done';
    });
    const final = await ops.wait(op.operation_id);
    expect(final).toMatchObject({ status: 'completed', progress: 100, message: 'done', bytes_done: 500_000 });
    const progress = seen.filter((o) => o.status === 'in_progress');
    const times = progress.map((o) => o.at);
    // at most one event per 100 ms
    const span = times.at(-1)! - times[0]!;
    expect(progress.length).toBeLessThanOrEqual(Math.floor(span / 100) + 1);
    expect(progress.some((o) => o.progress > 0 && o.progress < 100)).toBe(true);
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
    const running = ops.start({ ...base, model_name: 'x', queue: null }, (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => {
      reason = cancelReasonOf(ctx.signal);
      reject(ctx.signal.reason);
    })));
    await sleep(10);
    await ops.close();
    expect(reason).toEqual({ kind: 'shutdown', cleanup: false });
    expect(repo.get(running.operation_id)?.status).toBe('in_progress');
    expect(repo.open().map((r) => r.id)).toEqual([running.operation_id]);
  });
});
