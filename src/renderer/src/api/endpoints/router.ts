import type { Ok } from '../../../../shared/api/common';
import type * as r from '../../../../shared/api/router';
import { del, get, type In, put, seg } from '../typed';

/** The router behind /v1: its routes and aliases (routes: src/main/http/routes/router.ts). */
export const routerApi = {
  routes: () => get<typeof r.RoutesResponse>('/api/v1/router/routes'),
  aliases: () => get<typeof r.AliasesResponse>('/api/v1/router/aliases'),
  setAlias: (alias: string, body: In<typeof r.AliasBody>) => put<typeof r.AliasResponse>(`/api/v1/router/aliases/${seg(alias)}`, body),
  removeAlias: (alias: string) => del<typeof Ok>(`/api/v1/router/aliases/${seg(alias)}`),
};
