import { Ok } from '../../../shared/api/common';
import { AliasBody, AliasParams, AliasResponse, AliasesResponse, RoutesResponse } from '../../../shared/api/router';
import { ErrorBody } from '../../../shared/errors';
import type { Core } from '../../app';
import type { App } from '../server';

const errors = { 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 500: ErrorBody };

/** `/api/v1/router…`: the routing table behind `/v1` and its aliases. */
export function registerRouterRoutes(app: App, core: Core): void {
  const tags = ['router'];
  const base = '/api/v1/router';

  app.get(
    `${base}/routes`,
    { schema: { tags, description: 'Every route: local slots, loadable local models (load on demand), remote models; state, health and aliases.', response: { 200: RoutesResponse } } },
    async () => ({ success: true as const, routes: core.router.routes(), default: core.router.defaultRoute() }),
  );

  app.get(`${base}/aliases`, { schema: { tags, response: { 200: AliasesResponse } } }, async () => ({ success: true as const, aliases: core.router.aliases() }));

  app.put(
    `${base}/aliases/:alias`,
    { schema: { tags, params: AliasParams, body: AliasBody, description: 'Sets an alias to a route (not to another alias; never the name of an installed local model).', response: { 200: AliasResponse, ...errors } } },
    async (request) => ({ success: true as const, alias: core.router.setAlias(request.params.alias, request.body.target) }),
  );

  app.delete(`${base}/aliases/:alias`, { schema: { tags, params: AliasParams, response: { 200: Ok, ...errors } } }, async (request) => {
    core.router.removeAlias(request.params.alias);
    return { success: true as const };
  });
}
