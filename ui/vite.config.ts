import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The dev server proxies the API to a locally running `gpustack start --port 18080`.
const apiTarget = process.env.GPUSTACK_API ?? 'http://127.0.0.1:18080';
const proxied = ['/v1', '/v1-openai', '/v2', '/auth', '/healthz', '/version'];

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: '../gpustack/ui_dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        manualChunks: {
          react: ['react', 'react-dom', 'react-router-dom'],
        },
      },
    },
  },
  server: {
    proxy: Object.fromEntries(proxied.map((p) => [p, { target: apiTarget, changeOrigin: true }])),
  },
});
