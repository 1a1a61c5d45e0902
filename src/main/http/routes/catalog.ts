import { z } from 'zod';
import {
  CatalogDetailQuery,
  CatalogDetailResponse,
  CatalogSearchQuery,
  CatalogSearchResponse,
  CatalogStatusResponse,
  NewsQuery,
  NewsResponse,
  OfflineBody,
  OfflineResponse,
  ProvidersQuery,
  ProvidersResponse,
  RefreshBody,
  RefreshResponse,
  TrendingQuery,
  TrendingResponse,
} from '../../../shared/api/catalog';
import { ModelName } from '../../../shared/api/common';
import { ErrorBody } from '../../../shared/errors';
import type { Core } from '../../app';
import type { App } from '../server';
import { launchPreviewOf } from '../../drivers/serving-driver';

const errors = { 400: ErrorBody, 404: ErrorBody, 502: ErrorBody, 503: ErrorBody };

/** `/api/v1/models/providers|trending|news|catalog…` and `/api/v1/system/offline` (seed Venom shapes). */
export function registerCatalogRoutes(app: App, core: Core): void {
  const tags = ['catalog'];
  const catalog = core.catalog;

  app.get('/api/v1/models/providers', { schema: { tags, querystring: ProvidersQuery, response: { 200: ProvidersResponse, ...errors } } }, async (request) => {
    const r = await catalog.providers(request.query);
    return { success: true as const, provider: request.query.provider, models: r.data, count: r.data.length, stale: r.stale, error: r.error, fetched_at: r.fetched_at, offline: r.offline };
  });

  app.get('/api/v1/models/trending', { schema: { tags, querystring: TrendingQuery, response: { 200: TrendingResponse, ...errors } } }, async (request) => {
    const r = await catalog.trending(request.query);
    return { success: true as const, provider: request.query.provider, models: r.data, count: r.data.length, stale: r.stale, error: r.error, fetched_at: r.fetched_at, offline: r.offline };
  });

  app.get('/api/v1/models/news', { schema: { tags, querystring: NewsQuery, response: { 200: NewsResponse, ...errors } } }, async (request) => {
    const r = await catalog.newsItems(request.query);
    return { success: true as const, provider: 'huggingface' as const, type: request.query.type, items: r.data, count: r.data.length, stale: r.stale, error: r.error, fetched_at: r.fetched_at, offline: r.offline };
  });

  app.get('/api/v1/models/catalog/search', { schema: { tags, querystring: CatalogSearchQuery, response: { 200: CatalogSearchResponse, ...errors } } }, async (request) => {
    const r = catalog.search(request.query);
    return { success: true as const, models: r.models, count: r.models.length, total: r.total, offline: catalog.offline };
  });

  app.get('/api/v1/models/catalog/status', { schema: { tags, response: { 200: CatalogStatusResponse } } }, async () => ({ success: true as const, ...catalog.status() }));

  app.post('/api/v1/models/catalog/refresh', { schema: { tags, body: RefreshBody.nullish(), response: { 200: RefreshResponse, ...errors } } }, async (request) => {
    // No body at all (curl -X POST, the CLI) refreshes everything.
    const body = request.body ?? { section: 'all' as const };
    const results = await catalog.refresh(body.section, body.provider);
    return { success: true as const, section: body.section, results, offline: catalog.offline };
  });

  app.get(
    '/api/v1/models/catalog/:name',
    { schema: { tags, params: z.object({ name: ModelName }), querystring: CatalogDetailQuery, response: { 200: CatalogDetailResponse, ...errors } } },
    async (request) => {
      const r = await catalog.detail(request.params.name, request.query);
      const launch = launchPreviewOf(core.drivers, r.data.runtime, r.data.model_name, r.fit.runtime_flags, core.settings.get());
      return { success: true as const, model: r.data, fit: r.fit, launch, stale: r.stale, error: r.error, fetched_at: r.fetched_at, offline: r.offline };
    },
  );

  const offlineBody = () => ({ success: true as const, offline: catalog.offline, forced: catalog.offlineForced() });
  app.get('/api/v1/system/offline', { schema: { tags, response: { 200: OfflineResponse } } }, async () => offlineBody());
  app.put('/api/v1/system/offline', { schema: { tags, body: OfflineBody, response: { 200: OfflineResponse, ...errors } } }, async (request) => {
    catalog.setOffline(request.body.offline);
    core.events.emit({ type: 'settings.changed' });
    return offlineBody();
  });
}
