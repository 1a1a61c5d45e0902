import { contextBridge } from 'electron';

/**
 * The renderer gets the API address and token — nothing else crosses over. External links open in
 * the system browser through the main process's window-open handler.
 */
function arg(name: string): string {
  const prefix = `--${name}=`;
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length) ?? '';
}

contextBridge.exposeInMainWorld('switchyard', { apiBase: arg('switchyard-api'), token: arg('switchyard-token') });
