import { stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { StorageDisk, StorageStatus } from '../../shared/api/library';
import type { SettingsService } from '../config';
import type { EventBus } from '../events';
import type { Logger } from '../logger';
import { diskInfo, type DiskInfo } from '../models/guards';
import type { ModelRecord } from '../models/models-repo';

export interface StorageWatchDeps {
  settings: Pick<SettingsService, 'get'>;
  events: EventBus;
  logger: Logger;
  hfHubCache(): string;
  ollamaModelsDir(): string;
  /** the manifest's models (what uses the space) */
  models(): ModelRecord[];
  /** how often the disks are looked at besides after each operation (default 60 s) */
  intervalMs?: number;
  /** test seam: the filesystem's size and free space */
  disk?: (dir: string) => Promise<DiskInfo>;
}

type Holder = StorageDisk['holds'][number];

/**
 * Watches the disks holding the HF cache and Ollama's models: past `storage.alertPercent` used, one
 * `storage.alert` event per crossing (the notification policy turns it into a desktop notification);
 * it re-arms once use falls back under the line. Looked at on start, after every finished operation,
 * when settings change, and on a slow timer for what others write.
 */
export class StorageWatch {
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  /** disks (by device) now over the line: told once until they fall under it */
  private readonly over = new Set<string>();
  private running: Promise<StorageStatus> | null = null;

  constructor(private readonly deps: StorageWatchDeps) {}

  start(): void {
    this.unsubscribe = this.deps.events.on(
      (e) => {
        if (e.type === 'settings.changed' || (e.type === 'operation.updated' && (e.operation.status === 'completed' || e.operation.status === 'failed'))) this.checkInBackground();
      },
      ['operation.updated', 'settings.changed'],
    );
    this.timer = setInterval(() => this.checkInBackground(), this.deps.intervalMs ?? 60_000);
    this.timer.unref();
    this.checkInBackground();
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }

  /** The disks and what uses them; emits `storage.alert` for a disk that crossed the line since the last look. */
  check(): Promise<StorageStatus> {
    // one look at a time: a burst of finished operations shares it
    this.running ??= this.look().finally(() => (this.running = null));
    return this.running;
  }

  private checkInBackground(): void {
    this.check().catch((error) => this.deps.logger.warn({ error }, 'could not look at the model disks'));
  }

  private async look(): Promise<StorageStatus> {
    const alertPercent = this.deps.settings.get().storage.alertPercent;
    const dirs: [Holder, string][] = [
      ['hf-cache', this.deps.hfHubCache()],
      ['ollama-models', this.deps.ollamaModelsDir()],
    ];
    const byDevice = new Map<string, StorageDisk>();
    for (const [holder, dir] of dirs) {
      const device = await deviceOf(dir);
      const known = byDevice.get(device);
      if (known) {
        known.holds.push(holder);
        continue;
      }
      const info = await (this.deps.disk ?? diskInfo)(dir);
      const used = info.total_bytes > 0 ? ((info.total_bytes - info.free_bytes) / info.total_bytes) * 100 : 0;
      byDevice.set(device, { holds: [holder], path: dir, total_bytes: info.total_bytes, free_bytes: info.free_bytes, used_percent: Math.round(used * 10) / 10, alert: used >= alertPercent });
    }
    for (const [device, disk] of byDevice) {
      if (!disk.alert) {
        this.over.delete(device);
        continue;
      }
      if (this.over.has(device)) continue;
      this.over.add(device);
      this.deps.events.emit({ type: 'storage.alert', disk, alert_percent: alertPercent });
    }
    const largest = this.deps
      .models()
      .filter((m) => m.size_bytes > 0 && !(m.source === 'local' && m.provider === 'huggingface')) // an imported folder is the user's, not ours to free
      .sort((a, b) => b.size_bytes - a.size_bytes)
      .slice(0, 5)
      .map((m) => ({ name: m.name, provider: m.provider, size_bytes: m.size_bytes }));
    return { alert_percent: alertPercent, disks: [...byDevice.values()], largest };
  }
}

/** The device a folder (or its nearest existing parent) lives on: two folders on one disk are one disk. */
async function deviceOf(dir: string): Promise<string> {
  let probe = dir;
  while (!existsSync(probe) && dirname(probe) !== probe) probe = dirname(probe);
  return String((await stat(probe)).dev);
}
