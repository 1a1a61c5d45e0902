import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { EventBus } from '../events';
import { createLogger } from '../logger';
import { Settings } from '../../shared/settings';
import type { AppEvent } from '../../shared/events';
import { StorageWatch } from './storage-watch';
import { NotificationPolicy } from '../notifications';
import { tempDir } from '../../../test/support/temp';

describe('StorageWatch', () => {
  it('fires one storage.alert per crossing of storage.alertPercent, re-armed when use falls back under it', async () => {
    const dir = tempDir('storage-watch-');
    let usedPercent = 80;
    const events = new EventBus();
    const alerts: AppEvent[] = [];
    events.on((e) => alerts.push(e), ['storage.alert']);
    const watch = new StorageWatch({
      settings: { get: () => Settings.parse({}) },
      events,
      logger: createLogger({ level: 'silent' }),
      hfHubCache: () => join(dir, 'hf'),
      ollamaModelsDir: () => join(dir, 'ollama'),
      models: () => [],
      disk: async (path) => ({ path, total_bytes: 1000, free_bytes: 1000 - usedPercent * 10 }),
    });
    const look = async (percent: number) => {
      usedPercent = percent;
      return watch.check();
    };
    expect((await look(80)).disks).toEqual([expect.objectContaining({ holds: ['hf-cache', 'ollama-models'], used_percent: 80, alert: false })]);
    await look(90);
    await look(91);
    await look(95);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ type: 'storage.alert', alert_percent: 85, disk: { used_percent: 90, alert: true } });
    expect(new NotificationPolicy().noticeFor(alerts[0]!)).toMatchObject({ title: 'Disk 90% full', urgent: true });
    await look(70);
    await look(86);
    expect(alerts).toHaveLength(2);
    await watch.close();
  });
});
