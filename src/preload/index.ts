import { contextBridge, ipcRenderer } from 'electron';

/**
 * The renderer gets the API address and token — nothing else crosses over. They come from the main
 * process over IPC (not argv: a process's command line is readable by every local user). External
 * links open in the system browser through the main process's window-open handler.
 */
const connection = ipcRenderer.sendSync('switchyard:connection') as { apiBase: string; token: string };

contextBridge.exposeInMainWorld('switchyard', { apiBase: connection.apiBase, token: connection.token });
