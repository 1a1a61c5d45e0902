import { randomUUID } from 'node:crypto';
import { AppError, errorMessage, isAppError } from '../../shared/errors';
import type { ModelProvider, ModelRuntime, Operation, OperationType } from '../../shared/api/models';
import type { EventBus } from '../events';
import type { Logger } from '../logger';
import { Mutex } from '../runtimes/mutex';
import type { OperationRow, OperationsRepo } from './operations-repo';

/** What a running operation may report. `bytesDone`/`bytesTotal` drive progress, speed and ETA. */
export interface ProgressUpdate {
  message?: string;
  bytesDone?: number;
  bytesTotal?: number | null;
  /** explicit percentage, when there are no bytes to count */
  progress?: number;
}

export interface OperationContext {
  readonly id: string;
  readonly row: OperationRow;
  readonly signal: AbortSignal;
  report(update: ProgressUpdate): void;
  /** persists the (resolved) parameters, so a restart resumes with the same plan */
  saveParams(params: unknown): void;
}

/** Runs the operation; resolves with the final message. Throwing fails it (or cancels it, on abort). */
export type OperationRunner = (ctx: OperationContext) => Promise<string>;

/** Why a running operation was aborted. */
export interface CancelReason {
  kind: 'cancel' | 'shutdown';
  /** cancel only: delete partial data instead of keeping it for a resume */
  cleanup: boolean;
}

export function cancelReasonOf(signal: AbortSignal): CancelReason | null {
  const r = signal.reason as { details?: unknown } | undefined;
  const d = r && isAppError(r) ? (r.details as CancelReason | undefined) : undefined;
  return d && (d.kind === 'cancel' || d.kind === 'shutdown') ? d : null;
}

export interface NewOperation {
  model_name: string;
  operation_type: OperationType;
  provider: ModelProvider;
  runtime: ModelRuntime;
  params: unknown;
  message: string;
  /** operations with the same key run one after another (per-runtime serialization); null: at once */
  queue: string | null;
}

interface Running {
  controller: AbortController;
  done: Promise<void>;
  samples: { t: number; bytes: number }[];
  lastEmit: number;
  lastPersist: number;
  emitTimer: NodeJS.Timeout | null;
  dirty: boolean;
}

const EMIT_INTERVAL_MS = 100; // ≤ 10 events/s per operation
const PERSIST_INTERVAL_MS = 1_000;
const SPEED_WINDOW_MS = 5_000;

/**
 * Persisted operations (install/remove) with progress, cancel and history. Progress goes to clients
 * through `operation.updated` events (throttled) and to SQLite once a second; final states at once.
 * On shutdown running operations stay `in_progress` in the DB: the owner resumes them on next start.
 */
export class OperationService {
  private readonly running = new Map<string, Running>();
  private readonly queues = new Map<string, Mutex>();
  private closed = false;
  private readonly now: () => number;

  constructor(
    private readonly deps: { repo: OperationsRepo; events: EventBus; logger: Logger; now?: () => number },
  ) {
    this.now = deps.now ?? Date.now;
  }

  /** Records a new pending operation and schedules it. */
  start(op: NewOperation, runner: OperationRunner): Operation {
    this.assertOpen();
    const row = this.deps.repo.insert({
      id: randomUUID(),
      model_name: op.model_name,
      operation_type: op.operation_type,
      provider: op.provider,
      runtime: op.runtime,
      message: op.message,
      params: JSON.stringify(op.params ?? {}),
    });
    const pending = this.emit(row.id)!;
    this.schedule(row, op.queue, runner);
    return pending;
  }

  /** Schedules an operation already in the DB (one left pending/in progress by a previous run). */
  resume(row: OperationRow, queue: string | null, runner: OperationRunner): void {
    this.assertOpen();
    this.deps.repo.update(row.id, { status: 'pending', message: 'Resuming after restart…' });
    this.emit(row.id);
    this.schedule(row, queue, runner);
  }

  open(): OperationRow[] {
    return this.deps.repo.open();
  }

  get(id: string): Operation {
    const row = this.deps.repo.get(id);
    if (!row) throw new AppError('operation_not_found', `No operation ${id}. List them with GET /api/v1/models/operations.`);
    return this.toOperation(row);
  }

  row(id: string): OperationRow | null {
    return this.deps.repo.get(id);
  }

  list(limit: number): Operation[] {
    return this.deps.repo.recent(limit).map((r) => this.toOperation(r));
  }

  /** The open (pending or running) operation for a model, if any. */
  activeFor(model: string): OperationRow | null {
    return this.deps.repo.open().find((r) => r.model_name === model) ?? null;
  }

  /** Cancels a pending or running operation. `cleanup` deletes partial data instead of keeping it. */
  async cancel(id: string, options: { cleanup?: boolean } = {}): Promise<Operation> {
    const row = this.deps.repo.get(id);
    if (!row) throw new AppError('operation_not_found', `No operation ${id}.`);
    if (row.status !== 'pending' && row.status !== 'in_progress') {
      throw new AppError('conflict', `Operation ${id} is already ${row.status}; only pending or running operations can be cancelled.`);
    }
    const running = this.running.get(id);
    const reason: CancelReason = { kind: 'cancel', cleanup: options.cleanup ?? false };
    if (running) {
      running.controller.abort(new AppError('cancelled', 'Cancelled by the user.', reason));
      await running.done;
    } else {
      // not scheduled in this process (nothing can be running it): just record the cancel
      this.deps.repo.update(id, { status: 'cancelled', message: 'Cancelled.', error_code: 'cancelled', error_message: 'Cancelled by the user.', finished_at: new Date(this.now()).toISOString() });
      this.emit(id);
    }
    return this.get(id);
  }

  /** Resolves when the operation reached a final state. */
  async wait(id: string): Promise<Operation> {
    await this.running.get(id)?.done;
    return this.get(id);
  }

  /** Aborts running operations without changing their DB state, so they resume on next start. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const all = [...this.running.values()];
    for (const r of all) r.controller.abort(new AppError('cancelled', 'Switchyard is shutting down; the operation resumes on next start.', { kind: 'shutdown', cleanup: false } satisfies CancelReason));
    await Promise.all(all.map((r) => r.done));
  }

  // ---- internals -------------------------------------------------------------------------------

  private schedule(row: OperationRow, queue: string | null, runner: OperationRunner): void {
    const controller = new AbortController();
    const state: Running = { controller, done: Promise.resolve(), samples: [], lastEmit: 0, lastPersist: 0, emitTimer: null, dirty: false };
    this.running.set(row.id, state);
    const work = () => this.run(row.id, state, runner);
    const mutex = queue ? this.queueOf(queue) : null;
    state.done = (mutex ? mutex.run(work) : work()).catch((error) => {
      this.deps.logger.error({ error, operation: row.id }, 'operation bookkeeping failed');
    });
  }

  private queueOf(key: string): Mutex {
    let m = this.queues.get(key);
    if (!m) this.queues.set(key, (m = new Mutex()));
    return m;
  }

  private async run(id: string, state: Running, runner: OperationRunner): Promise<void> {
    const { signal } = state.controller;
    try {
      if (signal.aborted) return this.finishAborted(id, state);
      const startedAt = this.deps.repo.get(id)?.started_at ?? new Date(this.now()).toISOString();
      this.deps.repo.update(id, { status: 'in_progress', started_at: startedAt });
      this.emit(id);
      state.lastEmit = this.now(); // the start counts toward the ≤ 10 events/s
      const row = this.deps.repo.get(id)!;
      const ctx: OperationContext = {
        id,
        row,
        signal,
        report: (u) => this.report(id, state, u),
        saveParams: (params) => this.deps.repo.update(id, { params: JSON.stringify(params) }),
      };
      const message = await runner(ctx);
      if (signal.aborted) return this.finishAborted(id, state);
      this.flush(id, state);
      const current = this.deps.repo.get(id)!;
      this.deps.repo.update(id, {
        status: 'completed',
        progress: 100,
        message,
        bytes_done: current.bytes_total ?? current.bytes_done,
        finished_at: new Date(this.now()).toISOString(),
      });
    } catch (error) {
      if (signal.aborted) return this.finishAborted(id, state);
      this.flush(id, state);
      const code = isAppError(error) ? error.code : 'internal_error';
      const message = isAppError(error) ? error.message : `Unexpected error: ${errorMessage(error)}. See the Switchyard log.`;
      if (!isAppError(error)) this.deps.logger.error({ error, operation: id }, 'operation failed unexpectedly');
      this.deps.repo.update(id, { status: 'failed', error_code: code, error_message: message, message: `Failed: ${message}`, finished_at: new Date(this.now()).toISOString() });
    } finally {
      if (state.emitTimer) clearTimeout(state.emitTimer);
      this.running.delete(id);
      this.emit(id);
    }
  }

  private finishAborted(id: string, state: Running): void {
    this.flush(id, state);
    const reason = cancelReasonOf(state.controller.signal);
    if (reason?.kind === 'shutdown') {
      this.deps.repo.update(id, { message: 'Interrupted by shutdown; resumes on next start.' });
      return;
    }
    const kept = reason?.cleanup ? 'partial data deleted' : 'partial data kept: retry to resume';
    this.deps.repo.update(id, { status: 'cancelled', message: `Cancelled (${kept}).`, error_code: 'cancelled', error_message: 'Cancelled by the user.', finished_at: new Date(this.now()).toISOString() });
  }

  private pending = new Map<string, ProgressUpdate>();

  private report(id: string, state: Running, update: ProgressUpdate): void {
    const acc = { ...(this.pending.get(id) ?? {}), ...update };
    this.pending.set(id, acc);
    if (update.bytesDone !== undefined) {
      const t = this.now();
      state.samples.push({ t, bytes: update.bytesDone });
      while (state.samples.length > 2 && state.samples[0]!.t < t - SPEED_WINDOW_MS) state.samples.shift();
    }
    state.dirty = true;
    const t = this.now();
    if (t - state.lastEmit >= EMIT_INTERVAL_MS) this.flushProgress(id, state);
    else if (!state.emitTimer) {
      state.emitTimer = setTimeout(() => {
        state.emitTimer = null;
        if (this.running.has(id)) this.flushProgress(id, state);
      }, EMIT_INTERVAL_MS - (t - state.lastEmit));
    }
  }

  private flushProgress(id: string, state: Running): void {
    if (!state.dirty) return;
    state.dirty = false;
    const u = this.pending.get(id) ?? {};
    const t = this.now();
    state.lastEmit = t;
    const patch: Parameters<OperationsRepo['update']>[1] = {};
    if (u.message !== undefined) patch.message = u.message;
    if (u.bytesDone !== undefined) patch.bytes_done = u.bytesDone;
    if (u.bytesTotal !== undefined) patch.bytes_total = u.bytesTotal;
    const total = u.bytesTotal ?? this.deps.repo.get(id)?.bytes_total ?? null;
    if (u.progress !== undefined) patch.progress = u.progress;
    else if (u.bytesDone !== undefined && total) patch.progress = Math.min(99.9, Math.round((u.bytesDone / total) * 1000) / 10);
    const persist = t - state.lastPersist >= PERSIST_INTERVAL_MS;
    this.cache.set(id, { ...(this.cache.get(id) ?? {}), ...patch });
    if (persist) {
      state.lastPersist = t;
      this.deps.repo.update(id, this.cache.get(id)!);
      this.cache.delete(id);
    }
    this.emit(id, state);
  }

  /** Progress not yet written to SQLite (written at most once a second). */
  private readonly cache = new Map<string, Parameters<OperationsRepo['update']>[1]>();

  private flush(id: string, state: Running): void {
    if (state.dirty) this.flushProgress(id, state);
    const c = this.cache.get(id);
    if (c) this.deps.repo.update(id, c);
    this.cache.delete(id);
    this.pending.delete(id);
  }

  private emit(id: string, state?: Running): Operation | null {
    const row = this.deps.repo.get(id);
    if (!row) return null;
    const op = this.toOperation({ ...row, ...(this.cache.get(id) ?? {}) } as OperationRow, state);
    this.deps.events.emit({ type: 'operation.updated', operation: op });
    return op;
  }

  private speedOf(state: Running | undefined): number | null {
    const s = state?.samples;
    if (!s || s.length < 2) return null;
    const first = s[0]!;
    const last = s[s.length - 1]!;
    const dt = (last.t - first.t) / 1000;
    return dt > 0.2 ? Math.max(0, (last.bytes - first.bytes) / dt) : null;
  }

  private toOperation(row: OperationRow, state = this.running.get(row.id)): Operation {
    const live = row.status === 'in_progress' ? { ...row, ...(this.cache.get(row.id) ?? {}) } : row;
    const speed = live.status === 'in_progress' ? this.speedOf(state) : null;
    const remaining = live.bytes_total !== null ? Math.max(0, live.bytes_total - live.bytes_done) : null;
    return {
      operation_id: live.id,
      model_name: live.model_name,
      operation_type: live.operation_type,
      provider: live.provider,
      runtime: live.runtime,
      status: live.status,
      progress: live.progress,
      message: live.message,
      error: live.error_code ? { code: live.error_code, message: live.error_message ?? '' } : null,
      bytes_done: live.bytes_done,
      bytes_total: live.bytes_total,
      speed_bps: speed !== null ? Math.round(speed) : null,
      eta_seconds: speed && remaining !== null && speed > 0 ? Math.round(remaining / speed) : null,
      created_at: live.created_at,
      started_at: live.started_at,
      updated_at: live.updated_at,
      finished_at: live.finished_at,
    };
  }

  private assertOpen(): void {
    if (this.closed) throw new AppError('conflict', 'Switchyard is shutting down; try again after it restarts.');
  }
}
