#!/usr/bin/env node
/**
 * Write a generated fleet (agent/src/sim, built dist/) as readings NDJSON plus its ground truth in the fleet-v2
 * truth format, so the reference scorer scores Presage's own generator like the independent traces.
 */
import { createWriteStream, mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createGzip } from "node:zlib";
import { createFleet } from "../../agent/dist/sim/fleet.js";
import { fleetTruthJson } from "../../agent/dist/sim/truth.js";

const USAGE = `usage: node test/bench/gen-fleet.mjs --seed N --out DIR [options]

Writes DIR/NAME.ndjson (or .ndjson.gz with --gzip) and DIR/NAME.truth.json (fleet-v2 truth format: score with
  python3 score.py --truth DIR/NAME.truth.json --events events.ndjson).

  --seed N            fleet seed (required)
  --out DIR           output directory, created if missing (required)
  --hosts H           hosts (default 32)
  --days D            days (default 5)
  --interval-s S      every host polls every S seconds (default: drawn per host from 10, 30, 60, 60, 120)
  --fault-fraction F  fraction of hosts with a fault (default 0.4)
  --vendor-by host|rack   one vendor per host (default) or per rack
  --thresholds mixed|vendor|all|none   who publishes thresholds (default mixed: 60 % of hosts)
  --name NAME         file name stem (default sim-SEED)
  --gzip              gzip the readings
  --json              print a JSON summary on stdout instead of text
  -h, --help          this text`;

function options() {
  const { values: a } = parseArgs({
    options: {
      seed: { type: "string" },
      out: { type: "string" },
      hosts: { type: "string", default: "32" },
      days: { type: "string", default: "5" },
      "interval-s": { type: "string" },
      "fault-fraction": { type: "string", default: "0.4" },
      "vendor-by": { type: "string", default: "host" },
      thresholds: { type: "string", default: "mixed" },
      name: { type: "string" },
      gzip: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (a.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const num = (k, lo) => {
    const v = Number(a[k]);
    if (!Number.isFinite(v) || v < lo) throw new Error(`--${k} must be a number >= ${lo}, got ${a[k]}`);
    return v;
  };
  if (a.seed === undefined || a.out === undefined) throw new Error("--seed and --out are required");
  if (!["host", "rack"].includes(a["vendor-by"])) throw new Error("--vendor-by must be host or rack");
  if (!["mixed", "vendor", "all", "none"].includes(a.thresholds))
    throw new Error("--thresholds must be mixed, vendor, all or none");
  const fleet = {
    seed: Math.trunc(num("seed", 0)),
    hosts: Math.trunc(num("hosts", 1)),
    days: num("days", 0.01),
    faultFraction: num("fault-fraction", 0),
    vendorBy: a["vendor-by"],
    thresholds: a.thresholds,
    ...(a["interval-s"] !== undefined ? { intervalsMs: [Math.round(num("interval-s", 1) * 1000)] } : {}),
  };
  return { fleet, out: a.out, name: a.name ?? `sim-${fleet.seed}`, gzip: a.gzip, json: a.json };
}

/** Generate and write; returns the truth file's totals. Exported for the benchmark. */
export async function writeFleet(fleetOptions, out, name, { gzip = false, progress = () => {} } = {}) {
  mkdirSync(out, { recursive: true });
  const readingsPath = join(out, `${name}.ndjson${gzip ? ".gz" : ""}`);
  const file = createWriteStream(readingsPath);
  const sink = gzip ? createGzip() : file;
  if (gzip) sink.pipe(file);
  const fleet = createFleet(fleetOptions);
  let n = 0;
  let buf = "";
  for (const r of fleet.readings()) {
    buf += `${JSON.stringify(r)}\n`;
    if (++n % 20_000 === 0) {
      if (!sink.write(buf)) await new Promise((res) => sink.once("drain", res));
      buf = "";
      if (n % 500_000 === 0) progress(n, r.ts, fleet);
    }
  }
  sink.end(buf);
  await new Promise((res) => file.once("close", res));
  const truth = fleetTruthJson(fleet, fleetOptions);
  const truthPath = join(out, `${name}.truth.json`);
  const t = createWriteStream(truthPath);
  t.end(`${JSON.stringify(truth, null, 1)}\n`);
  await new Promise((res) => t.once("close", res));
  return { readingsPath, truthPath, totals: truth.totals };
}

async function main() {
  const o = options();
  const t0 = performance.now();
  const progress = (n, ts, fleet) =>
    process.stderr.write(
      `gen-fleet: ${n.toLocaleString("en-US")} readings, ${((100 * (ts - fleet.start)) / (fleet.end - fleet.start)).toFixed(0)} % of the trace\n`,
    );
  const res = await writeFleet(o.fleet, o.out, o.name, { gzip: o.gzip, progress });
  const secs = (performance.now() - t0) / 1000;
  if (o.json) return console.log(JSON.stringify({ ...res, seconds: Number(secs.toFixed(1)) }));
  const t = res.totals;
  console.log(
    `wrote ${res.readingsPath} (${t.readings.toLocaleString("en-US")} readings) and ${res.truthPath}: ${t.hosts} hosts, ${t.hostDays.toFixed(1)} host-days, ${t.faults} faults (${Object.entries(
      t.byMode,
    )
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}), ${t.repaired} repaired, in ${secs.toFixed(1)} s`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`)
  main().catch((e) => {
    console.error(`gen-fleet: ${e.message}\n\n${USAGE}`);
    process.exit(2);
  });
