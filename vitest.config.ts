import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const r = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@presage\/shared\/testing$/, replacement: r("./shared/src/testing/index.ts") },
      { find: /^@presage\/shared$/, replacement: r("./shared/src/index.ts") },
    ],
  },
  test: {
    include: ["{shared,agent,controller}/test/**/*.test.ts", "test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
