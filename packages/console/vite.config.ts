import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The gateway serves the build at /console/; `npm run dev -w @media-vault/console` proxies the API
// to a gateway on :8080 (GATEWAY_URL to change it).
export default defineConfig({
  base: '/console/',
  plugins: [react()],
  // The workspace root holds another React (a peer of a dependency elsewhere): libraries hoisted
  // there, such as TanStack Query, must use this package's copy.
  resolve: { dedupe: ['react', 'react-dom'] },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  server: {
    proxy: {
      '/api': { target: process.env.GATEWAY_URL ?? 'http://localhost:8080', changeOrigin: false },
    },
  },
});
