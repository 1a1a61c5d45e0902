/** Human sizes and durations for progress displays. */
import { formatBytes } from '../../../shared/format';

export { formatBytes };

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const rest = (n: number, unit: string) => (n ? ` ${n} ${unit}` : '');
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min${rest(Math.round(seconds % 60), 's')}`;
  return `${Math.floor(seconds / 3600)} h${rest(Math.round((seconds % 3600) / 60), 'min')}`;
}

/** A duration the API gives in milliseconds: "850 ms" below a second, "2.4 s", then as formatDuration. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  return formatDuration(ms / 1000);
}

const STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 30],
  ['month', 12],
  ['year', Infinity],
];
const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

/** "3 minutes ago", "yesterday", "in 2 hours": a moment as a person says it (the full time goes on hover). */
export function formatRelative(iso: string, now: number = Date.now()): string {
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return iso;
  let value = (t - now) / 1000;
  if (Math.abs(value) < 45) return 'just now';
  for (const [unit, size] of STEPS) {
    if (Math.abs(value) < size) return relative.format(Math.round(value), unit);
    value /= size;
  }
  return new Date(t).toLocaleDateString();
}

/** Sizes the catalog gives in GB (10⁹ bytes), in the binary units used everywhere else. */
export const formatGb = (gb: number | null | undefined): string => (gb === null || gb === undefined ? '—' : formatBytes(gb * 1e9));
