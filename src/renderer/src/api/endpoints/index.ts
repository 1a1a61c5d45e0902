import { catalogApi } from './catalog';
import { chatApi } from './chat';
import { kserveApi } from './kserve';
import { libraryApi } from './library';
import { modelsApi } from './models';
import { remoteApi } from './remote';
import { routerApi } from './router';
import { runtimesApi } from './runtimes';
import { systemApi } from './system';

/**
 * Every call the renderer makes to the local API, typed from the route schemas in src/shared. A new
 * route gets its function in the file of its domain (or a new file added here), never an inline type.
 */
export const sy = {
  catalog: catalogApi,
  models: modelsApi,
  runtimes: runtimesApi,
  system: systemApi,
  chat: chatApi,
  remote: remoteApi,
  kserve: kserveApi,
  library: libraryApi,
  router: routerApi,
};
