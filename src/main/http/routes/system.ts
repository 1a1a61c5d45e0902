import { z } from 'zod';
import {
  EndpointStatsResponse,
  GpusQuery,
  GpusResponse,
  ModelsUsageResponse,
  ServerInfoResponse,
  UsageDailyQuery,
  UsageDailyResponse,
} from '../../../shared/api/system';
import type { Core } from '../../app';
import { PROMETHEUS_CONTENT_TYPE, renderMetrics } from '../../usage/prometheus';
import { utcDay } from '../../usage/usage-recorder';
import type { App } from '../server';

/** GPUs, system usage (Venom's `/models/usage`), endpoint usage rollups and Prometheus `/metrics`. */
export function registerSystemRoutes(app: App, core: Core): void {
  app.get('/api/v1/system/server', { schema: { tags: ['system'], description: 'Where the API listens; loopback_only is false when other machines can reach it.', response: { 200: ServerInfoResponse } } }, async () => {
    const address = app.server.address();
    const host = core.options.host.replace(/^\[(.*)\]$/, '$1');
    return {
      success: true as const,
      server: {
        host,
        port: typeof address === 'object' && address ? address.port : core.options.port,
        loopback_only: host === 'localhost' || host === '::1' || host.startsWith('127.'),
        allowed_hosts: (core.options.env.SWITCHYARD_ALLOWED_HOSTS ?? '').split(',').map((h) => h.trim()).filter(Boolean),
      },
    };
  });

  app.get('/api/v1/system/gpus', { schema: { tags: ['system'], querystring: GpusQuery, response: { 200: GpusResponse } } }, async (request) => {
    const gpu = core.gpu;
    const status = gpu.status();
    return {
      success: true as const,
      status,
      current: gpu.current(),
      processes: gpu.processes(),
      history: gpu.history(request.query.history_s * 1000),
      controllers: status.state === 'unavailable' ? await core.systemStats.controllers() : [],
    };
  });

  app.get('/api/v1/models/usage', { schema: { tags: ['system'], response: { 200: ModelsUsageResponse } } }, async () => ({
    success: true as const,
    usage: await core.systemStats.usage(),
  }));

  app.get('/api/v1/models/usage/daily', { schema: { tags: ['system'], querystring: UsageDailyQuery, response: { 200: UsageDailyResponse } } }, async (request) => {
    core.usage.flush();
    const first = utcDay(Date.now() - (request.query.days - 1) * 86_400_000);
    return { success: true as const, days: core.usageRepo.listSince(first) };
  });

  app.get('/api/v1/models/usage/endpoint', { schema: { tags: ['system'], response: { 200: EndpointStatsResponse } } }, async () => ({
    success: true as const,
    stats: core.usage.stats(),
  }));

  app.get('/metrics', { schema: { tags: ['system'], description: 'Prometheus metrics (text format 0.0.4).', response: { 200: z.string() } } }, async (_request, reply) => {
    reply.type(PROMETHEUS_CONTENT_TYPE);
    return renderMetrics({ usage: core.usage, runtimes: core.runtimes.list(), gpu: core.gpu.snapshot(), routes: core.router.routes() });
  });
}
