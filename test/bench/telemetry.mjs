// pnpm bench:telemetry: memory of the controller's per-host telemetry store (controller/src/telemetry.ts)
// when one host reports 800,000 distinct sensor names (issue 13 item 4), with the default cap
// (telemetry.maxSensorsPerHost) and with no cap (what the controller did before). Each run is its own
// process so one cannot skew the other; batches are JSON-parsed like the controller's subscription does.
// Runs on the built dist/.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const SENSORS = 800_000;
const BATCH = 5_000;
const HISTORY = 60;

async function child(cap) {
  const { Telemetry } = await import("../../controller/dist/telemetry.js");
  const gc = globalThis.gc;
  gc();
  const before = process.memoryUsage();
  const t = new Telemetry({ historyLength: HISTORY, maxSensorsPerHost: cap });
  const t0 = performance.now();
  for (let i = 0; i < SENSORS; i += BATCH) {
    const readings = [];
    for (let j = i; j < i + BATCH; j++)
      readings.push({
        ts: 1_700_000_000_000 + j,
        host: "h1",
        sensor: `hostile-sensor-${j}`,
        type: "other",
        unit: "",
        value: j,
      });
    t.readings(JSON.parse(JSON.stringify({ host: "h1", readings })));
  }
  const ms = performance.now() - t0;
  gc();
  const after = process.memoryUsage();
  const mb = (n) => Math.round((n / 1048576) * 10) / 10;
  process.stdout.write(
    JSON.stringify({
      cap: Number.isFinite(cap) ? cap : null,
      kept: t.sensorCount("h1"),
      heapMB: mb(after.heapUsed - before.heapUsed),
      rssMB: mb(after.rss),
      ms: Math.round(ms),
    }),
  );
}

if (process.argv[2] === "child") {
  await child(process.argv[3] === "none" ? Number.POSITIVE_INFINITY : Number(process.argv[3]));
} else {
  const { defaultControllerConfig } = await import("../../controller/dist/config.js");
  const cap = defaultControllerConfig().telemetry.maxSensorsPerHost;
  const run = (arg) => {
    const r = spawnSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), "child", String(arg)], {
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout);
  };
  const capped = run(cap);
  const uncapped = run("none");
  console.log(`${SENSORS.toLocaleString()} distinct sensor names for one host, ${HISTORY} values kept per sensor:`);
  for (const [label, r] of [
    [`cap ${cap} (default)`, capped],
    ["no cap (before)", uncapped],
  ])
    console.log(
      `  ${label.padEnd(20)} kept ${String(r.kept).padStart(7)} sensors  heap +${String(r.heapMB).padStart(6)} MB  rss ${String(r.rssMB).padStart(6)} MB  ${r.ms} ms`,
    );
  console.log(JSON.stringify({ bench: "telemetry", sensors: SENSORS, capped, uncapped }));
}
