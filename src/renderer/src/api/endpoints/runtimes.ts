import type * as b from '../../../../shared/api/runtime-binary';
import type * as r from '../../../../shared/api/runtimes';
import { get, type In, post, put, qs, type Query, seg } from '../typed';

type Name = In<typeof r.RuntimeName>;

/** The runtimes (llm-servers) and their binaries (routes: src/main/http/routes/runtimes.ts, runtime-binary.ts). */
export const runtimesApi = {
  list: () => get<typeof r.RuntimesResponse>('/api/v1/system/llm-servers'),
  /** what each driver can do (requires_model, slots, launch_flags): the screens decide by these, not by names */
  drivers: () => get<typeof r.DriversResponse>('/api/v1/system/drivers'),
  logs: (name: Name, q: Query<typeof r.LogsQuery>) => get<typeof r.LogsResponse>(`/api/v1/system/llm-servers/${seg(name)}/logs${qs(q)}`),
  setActive: (body: In<typeof r.SetActiveBody>) => post<typeof r.ActiveRuntimeResponse>('/api/v1/system/llm-servers/active', body),
  start: (name: Name, body: In<typeof r.StartBody>) => post<typeof r.RuntimeResponse>(`/api/v1/system/llm-servers/${seg(name)}/start`, body),
  stop: (name: Name) => post<typeof r.RuntimeResponse>(`/api/v1/system/llm-servers/${seg(name)}/stop`),
  restart: (name: Name) => post<typeof r.RuntimeResponse>(`/api/v1/system/llm-servers/${seg(name)}/restart`),
  binary: (name: Name) => get<typeof b.RuntimeBinaryResponse>(`/api/v1/system/llm-servers/${seg(name)}/binary`),
  locateBinary: (name: Name, body: In<typeof b.LocateBinaryBody>) => put<typeof b.RuntimeBinaryResponse>(`/api/v1/system/llm-servers/${seg(name)}/binary`, body),
};
