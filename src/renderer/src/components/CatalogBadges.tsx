import type { FitSummary } from '../../../shared/api/catalog';
import { networkWords } from '../api/error-words';
import type { Freshness } from '../store/catalog';
import { When } from './When';

const FIT_LABEL: Record<FitSummary['verdict'], string> = {
  fits: 'fits',
  reduced_context: 'reduced context',
  needs_gpus: 'needs GPUs',
  does_not_fit: 'does not fit',
  no_gpu: 'no GPU',
  partial_offload: 'partial GPU offload',
  cpu: 'runs on CPU',
  unknown: 'size unknown',
};
const FIT_CLASS: Record<FitSummary['verdict'], string> = {
  fits: 'badge-ok',
  reduced_context: 'badge-warn',
  needs_gpus: 'badge-warn',
  does_not_fit: 'badge-bad',
  no_gpu: 'badge-idle',
  partial_offload: 'badge-warn',
  cpu: 'badge-warn',
  unknown: 'badge-idle',
};

/**
 * "Will it fit?" for one model, with the reason in the tooltip. `runnable` is the server's verdict
 * (it decides whether tensor parallelism over the GPUs there are counts as running): shown, not judged.
 */
export function FitBadge({ fit, runnable, testId }: { fit: FitSummary | null | undefined; runnable?: boolean; testId?: string }) {
  if (!fit) return null;
  const label =
    fit.verdict === 'needs_gpus' && fit.gpus_needed
      ? `${runnable ? 'runs on' : 'needs'} ${fit.gpus_needed} GPUs`
      : fit.verdict === 'reduced_context' && fit.context
        ? `fits at ${Math.round(fit.context / 1024)}k ctx`
        : FIT_LABEL[fit.verdict];
  const tone = runnable && fit.verdict === 'needs_gpus' ? 'badge-ok' : FIT_CLASS[fit.verdict];
  return (
    <span className={`badge ${tone}`} title={fit.note} data-testid={testId ?? 'fit-badge'} data-verdict={fit.verdict} data-runnable={runnable === undefined ? undefined : String(runnable)}>
      {label}
    </span>
  );
}

/** Freshness of a cached answer: nothing when fresh, "stale since …" (with the reason) otherwise. */
export function StaleBadge({ freshness, testId }: { freshness: Freshness; testId?: string }) {
  if (!freshness.stale) return null;
  const since = freshness.fetched_at ? <When iso={freshness.fetched_at} prefix="from " /> : 'bundled list (never fetched)';
  return (
    <span className="badge badge-warn" title={freshness.error ? networkWords(freshness.error) : undefined} data-testid={testId ?? 'stale-badge'}>
      {freshness.offline ? 'offline · ' : 'stale · '}
      {since}
    </span>
  );
}

/** Why a stale list could not be refreshed, in words; the error as it came on hover. */
export function StaleReason({ freshness }: { freshness: Pick<Freshness, 'stale' | 'error'> }) {
  if (!freshness.stale || !freshness.error) return null;
  return (
    <p className="muted small" title={freshness.error}>
      Could not refresh: {networkWords(freshness.error)}
    </p>
  );
}

/** What a Refresh button's request answered when it failed, in words; the error as it came on hover. */
export function RefreshFailure({ error }: { error: string | null }) {
  if (!error) return null;
  return (
    <p className="hint" title={error}>
      Refresh: {networkWords(error)}
    </p>
  );
}

export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}
