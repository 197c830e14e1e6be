// The console builds into the inferd package (packages/server/dist/console) through scripts/build-console.mjs,
// run by the root build and by the inferd package's prepack; served by its HTTP frontend at /console.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  base: '/console/',
  build: {
    outDir: fileURLToPath(new URL('../server/dist/console', import.meta.url)),
    emptyOutDir: true,
    // One script and one stylesheet: the board serving it may be small; no source maps shipped.
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
});
