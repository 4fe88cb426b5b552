import { defineConfig } from "vite";

// The controller serves dist/ (controller/src/http/assets.ts); relative URLs keep it working under any path.
export default defineConfig({
  base: "./",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 200 },
});
