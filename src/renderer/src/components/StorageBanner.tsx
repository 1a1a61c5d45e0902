import { useEffect, useState } from 'react';
import type { StorageStatus } from '../../../shared/api/library';
import { sy } from '../api/endpoints';
import { formatBytes } from './format';

/** Dashboard: a disk holding models past `storage.alertPercent`, what uses the space, and where to free it. */
export function StorageBanner() {
  const [status, setStatus] = useState<StorageStatus | null>(null);
  useEffect(() => {
    let live = true;
    sy.library
      .storage()
      .then((r) => live && setStatus(r.storage))
      .catch(() => {});
    return () => {
      live = false;
    };
  }, []);
  const full = status?.disks.filter((d) => d.alert) ?? [];
  if (!status || full.length === 0) return null;
  return (
    <div className="banner banner-warn" role="alert" data-testid="storage-banner">
      {full.map((d) => (
        <p key={d.path}>
          <strong>Disk {d.used_percent}% full</strong> ({formatBytes(d.free_bytes)} free on {d.path}, past the {status.alert_percent}% line).
        </p>
      ))}
      {status.largest.length > 0 && <p className="small">Biggest models: {status.largest.map((m) => `${m.name} (${formatBytes(m.size_bytes)})`).join(', ')}.</p>}
      <a href="#/installed?sort=size" data-testid="storage-banner-link">
        Installed, biggest first →
      </a>
    </div>
  );
}
