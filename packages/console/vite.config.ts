import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The gateway serves the build at /console/; `npm run dev -w @media-vault/console` proxies the API
// to a gateway on :8080 (GATEWAY_URL to change it).
export default defineConfig({
  base: '/console/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  server: {
    proxy: {
      '/api': { target: process.env.GATEWAY_URL ?? 'http://localhost:8080', changeOrigin: false },
    },
  },
});
