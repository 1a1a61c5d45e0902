import { resolve } from 'node:path';
import { defineConfig, externalizeDepsPlugin } from 'electron-vite';
import react from '@vitejs/plugin-react';
import type { Plugin, Rollup } from 'vite';
import { compression } from 'vite-plugin-compression2';

// Three entries share one core: `index` (Electron shell), `serve` (headless, plain Node) and `cli`.
// Dependencies stay external so better-sqlite3 loads its native binding from node_modules.
export default defineConfig({
  main: {
    plugins: [externalizeDepsPlugin()],
    build: {
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src/main/index.ts'),
          serve: resolve(__dirname, 'src/main/serve.ts'),
          cli: resolve(__dirname, 'src/main/cli.ts'),
        },
      },
    },
  },
  preload: {
    plugins: [externalizeDepsPlugin()],
    build: {
      // Sandboxed preload scripts must be CommonJS.
      rollupOptions: {
        input: { index: resolve(__dirname, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    // Brotli and gzip copies of every text asset beside it, served by content negotiation
    // (src/main/http/static-ui.ts): compressed once at build time, never per request.
    plugins: [react(), preloadFirstScreen(['src/renderer/src/start.tsx', 'src/renderer/src/screens/RuntimesScreen.tsx']), compression({ algorithms: ['brotliCompress', 'gzip'], include: /\.(js|css|html|svg|json)$/, threshold: 512 })],
    build: {
      // electron-vite leaves the renderer unminified by default; every screen is a lazy chunk
      // (screens/registry.tsx), so the first screen loads only its own code.
      minify: true,
      rollupOptions: { input: { index: resolve(__dirname, 'src/renderer/index.html') } },
    },
  },
});

/**
 * `<link rel="modulepreload">` in index.html for chunks the entry loads dynamically at once (the app
 * itself, src/renderer/src/start.tsx; the default screen, screens/registry.tsx) and the chunks they
 * import: they download beside index.js instead of after it has run and asked for them, so the first
 * screen waits for no second round of downloads.
 */
function preloadFirstScreen(modules: string[]): Plugin {
  const ids = modules.map((m) => resolve(__dirname, m));
  let base = '/';
  return {
    name: 'switchyard:preload-first-screen',
    configResolved(config) {
      base = config.base; // './' for the renderer (Electron loads it from a file), as Vite's own tags use
    },
    transformIndexHtml: {
      order: 'post',
      handler(_html, ctx) {
        const bundle = ctx.bundle;
        if (!bundle) return; // the dev server loads modules one by one: nothing to preload
        const chunks = Object.values(bundle).filter((c): c is Rollup.OutputChunk => c.type === 'chunk');
        const files: string[] = [];
        const add = (chunk: Rollup.OutputChunk) => {
          if (chunk.isEntry || files.includes(chunk.fileName)) return;
          files.push(chunk.fileName);
          for (const name of chunk.imports) add(bundle[name] as Rollup.OutputChunk);
        };
        for (const id of ids) {
          const chunk = chunks.find((c) => c.facadeModuleId === id);
          if (!chunk) throw new Error(`preloadFirstScreen: no chunk of its own for ${id}; is it still loaded with import()?`);
          add(chunk);
        }
        return files.map((file) => ({ tag: 'link', attrs: { rel: 'modulepreload', crossorigin: true, href: `${base}${file}` }, injectTo: 'head' as const }));
      },
    },
  };
}
