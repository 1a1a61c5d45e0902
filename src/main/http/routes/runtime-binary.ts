import { homedir } from 'node:os';
import { z } from 'zod';
import { LocateBinaryBody, RuntimeBinaryResponse } from '../../../shared/api/runtime-binary';
import { RuntimeName } from '../../../shared/api/runtimes';
import { AppError, ErrorBody } from '../../../shared/errors';
import type { Core } from '../../app';
import { findBinary, isExecutable, resolveBinary } from '../../runtimes/binaries';
import { installHelpOf } from '../../runtimes/install-help';
import type { App } from '../server';
import { binaryPatch, binarySetting, settingsPathOf, type RuntimeAdapter } from '../../runtimes/adapters';

const NameParams = z.object({ name: RuntimeName });

/** The adapter of a runtime a driver serves through (`runtime_not_found`, naming the known ones, otherwise). */
function adapterOf(core: Core, name: RuntimeName) {
  core.drivers.requireLocalRuntime(name);
  return core.runtimes.adapter(name);
}

function binaryInfo(core: Core, adapter: RuntimeAdapter) {
  const configured = binarySetting(adapter, core.settings.get());
  const env = core.options.env;
  const search = configured ? { path: resolveBinary(configured, env.PATH), searched: configured.includes('/') ? [] : (env.PATH ?? '').split(':').filter(Boolean) } : findBinary(adapter.defaultBinary, env, env.HOME || homedir());
  return {
    configured,
    overridden_by: core.settings.overriddenPaths().includes(`${settingsPathOf(adapter)}.binary`) ? adapter.binaryEnv : null,
    found: search.path,
    searched: search.searched,
    ...installHelpOf(adapter),
  };
}

/** First run: where each runtime's program is, how to install it, and pointing Switchyard at one. */
export function registerRuntimeBinaryRoutes(app: App, core: Core): void {
  const tags = ['runtimes'];
  const path = '/api/v1/system/llm-servers/:name/binary';
  // a GET looks again (after the user installed it), so the runtime's state follows
  app.get(path, { schema: { tags, params: NameParams, response: { 200: RuntimeBinaryResponse, 404: ErrorBody } } }, async (request) => {
    const adapter = adapterOf(core, request.params.name);
    return { success: true as const, server: core.runtimes.recheckBinary(adapter.name), binary: binaryInfo(core, adapter) };
  });
  app.put(path, { schema: { tags, params: NameParams, body: LocateBinaryBody, response: { 200: RuntimeBinaryResponse, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody } } }, async (request) => {
    const adapter = adapterOf(core, request.params.name);
    const name = adapter.defaultBinary;
    const file = request.body.path.trim();
    const label = adapter.displayName;
    if (core.settings.overriddenPaths().includes(`${settingsPathOf(adapter)}.binary`)) {
      throw new AppError('conflict', `${adapter.binaryEnv} sets the ${label} program for this session; unset it to choose another here.`);
    }
    if (!file.startsWith('/')) throw new AppError('bad_request', `Give the full path of the ${label} program, starting with /, e.g. /usr/local/bin/${name}.`);
    if (!isExecutable(file)) throw new AppError('bad_request', `${file} is not an executable file. Pick the \`${name}\` program itself (in a venv: …/bin/${name}).`);
    core.settings.update(binaryPatch(adapter, file));
    core.events.emit({ type: 'settings.changed' });
    return { success: true as const, server: core.runtimes.recheckBinary(adapter.name), binary: binaryInfo(core, adapter) };
  });
}
