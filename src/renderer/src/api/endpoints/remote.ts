import type * as p from '../../../../shared/api/remote';
import type { Ok } from '../../../../shared/api/common';
import type * as r from '../../../../shared/api/runtimes';
import { del, get, type In, patch, post, qs, type Query, seg } from '../typed';

/** Remote providers, their validations and models, the remote model served (routes: src/main/http/routes/remote-providers.ts, runtimes.ts). */
export const remoteApi = {
  list: () => get<typeof p.ProvidersResponse>('/api/v1/remote-providers'),
  create: (body: In<typeof p.ProviderCreate>) => post<typeof p.ProviderResponse>('/api/v1/remote-providers', body),
  update: (id: string, body: In<typeof p.ProviderPatch>) => patch<typeof p.ProviderResponse>(`/api/v1/remote-providers/${seg(id)}`, body),
  remove: (id: string) => del<typeof Ok>(`/api/v1/remote-providers/${seg(id)}`),
  validate: (id: string, body: In<typeof p.ValidateBody> = {}) => post<typeof p.ValidationResponse>(`/api/v1/remote-providers/${seg(id)}/validate`, body),
  validations: (id: string) => get<typeof p.ValidationsResponse>(`/api/v1/remote-providers/${seg(id)}/validations`),
  models: (id: string) => get<typeof p.RemoteModelsResponse>(`/api/v1/remote-providers/${seg(id)}/models`),
  test: (id: string, body: In<typeof p.TestBody>) => post<typeof p.RemoteTestResponse>(`/api/v1/remote-providers/${seg(id)}/test`, body),
  usage: (q: Query<typeof p.RemoteUsageQuery>) => get<typeof p.RemoteUsageResponse>(`/api/v1/models/usage/remote${qs(q)}`),
  active: () => get<typeof r.ActiveEndpointResponse>('/api/v1/system/llm-runtime/active'),
  activate: (body: In<typeof r.ActiveEndpointBody>) => post<typeof r.ActiveEndpointResponse>('/api/v1/system/llm-runtime/active', body),
};
