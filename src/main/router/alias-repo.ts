import type { Alias } from '../../shared/api/router';
import type { Db } from '../db/database';

/** SQL of the router's aliases (migration 15). */
export class AliasRepo {
  private readonly stmts;

  constructor(db: Db) {
    this.stmts = {
      list: db.prepare<[], Alias>('SELECT alias, target, created_at FROM router_aliases ORDER BY alias'),
      get: db.prepare<[string], Alias>('SELECT alias, target, created_at FROM router_aliases WHERE alias = ?'),
      upsert: db.prepare('INSERT INTO router_aliases (alias, target, created_at) VALUES (?, ?, ?) ON CONFLICT (alias) DO UPDATE SET target = excluded.target'),
      remove: db.prepare('DELETE FROM router_aliases WHERE alias = ?'),
    };
  }

  list(): Alias[] {
    return this.stmts.list.all();
  }

  get(alias: string): Alias | null {
    return this.stmts.get.get(alias) ?? null;
  }

  set(alias: string, target: string, at: string): Alias {
    this.stmts.upsert.run(alias, target, at);
    return this.get(alias)!;
  }

  remove(alias: string): boolean {
    return this.stmts.remove.run(alias).changes > 0;
  }
}
