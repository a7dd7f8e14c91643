// Builds the console into dist/console, which the console listener serves (src/console-server/static.ts).
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  // Vite's own JSX transform (Oxc), with React's automatic runtime: no React import in each file.
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: {
    outDir: '../../dist/console',
    emptyOutDir: true,
    // One request per page load matters less than a readable build: no inlined assets (the CSP allows none).
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
});
