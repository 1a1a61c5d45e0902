import { Linkified } from '../components/Linkified';
import { useEffect, useState } from 'react';
import type { Operation } from '../../../shared/api/models';
import { ApiError } from '../api/client';
import { OperationProgress } from '../components/OperationProgress';
import { When } from '../components/When';
import { useStore } from '../store';

const badge: Record<Operation['status'], string> = {
  pending: 'badge-idle',
  in_progress: 'badge-busy',
  completed: 'badge-ok',
  failed: 'badge-bad',
  cancelled: 'badge-warn',
};

export function OperationsScreen() {
  const order = useStore((s) => s.operationOrder);
  const loadOperations = useStore((s) => s.loadOperations);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    loadOperations().catch((e: unknown) => setError(e instanceof ApiError ? e.message : String(e)));
  }, [loadOperations]);
  return (
    <section className="screen">
      <h1>Operations</h1>
      <p className="muted">Installs and removals, live. An interrupted install resumes from the bytes already downloaded.</p>
      {error && <p className="error">{error}</p>}
      {order.length === 0 && <p className="muted">No operations yet.</p>}
      <div className="op-list">
        {order.map((id) => (
          <OperationCard key={id} id={id} onError={setError} />
        ))}
      </div>
    </section>
  );
}

function OperationCard({ id, onError }: { id: string; onError(message: string): void }) {
  const op = useStore((s) => s.operations[id]);
  const cancel = useStore((s) => s.cancelOperation);
  const retry = useStore((s) => s.retryOperation);
  if (!op) return null;
  const open = op.status === 'pending' || op.status === 'in_progress';
  const act = (work: Promise<void>) => void work.catch((e: unknown) => onError(e instanceof ApiError ? e.message : String(e)));
  return (
    <div className="card op-card" data-testid={`operation-${op.model_name}`}>
      <header className="row">
        <strong className="mono">{op.model_name}</strong>
        <span className="muted">{op.operation_type}</span>
        <span className={`badge ${badge[op.status]}`} data-testid="operation-status">
          {op.status.replace('_', ' ')}
        </span>
        <span className="muted small">
          <When iso={op.created_at} />
        </span>
      </header>
      {(open || op.operation_type === 'install') && <OperationProgress op={op} />}
      <p className={op.status === 'failed' ? 'error' : 'muted'}>
        <Linkified text={(op.status === 'failed' && op.error ? op.error.message : op.message) ?? ''} />
      </p>
      <div className="row">
        {open && <button onClick={() => act(cancel(id, false))}>Cancel (keep partial)</button>}
        {open && <button onClick={() => act(cancel(id, true))}>Cancel and delete partial</button>}
        {!open && op.operation_type === 'install' && op.status !== 'completed' && <button onClick={() => act(retry(id))}>Retry</button>}
      </div>
    </div>
  );
}
