import type * as l from '../../../../shared/api/library';
import { get, type In, post, put, seg } from '../typed';

/** Import from disk, revisions and pins, the model disks (routes: src/main/http/routes/library.ts). */
export const libraryApi = {
  import: (body: In<typeof l.ImportBody>) => post<typeof l.ImportResponse>('/api/v1/models/registry/import', body),
  revisions: (name: string) => get<typeof l.RevisionsResponse>(`/api/v1/models/${seg(name)}/revisions`),
  pin: (name: string, body: In<typeof l.PinBody>) => put<typeof l.PinResponse>(`/api/v1/models/${seg(name)}/revision`, body),
  storage: () => get<typeof l.StorageResponse>('/api/v1/system/storage'),
};
