import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import tailwindcss from '@tailwindcss/vite';

const api = process.env.ACCORD_API_URL ?? 'http://localhost:3000';

export default defineConfig({
  plugins: [tailwindcss(), svelte()],
  server: {
    proxy: {
      '/api': { target: api, changeOrigin: false },
      '/socket.io': { target: api, ws: true },
      '/collab': { target: api, ws: true },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The largest chunk is the rubric editor (CodeMirror + Yjs bindings), loaded only on its tab.
    chunkSizeWarningLimit: 700,
    rolldownOptions: {
      output: {
        // Libraries change less often than the app: separate chunks cache better across releases.
        codeSplitting: {
          groups: [
            // Zod's jitless setting travels with zod: every chunk that builds a schema imports this
            // one first, so no schema is built (and no `new Function` probed under the CSP) before it.
            { name: 'schemas', test: /node_modules[\\/]zod[\\/]|packages[\\/]core[\\/]src[\\/]jitless\.ts$/ },
            { name: 'ui', test: /node_modules[\\/](bits-ui|@floating-ui|svelte-toolbelt|runed|tabbable|style-to-object|inline-style-parser)[\\/]/ },
            { name: 'markdown', test: /node_modules[\\/](marked|dompurify)[\\/]/ },
            { name: 'svelte', test: /node_modules[\\/](svelte|esm-env|clsx)[\\/]/ },
          ],
        },
      },
    },
  },
});
