import type Database from 'better-sqlite3';
import { coreMigration } from './001-core';
import { modelsMigration } from './002-models';
import { catalogMigration } from './003-catalog';
import { usageMigration } from './004-usage';
import { activationMigration } from './005-activation';
import { chatMigration } from './007-chat';
import { remoteProvidersMigration } from './012-remote-providers';
import { modelsOpenKindsMigration } from './013-models-open-kinds';
import { routerAliasesMigration } from './015-router-aliases';
import { providersEnabledMigration } from './016-providers-enabled';
import { modelLibraryMigration } from './017-model-library';

export interface Migration {
  version: number;
  name: string;
  sql?: string;
  /** steps SQL alone cannot write (read the schema, then change it); runs after `sql`, in the same transaction */
  up?(db: Database.Database): void;
  /**
   * It drops and re-creates a table others point at: run with foreign keys off and checked before
   * the commit (see ../migrate.ts), so that no referencing row is cascade-deleted.
   */
  rebuildsTables?: boolean;
}

/** Append-only. Each domain adds its own numbered file and lists it here. */
export const migrations: readonly Migration[] = [
  coreMigration,
  modelsMigration,
  catalogMigration,
  usageMigration,
  activationMigration,
  chatMigration,
  remoteProvidersMigration,
  modelsOpenKindsMigration,
  routerAliasesMigration,
  providersEnabledMigration,
  modelLibraryMigration,
];
