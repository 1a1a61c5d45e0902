import { contextBridge, ipcRenderer } from 'electron';

/**
 * The renderer gets the API address, the token and a file picker — nothing else crosses over. They come from the main
 * process over IPC (not argv: a process's command line is readable by every local user). External
 * links open in the system browser through the main process's window-open handler.
 */
const connection = ipcRenderer.sendSync('switchyard:connection') as { apiBase: string; token: string };

contextBridge.exposeInMainWorld('switchyard', {
  apiBase: connection.apiBase,
  token: connection.token,
  /** a native "open file" dialog for a runtime's program; the path, or null when cancelled */
  pickExecutable: (title: string): Promise<string | null> => ipcRenderer.invoke('switchyard:pick-executable', String(title)),
  /** Installed › Import…: a .gguf file or a model folder; the path, or null when cancelled */
  pickModelPath: (kind: 'file' | 'folder'): Promise<string | null> => ipcRenderer.invoke('switchyard:pick-model-path', kind === 'folder' ? 'folder' : 'file'),
});
