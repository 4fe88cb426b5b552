import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const r = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/**
 * Package tests that start real processes (nats-server, the built CLIs, simulated hypervisors): they run with the
 * integration project, with the trace tests below and everything under test/. Everything else under
 * <package>/test is pure and fast: the unit project (`pnpm test:unit`, under 60 s). `pnpm test` runs all three.
 * A new package test that starts a process, or replays hours of data, belongs in one of these lists.
 */
const PROCESS_TESTS = [
  "agent/test/parse/fasrc-cli.test.ts",
  "agent/test/run/agent.test.ts",
  "agent/test/run/cli.test.ts",
  "cli/test/watch.test.ts",
  "controller/test/core/api.test.ts",
  "controller/test/core/leader.test.ts",
  "controller/test/core/maintenance-rack.test.ts",
  "controller/test/core/malformed.test.ts",
  "controller/test/migration/remote.test.ts",
  "controller/test/migration/sim-hypervisor.test.ts",
  "controller/test/http/feed.test.ts",
  "controller/test/http/server.test.ts",
  "controller/test/ops/service.test.ts",
  "shared/test/nats-cluster.test.ts",
  "shared/test/nats-server.test.ts",
];
/** Pure but long: replays of recorded fleets and simulated days of sensor traces. */
const TRACE_TESTS = [
  "agent/test/detect/confounders.test.ts",
  "agent/test/detect/detector.test.ts",
  "agent/test/replay/replay.test.ts",
  "agent/test/sim/fleet.test.ts",
  "agent/test/sim/host.test.ts",
];
const PACKAGE_TESTS = "{shared,agent,controller,cli,demo}/test/**/*.test.ts";
const ignored = ["**/node_modules/**", "**/dist/**"];

export default defineConfig({
  resolve: {
    alias: [
      // tests run on the sources: each package's public entry and its internal one (never a dist/ beside a src/)
      { find: /^@presage\/shared\/testing$/, replacement: r("./shared/src/testing/index.ts") },
      { find: /^@presage\/(shared|agent|controller|cli|demo)$/, replacement: r("./$1/src/index.ts") },
      { find: /^@presage\/(agent|controller|cli|demo)\/internal$/, replacement: r("./$1/src/internal.ts") },
    ],
  },
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    projects: [
      {
        extends: true,
        test: { name: "unit", include: [PACKAGE_TESTS], exclude: [...ignored, ...PROCESS_TESTS, ...TRACE_TESTS] },
      },
      { extends: true, test: { name: "traces", include: TRACE_TESTS, exclude: ignored } },
      {
        extends: true,
        test: { name: "integration", include: [...PROCESS_TESTS, "test/**/*.test.ts"], exclude: ignored },
      },
    ],
  },
});
