import { homedir } from 'node:os';
import { z } from 'zod';
import { LocateBinaryBody, RuntimeBinaryResponse } from '../../../shared/api/runtime-binary';
import { RuntimeName } from '../../../shared/api/runtimes';
import { AppError, ErrorBody } from '../../../shared/errors';
import type { Core } from '../../app';
import { findBinary, isExecutable, resolveBinary } from '../../runtimes/binaries';
import { installHelp } from '../../runtimes/install-help';
import type { App } from '../server';
import { runtimeLabel } from '../../../shared/runtimes';

const NameParams = z.object({ name: RuntimeName });
const ENV_OF: Record<RuntimeName, string> = { ollama: 'SWITCHYARD_OLLAMA_BIN', vllm: 'SWITCHYARD_VLLM_BIN' };

function binaryInfo(core: Core, name: RuntimeName) {
  const configured = core.settings.get()[name].binary;
  const env = core.options.env;
  const search = configured ? { path: resolveBinary(configured, env.PATH), searched: configured.includes('/') ? [] : (env.PATH ?? '').split(':').filter(Boolean) } : findBinary(name, env, env.HOME || homedir());
  return {
    configured,
    overridden_by: core.settings.overriddenPaths().includes(`${name}.binary`) ? ENV_OF[name] : null,
    found: search.path,
    searched: search.searched,
    ...installHelp[name],
  };
}

/** First run: where each runtime's program is, how to install it, and pointing Switchyard at one. */
export function registerRuntimeBinaryRoutes(app: App, core: Core): void {
  const tags = ['runtimes'];
  const path = '/api/v1/system/llm-servers/:name/binary';
  // a GET looks again (after the user installed it), so the runtime's state follows
  app.get(path, { schema: { tags, params: NameParams, response: { 200: RuntimeBinaryResponse } } }, async (request) => ({
    success: true as const,
    server: core.runtimes.recheckBinary(request.params.name),
    binary: binaryInfo(core, request.params.name),
  }));
  app.put(path, { schema: { tags, params: NameParams, body: LocateBinaryBody, response: { 200: RuntimeBinaryResponse, 400: ErrorBody, 409: ErrorBody } } }, async (request) => {
    const { name } = request.params;
    const file = request.body.path.trim();
    const label = runtimeLabel(name);
    if (core.settings.overriddenPaths().includes(`${name}.binary`)) {
      throw new AppError('conflict', `${ENV_OF[name]} sets the ${label} program for this session; unset it to choose another here.`);
    }
    if (!file.startsWith('/')) throw new AppError('bad_request', `Give the full path of the ${label} program, starting with /, e.g. /usr/local/bin/${name}.`);
    if (!isExecutable(file)) throw new AppError('bad_request', `${file} is not an executable file. Pick the \`${name}\` program itself (in a venv: …/bin/${name}).`);
    core.settings.update({ [name]: { binary: file } });
    core.events.emit({ type: 'settings.changed' });
    return { success: true as const, server: core.runtimes.recheckBinary(name), binary: binaryInfo(core, name) };
  });
}
