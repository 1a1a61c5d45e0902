import { z } from 'zod';
import {
  ActiveEndpointBody,
  ActiveEndpointResponse,
  ActiveRuntimeResponse,
  DriversResponse,
  LogsQuery,
  LogsResponse,
  RuntimeName,
  RuntimeResponse,
  RuntimesResponse,
  SetActiveBody,
  StartBody,
} from '../../../shared/api/runtimes';
import { ErrorBody } from '../../../shared/errors';
import type { Core } from '../../app';
import { describeDriver } from '../../drivers/serving-driver';
import { settingsPlaceOf } from '../../runtimes/adapters';
import type { App } from '../server';

const NameParams = z.object({ name: RuntimeName });
const errors = { 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 424: ErrorBody, 502: ErrorBody, 503: ErrorBody, 504: ErrorBody };

/** `/api/v1/system/llm-servers…`: the runtimes, the active one, start/stop/restart, logs. */
export function registerRuntimeRoutes(app: App, core: Core): void {
  const tags = ['runtimes'];
  // a runtime id is open (any driver's); the registry says which exist, before anything acts on one
  const known = (name: string): string => {
    core.drivers.requireLocalRuntime(name);
    return name;
  };
  app.get('/api/v1/system/llm-servers', { schema: { tags, response: { 200: RuntimesResponse } } }, async () => ({
    success: true as const,
    servers: core.runtimes.list(),
  }));

  app.get(
    '/api/v1/system/drivers',
    { schema: { tags, description: 'Every registered driver and what it can do (requires_model, slots, launch_flags, …): clients decide by these, not by a runtime name.', response: { 200: DriversResponse } } },
    async () => {
      const supervised = new Set(core.runtimes.list().map((r) => r.name));
      const drivers = core.drivers.all().map((d) => {
        const adapter = d.localRuntime && supervised.has(d.localRuntime) ? core.runtimes.adapter(d.localRuntime) : null;
        return describeDriver(d, adapter && settingsPlaceOf(adapter));
      });
      return { success: true as const, drivers };
    },
  );

  app.get('/api/v1/system/llm-servers/active', { schema: { tags, response: { 200: ActiveRuntimeResponse } } }, async () => ({
    success: true as const,
    ...core.activation.activeInfo(),
  }));

  app.post(
    '/api/v1/system/llm-servers/active',
    { schema: { tags, body: SetActiveBody, response: { 200: ActiveRuntimeResponse, ...errors } } },
    async (request) => {
      await core.activation.switchTo(known(request.body.server_name), request.body.model_name);
      return { success: true as const, ...core.activation.activeInfo() };
    },
  );

  app.post(
    '/api/v1/system/llm-servers/:name/start',
    { schema: { tags, params: NameParams, body: StartBody, response: { 200: RuntimeResponse, ...errors } } },
    async (request) => {
      const name = known(request.params.name);
      await core.activation.switchTo(name, request.body?.model_name);
      return { success: true as const, server: core.runtimes.info(name) };
    },
  );

  app.post('/api/v1/system/llm-servers/:name/stop', { schema: { tags, params: NameParams, response: { 200: RuntimeResponse, ...errors } } }, async (request) => ({
    success: true as const,
    server: await core.activation.stops.stop(known(request.params.name)),
  }));

  app.post('/api/v1/system/llm-servers/:name/restart', { schema: { tags, params: NameParams, response: { 200: RuntimeResponse, ...errors } } }, async (request) => ({
    success: true as const,
    server: await core.activation.stops.restart(known(request.params.name)),
  }));

  app.get(
    '/api/v1/system/llm-servers/:name/logs',
    { schema: { tags, params: NameParams, querystring: LogsQuery, response: { 200: LogsResponse, 404: ErrorBody } } },
    async (request) => {
      const name = known(request.params.name);
      return { success: true as const, runtime: name, lines: core.runtimes.logs(name, request.query.tail) };
    },
  );

  // By provider and model: installed models of a local provider, and models a process-less provider serves.
  const endpointAnswer = () => ({ success: true as const, ...core.activation.endpointInfo() });
  app.get('/api/v1/system/llm-runtime/active', { schema: { tags, response: { 200: ActiveEndpointResponse } } }, async () => endpointAnswer());
  app.post(
    '/api/v1/system/llm-runtime/active',
    { schema: { tags, body: ActiveEndpointBody, response: { 200: ActiveEndpointResponse, ...errors } } },
    async (request) => {
      await core.activation.activateProvider(request.body);
      return endpointAnswer();
    },
  );
}
