import type { z } from 'zod';
import type * as router from '../../shared/api/router';
import { CliError, type ApiClient } from './client';
import { table } from './table';

type RoutesResponse = z.infer<typeof router.RoutesResponse>;
type AliasResponse = z.infer<typeof router.AliasResponse>;

export interface RouterCtx {
  client: ApiClient;
  args: string[];
  values: { json?: boolean };
  stdout: (text: string) => void;
}

const enc = encodeURIComponent;

/** `switchyard routes [--json]`: every model `/v1` answers for by name, with where it goes and its state. */
export async function routesCommand(ctx: RouterCtx): Promise<number> {
  const body = await ctx.client.call<RoutesResponse>('GET', '/api/v1/router/routes');
  if (ctx.values.json) ctx.stdout(`${JSON.stringify(body, null, 2)}\n`);
  else if (body.routes.length === 0) ctx.stdout('No routes: activate a model (switchyard activate <name>) or add and validate a provider (switchyard provider add …).\n');
  else {
    ctx.stdout(
      table(
        ['MODEL', 'SLOT', 'TARGET', 'STATE', 'HEALTH', 'ALIASES', 'DEFAULT'],
        body.routes.map((r) => [
          r.model,
          r.slot,
          r.target.kind === 'remote' ? `${r.target.provider} (remote)` : r.target.runtime,
          r.state,
          r.health.status === 'unknown' ? '' : `${r.health.status}${r.health.latency_ms !== null ? ` ${Math.round(r.health.latency_ms)} ms` : ''}`,
          r.aliases.join(', ') || null,
          r.default ? 'yes' : null,
        ]),
      ),
    );
  }
  return 0;
}

/** `switchyard alias set <alias> <target>` and `alias rm <alias>`. */
export async function aliasCommand(ctx: RouterCtx): Promise<number> {
  const [verb, alias, target] = ctx.args;
  switch (verb) {
    case 'set': {
      if (!alias || !target) throw new CliError('usage', 'usage: alias set <alias> <target> (a route: a local model, or <provider>/<model>)', 2);
      const body = await ctx.client.call<AliasResponse>('PUT', `/api/v1/router/aliases/${enc(alias)}`, { target });
      if (ctx.values.json) ctx.stdout(`${JSON.stringify(body, null, 2)}\n`);
      else ctx.stdout(`${body.alias.alias} → ${body.alias.target}\n`);
      return 0;
    }
    case 'rm':
    case 'remove': {
      if (!alias) throw new CliError('usage', 'usage: alias rm <alias>', 2);
      await ctx.client.call('DELETE', `/api/v1/router/aliases/${enc(alias)}`);
      ctx.stdout(`Removed the alias ${alias}.\n`);
      return 0;
    }
    default:
      throw new CliError('usage', `unknown alias command "${verb ?? ''}": use alias set <alias> <target> or alias rm <alias>.`, 2);
  }
}
