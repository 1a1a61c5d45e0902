import type { Db } from './database';

/** Stored settings (one JSON document per group) and small app state values. */
export class SettingsRepo {
  private readonly getGroups;
  private readonly upsertGroup;
  private readonly getState;
  private readonly upsertState;
  private readonly writeMany: (groups: Record<string, unknown>, state: Record<string, unknown>) => void;

  constructor(db: Db) {
    this.getGroups = db.prepare<[], { grp: string; value: string }>('SELECT grp, value FROM settings');
    this.upsertGroup = db.prepare(
      `INSERT INTO settings (grp, value, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (grp) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    );
    this.getState = db.prepare<[string], { value: string }>('SELECT value FROM app_state WHERE key = ?');
    this.upsertState = db.prepare(
      `INSERT INTO app_state (key, value, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    );
    this.writeMany = db.transaction((groups: Record<string, unknown>, state: Record<string, unknown>) => {
      for (const [group, value] of Object.entries(groups)) this.writeGroup(group, value);
      for (const [key, value] of Object.entries(state)) this.writeState(key, value);
    });
  }

  /** Several groups (and app state values) in one transaction: all of them are written, or none. */
  writeGroups(groups: Record<string, unknown>, state: Record<string, unknown> = {}): void {
    this.writeMany(groups, state);
  }

  readGroups(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const row of this.getGroups.all()) {
      try {
        out[row.grp] = JSON.parse(row.value);
      } catch {
        // A hand-edited, unreadable group falls back to defaults rather than blocking start-up.
      }
    }
    return out;
  }

  writeGroup(group: string, value: unknown): void {
    this.upsertGroup.run(group, JSON.stringify(value), new Date().toISOString());
  }

  readState<T>(key: string): T | undefined {
    const row = this.getState.get(key);
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  writeState(key: string, value: unknown): void {
    this.upsertState.run(key, JSON.stringify(value), new Date().toISOString());
  }
}
