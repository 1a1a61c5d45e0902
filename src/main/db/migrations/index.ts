import { coreMigration } from './001-core';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Append-only. Each domain adds its own numbered file and lists it here. */
export const migrations: readonly Migration[] = [coreMigration];
