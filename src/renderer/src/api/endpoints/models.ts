import type * as m from '../../../../shared/api/models';
import { del, get, type In, patch, post, qs, type Query, seg } from '../typed';

/** Installed models, installs, operations and activation (routes: src/main/http/routes/models.ts). */
export const modelsApi = {
  registry: (q: Query<typeof m.RegistryQuery> = {}) => get<typeof m.RegistryResponse>(`/api/v1/models/registry${qs(q)}`),
  plan: (q: Query<typeof m.PlanQuery>, signal?: AbortSignal) => get<typeof m.PlanResponse>(`/api/v1/models/registry/plan${qs(q)}`, signal),
  install: (body: In<typeof m.InstallBody>) => post<typeof m.InstallResponse>('/api/v1/models/registry/install', body),
  remove: (name: string) => del<typeof m.InstallResponse>(`/api/v1/models/registry/${seg(name)}`),
  operations: (q: Query<typeof m.OperationsQuery>) => get<typeof m.OperationsResponse>(`/api/v1/models/operations${qs(q)}`),
  operation: (id: string) => get<typeof m.OperationResponse>(`/api/v1/models/operations/${seg(id)}`),
  cancel: (id: string, body: In<typeof m.CancelBody>) => post<typeof m.OperationResponse>(`/api/v1/models/operations/${seg(id)}/cancel`, body),
  retry: (id: string) => post<typeof m.InstallResponse>(`/api/v1/models/operations/${seg(id)}/retry`),
  activate: (body: In<typeof m.ActivateBody>) => post<typeof m.ActivationResponse>('/api/v1/models/activate', body),
  deactivate: (body: In<typeof m.DeactivateBody>) => post<typeof m.DeactivationResponse>('/api/v1/models/deactivate', body),
  test: (name: string, body: In<typeof m.TestBody> = {}) => post<typeof m.TestResponse>(`/api/v1/models/${seg(name)}/test`, body),
  verify: (name: string) => post<typeof m.ValidationsResponse>(`/api/v1/models/${seg(name)}/verify`),
  setRuntimeFlags: (name: string, body: In<typeof m.RuntimeFlagsBody>) => patch<typeof m.RuntimeFlagsResponse>(`/api/v1/models/${seg(name)}/runtime-flags`, body),
};
