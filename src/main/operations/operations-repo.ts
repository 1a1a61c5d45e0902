import type { ModelProvider, ModelRuntime, OperationStatus, OperationType } from '../../shared/api/models';
import type { Db } from '../db/database';

export interface OperationRow {
  id: string;
  model_name: string;
  operation_type: OperationType;
  provider: ModelProvider;
  runtime: ModelRuntime;
  status: OperationStatus;
  progress: number;
  message: string;
  error_code: string | null;
  error_message: string | null;
  bytes_done: number;
  bytes_total: number | null;
  params: string;
  created_at: string;
  started_at: string | null;
  updated_at: string;
  finished_at: string | null;
}

export type OperationPatch = Partial<Pick<OperationRow, 'status' | 'progress' | 'message' | 'error_code' | 'error_message' | 'bytes_done' | 'bytes_total' | 'params' | 'started_at' | 'finished_at'>>;

const PATCHABLE = ['status', 'progress', 'message', 'error_code', 'error_message', 'bytes_done', 'bytes_total', 'params', 'started_at', 'finished_at'] as const;

/** Persisted operations: they survive restarts, so an interrupted install can resume. */
export class OperationsRepo {
  private readonly insertStmt;
  private readonly getStmt;
  private readonly recentStmt;
  private readonly openStmt;
  private readonly updateStmts = new Map<string, ReturnType<Db['prepare']>>();

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO operations (id, model_name, operation_type, provider, runtime, status, progress, message, params, created_at, updated_at)
       VALUES (@id, @model_name, @operation_type, @provider, @runtime, 'pending', 0, @message, @params, @now, @now)`,
    );
    this.getStmt = db.prepare<[string], OperationRow>('SELECT * FROM operations WHERE id = ?');
    this.recentStmt = db.prepare<[number], OperationRow>('SELECT * FROM operations ORDER BY created_at DESC, rowid DESC LIMIT ?');
    this.openStmt = db.prepare<[], OperationRow>(`SELECT * FROM operations WHERE status IN ('pending', 'in_progress') ORDER BY created_at, rowid`);
  }

  insert(op: Pick<OperationRow, 'id' | 'model_name' | 'operation_type' | 'provider' | 'runtime' | 'message' | 'params'>): OperationRow {
    this.insertStmt.run({ ...op, now: new Date().toISOString() });
    return this.get(op.id)!;
  }

  get(id: string): OperationRow | null {
    return this.getStmt.get(id) ?? null;
  }

  recent(limit: number): OperationRow[] {
    return this.recentStmt.all(limit);
  }

  open(): OperationRow[] {
    return this.openStmt.all();
  }

  update(id: string, patch: OperationPatch): void {
    const keys = PATCHABLE.filter((k) => patch[k] !== undefined);
    if (keys.length === 0) return;
    const sig = keys.join(',');
    let stmt = this.updateStmts.get(sig);
    if (!stmt) {
      stmt = this.db.prepare(`UPDATE operations SET ${keys.map((k) => `${k} = @${k}`).join(', ')}, updated_at = @updated_at WHERE id = @id`);
      this.updateStmts.set(sig, stmt);
    }
    stmt.run({ ...Object.fromEntries(keys.map((k) => [k, patch[k]])), id, updated_at: new Date().toISOString() });
  }
}
