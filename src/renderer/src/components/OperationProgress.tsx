import type { Operation } from '../../../shared/api/models';
import { formatBytes, formatDuration } from './format';

/** A progress bar with bytes, speed and ETA for one operation. */
export function OperationProgress({ op }: { op: Operation }) {
  const running = op.status === 'in_progress' || op.status === 'pending';
  return (
    <div className="op-progress" data-testid={`op-progress-${op.operation_id}`}>
      <div className="progress" role="progressbar" aria-label={`${op.operation_type} ${op.model_name}`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(op.progress)}>
        <div className={`progress-${op.status}`} style={{ width: `${Math.max(0, Math.min(100, op.progress))}%` }} />
      </div>
      <div className="op-figures muted">
        <span>{Math.round(op.progress)}%</span>
        {op.bytes_total !== null && (
          <span>
            {formatBytes(op.bytes_done)} / {formatBytes(op.bytes_total)}
          </span>
        )}
        {running && op.speed_bps !== null && <span>{formatBytes(op.speed_bps)}/s</span>}
        {running && op.eta_seconds !== null && <span>ETA {formatDuration(op.eta_seconds)}</span>}
      </div>
    </div>
  );
}
