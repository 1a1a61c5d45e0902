interface Window {
  /** set by the Electron preload script; absent in a plain browser */
  switchyard?: { apiBase: string; token: string; pickExecutable?: (title: string) => Promise<string | null>; pickModelPath?: (kind: 'file' | 'folder') => Promise<string | null> };
}
