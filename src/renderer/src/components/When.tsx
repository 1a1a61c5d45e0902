import { formatRelative } from './format';

/** A moment shown relative to now, the full local date and time on hover (and for screen readers). */
export function When({ iso, prefix = '' }: { iso: string; prefix?: string }) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return <>{iso}</>;
  return (
    <time dateTime={iso} title={d.toLocaleString()}>
      {prefix}
      {formatRelative(iso)}
    </time>
  );
}
