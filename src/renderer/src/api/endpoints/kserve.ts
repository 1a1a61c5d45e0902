import type * as k from '../../../../shared/api/kserve';
import { get, qs, type Query, seg } from '../typed';

/** KServe export and the catalog preview (routes: src/main/http/routes/kserve.ts); registering back is `remote.create`. */
export const kserveApi = {
  export: (name: string, q: Query<typeof k.KserveExportQuery>, signal?: AbortSignal) => get<typeof k.KserveExportResponse>(`/api/v1/models/${seg(name)}/export/kserve${qs({ ...q, format: 'json' })}`, signal),
  preview: (name: string, q: Query<typeof k.KserveExportQuery>, signal?: AbortSignal) => get<typeof k.KserveExportResponse>(`/api/v1/models/catalog/${seg(name)}/export/kserve${qs({ ...q, format: 'json' })}`, signal),
};
