import type * as c from '../../../../shared/api/catalog';
import { get, type In, post, put, qs, type Query, seg } from '../typed';

/** Catalog, trending, news, model pages and offline mode (routes: src/main/http/routes/catalog.ts, model-card.ts). */
export const catalogApi = {
  providers: (q: Query<typeof c.ProvidersQuery>, signal?: AbortSignal) => get<typeof c.ProvidersResponse>(`/api/v1/models/providers${qs(q)}`, signal),
  trending: (q: Query<typeof c.TrendingQuery>) => get<typeof c.TrendingResponse>(`/api/v1/models/trending${qs(q)}`),
  news: (q: Query<typeof c.NewsQuery>) => get<typeof c.NewsResponse>(`/api/v1/models/news${qs(q)}`),
  search: (q: Query<typeof c.CatalogSearchQuery>) => get<typeof c.CatalogSearchResponse>(`/api/v1/models/catalog/search${qs(q)}`),
  detail: (name: string, q: Query<typeof c.CatalogDetailQuery>) => get<typeof c.CatalogDetailResponse>(`/api/v1/models/catalog/${seg(name)}${qs(q)}`),
  card: (name: string) => get<typeof c.ModelCardResponse>(`/api/v1/models/catalog/${seg(name)}/readme`),
  refresh: (body: In<typeof c.RefreshBody>) => post<typeof c.RefreshResponse>('/api/v1/models/catalog/refresh', body),
  offline: () => get<typeof c.OfflineResponse>('/api/v1/system/offline'),
  setOffline: (body: In<typeof c.OfflineBody>) => put<typeof c.OfflineResponse>('/api/v1/system/offline', body),
};
