import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  // Relative asset URLs, so the built files can be served from any path.
  base: './',
  plugins: [react()],
  server: { port: 4200, strictPort: true },
  preview: { port: 4200, strictPort: true },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: false },
});
