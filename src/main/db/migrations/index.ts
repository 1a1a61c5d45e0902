import { coreMigration } from './001-core';
import { modelsMigration } from './002-models';
import { catalogMigration } from './003-catalog';
import { usageMigration } from './004-usage';
import { activationMigration } from './005-activation';
import { chatMigration } from './007-chat';
import { remoteProvidersMigration } from './012-remote-providers';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Append-only. Each domain adds its own numbered file and lists it here. */
export const migrations: readonly Migration[] = [coreMigration, modelsMigration, catalogMigration, usageMigration, activationMigration, chatMigration, remoteProvidersMigration];
