#!/usr/bin/env node
/**
 * Detection benchmark (issues 5, 12): every world, every detector, one scorer.
 *
 * Worlds: Presage's own generator (agent/src/sim, two seeds nobody tuned on), fleet-a and fleet-b from the
 * independent fleet model in ../shared/data/fleet-v2 when present, and the real FASRC day
 * (../shared/data/fasrc, all hosts healthy: 0 critical, the 4 CMOS-battery warnings only).
 * Detectors: Presage through the built `presage-agent replay`, and the two reference baselines
 * (baseline.py --kind bmc-threshold | predict-linear). All events are scored by score.py --json.
 * Also: replay throughput on fleet-a (readings per CPU-second of the replay process, JSON parsing included) with
 * its peak RSS, and how often Presage's events with confidence >= 0.9 are real.
 *
 * Env: BENCH_SIM_SEEDS (default "9101,9202"), BENCH_HOSTS (24), BENCH_DAYS (4), BENCH_INTERVALS_S ("30,60,60,120"),
 * BENCH_FLEET_V2 and BENCH_FASRC (directories), BENCH_FASRC=0 to skip the real day, BENCH_JOBS (2) processes at once,
 * BENCH_KEEP=1 to keep the temporary directory.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  calibration,
  eventSummary,
  healthyTruthScanner,
  pool,
  pythonProblem,
  runBaseline,
  runPresage,
  runScore,
} from "./detect-run.mjs";
import { writeFleet } from "./gen-fleet.mjs";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const V2 = process.env.BENCH_FLEET_V2 ?? join(ROOT, "../shared/data/fleet-v2");
const FASRC_DIR =
  process.env.BENCH_FASRC && process.env.BENCH_FASRC !== "0"
    ? process.env.BENCH_FASRC
    : join(ROOT, "../shared/data/fasrc");
const SEEDS = (process.env.BENCH_SIM_SEEDS ?? "9101,9202").split(",").map(Number);
const HOSTS = Number(process.env.BENCH_HOSTS ?? 24);
const DAYS = Number(process.env.BENCH_DAYS ?? 4);
const INTERVALS = (process.env.BENCH_INTERVALS_S ?? "30,60,60,120").split(",").map((s) => Number(s) * 1000);
const JOBS = Number(process.env.BENCH_JOBS ?? 2);
const DETECTORS = ["presage", "bmc-threshold", "predict-linear"];

const pct = (x) => (x === null || x === undefined ? "-" : `${Math.round(100 * x)}%`);
const num = (x, d = 1) => (x === null || x === undefined ? "-" : x.toFixed(d));
const pad = (cols, w) => cols.map((c, i) => String(c).padEnd(w[i] ?? 10)).join(" ");

/** The worlds to score: {name, readings, truth | null (FASRC: built from the readings), note}. */
async function worlds(dir, notes) {
  const out = [];
  for (const seed of SEEDS) {
    const o = { seed, hosts: HOSTS, days: DAYS, intervalsMs: INTERVALS, faultFraction: 0.4 };
    const t0 = performance.now();
    const w = await writeFleet(o, dir, `sim-${seed}`);
    const secs = ((performance.now() - t0) / 1000).toFixed(0);
    const t = w.totals;
    notes.push(
      `sim-${seed}: ${t.hosts} hosts x ${DAYS} d, ${t.readings.toLocaleString("en-US")} readings, ${t.faults} faults (${Object.entries(
        t.byMode,
      )
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}), generated in ${secs} s`,
    );
    out.push({ name: `sim-${seed}`, readings: w.readingsPath, truth: w.truthPath });
  }
  for (const set of ["fleet-a", "fleet-b"]) {
    const readings = join(V2, `${set}.ndjson.gz`);
    const truth = join(V2, `${set}.truth.json`);
    if (existsSync(readings) && existsSync(truth)) out.push({ name: set, readings, truth });
    else notes.push(`${set}: ABSENT (${readings} not found): not scored`);
  }
  const fasrc = join(FASRC_DIR, "fasrc-2025-06-03.ndjson.gz");
  if (process.env.BENCH_FASRC === "0") notes.push("fasrc: skipped (BENCH_FASRC=0)");
  else if (existsSync(fasrc)) out.push({ name: "fasrc", readings: fasrc, truth: null });
  else notes.push(`fasrc: ABSENT (${fasrc} not found): not scored`);
  return out;
}

/** Run every detector on every world, then score; returns per world {presage run, scores, calibration}. */
async function runAll(list, dir, canScore, baselinesOk) {
  const results = new Map(list.map((w) => [w.name, { world: w, scores: {}, runs: {} }]));
  const jobs = [];
  for (const w of list) {
    const r = results.get(w.name);
    jobs.push(async () => {
      const scanner = w.truth ? null : healthyTruthScanner();
      const events = join(dir, `${w.name}.presage.ndjson`);
      process.stderr.write(`bench:detect: presage on ${w.name}\n`);
      r.runs.presage = { ...(await runPresage(w.readings, events, scanner ? (c) => scanner.scan(c) : null)), events };
      if (scanner) {
        w.truth = join(dir, `${w.name}.truth.json`);
        writeFileSync(w.truth, JSON.stringify(scanner.truth()));
      }
    });
    if (baselinesOk)
      for (const kind of DETECTORS.slice(1))
        jobs.push(async () => {
          const events = join(dir, `${w.name}.${kind}.ndjson`);
          process.stderr.write(`bench:detect: ${kind} on ${w.name}\n`);
          r.runs[kind] = { ...(await runBaseline(V2, kind, w.readings, events)), events };
        });
  }
  await pool(jobs, JOBS);
  if (!canScore) return results;
  for (const r of results.values())
    for (const [det, run] of Object.entries(r.runs)) {
      r.scores[det] = await runScore(V2, r.world.truth, run.events);
      if (det === "presage") {
        r.calibration = calibration(JSON.parse(readFileSync(r.world.truth, "utf8")), run.events);
      }
    }
  return results;
}

function figures(s) {
  const g = s.gradual.critical;
  return {
    gradualN: s.gradual.n,
    recall: g.recall_at_min_lead,
    matched: g.recall_at_min_lead_component_matched,
    chance: g.chance_recall_at_min_lead,
    medianLeadH: g.median_lead_h,
    suddenN: s.sudden.n,
    sudden2: s.sudden.recall_within_2_samples,
    falseCritical: s.false_alarms.critical.per_1000_host_days,
    falseWarning: s.false_alarms.warning.per_1000_host_days,
  };
}

/** Per failure mode: critical recall, matched, chance and median lead (gradual), or within-2-samples (sudden). */
function compactModes(s) {
  return Object.fromEntries(
    Object.entries(s.per_mode).map(([m, x]) => [
      m,
      x.critical
        ? {
            n: x.n,
            recall: x.critical.recall_at_min_lead,
            matched: x.critical.recall_at_min_lead_component_matched,
            chance: x.critical.chance_recall_at_min_lead,
            medianLeadH: x.critical.median_lead_h,
          }
        : { n: x.n, within2Samples: x.recall_within_2_samples, ever: x.detected_ever },
    ]),
  );
}

function printMain(results) {
  const W = [10, 15, 10, 9, 7, 10, 12, 11, 11];
  console.log("\n## Every world, every detector (score.py --json; critical tier, lead >= 30 min)\n");
  console.log(
    pad(["set", "detector", "gradual", "matched", "chance", "med lead", "sudden <=2", "false crit", "false warn"], W),
  );
  console.log(pad(["", "", "recall", "", "", "h", "samples", "/1k h-d", "/1k h-d"], W));
  for (const [name, r] of results)
    for (const det of DETECTORS) {
      const s = r.scores[det];
      if (!s) continue;
      const f = figures(s);
      const n = (x, k) => (k ? `${x} (${k})` : x);
      console.log(
        pad(
          [
            name,
            det,
            n(pct(f.recall), f.gradualN),
            pct(f.matched),
            pct(f.chance),
            num(f.medianLeadH),
            n(pct(f.sudden2), f.suddenN),
            num(f.falseCritical),
            num(f.falseWarning),
          ],
          W,
        ),
      );
    }
}

function printBreakdowns(results) {
  for (const [name, r] of results) {
    const s = r.scores.presage;
    if (!s || s.params.faults === 0) continue;
    console.log(`\n### Presage on ${name}: per failure mode, per vendor`);
    for (const [mode, m] of Object.entries(s.per_mode)) {
      if (m.critical)
        console.log(
          `  ${mode.padEnd(18)} n=${m.n}  recall ${pct(m.critical.recall_at_min_lead)}  matched ${pct(m.critical.recall_at_min_lead_component_matched)}  chance ${pct(m.critical.chance_recall_at_min_lead)}  median lead ${num(m.critical.median_lead_h)} h  (watch tier ${pct(m.watch.recall_at_min_lead)})`,
        );
      else
        console.log(
          `  ${mode.padEnd(18)} n=${m.n}  critical within 2 samples ${pct(m.recall_within_2_samples)}, ever ${pct(m.detected_ever)}`,
        );
    }
    for (const [v, t] of Object.entries(s.per_vendor))
      console.log(
        `  ${v.padEnd(12)} hosts ${String(t.hosts).padEnd(4)} gradual ${pct(t.gradual.critical.recall_at_min_lead)} (${t.gradual.n})  sudden<=2 ${pct(t.sudden.recall_within_2_samples)} (${t.sudden.n})  false crit ${num(t.false_alarms.critical.per_1000_host_days)}  false warn ${num(t.false_alarms.warning.per_1000_host_days)} /1k h-d`,
      );
    const causes = s.false_alarm_causes.critical;
    if (Object.keys(causes).length)
      console.log(
        `  false criticals by overlapping confounder: ${Object.entries(causes)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ")}`,
      );
  }
}

function printRest(results) {
  const a = results.get("fleet-a")?.runs.presage;
  let speed = null;
  if (a?.readings) {
    speed = {
      readings: a.readings,
      cpuS: a.cpuS,
      perCpuS: a.readings / a.cpuS,
      maxRssMiB: a.maxRssMiB,
      wallS: a.wallS,
    };
    console.log(
      `\n## Replay throughput on fleet-a: ${a.readings.toLocaleString("en-US")} readings in ${a.cpuS.toFixed(1)} CPU-s of the replay process = ${Math.round(speed.perCpuS).toLocaleString("en-US")} readings per CPU-second (JSON parsing included; gunzip in the parent excluded); max RSS ${a.maxRssMiB.toFixed(0)} MiB; wall ${a.wallS.toFixed(0)} s (load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores)`,
    );
  } else console.log("\n## Replay throughput on fleet-a: fleet-a absent, not measured");
  console.log("\n## Confidence calibration (Presage): events with confidence >= 0.9 that fall in a fault window");
  for (const [name, r] of results) {
    const c = r.calibration;
    if (!c) continue;
    console.log(
      `  ${name.padEnd(10)} ${c.events} events, ${c.real} real = ${pct(c.fraction)} (critical ${c.bySeverity.critical[1]}/${c.bySeverity.critical[0]}, warning ${c.bySeverity.warning[1]}/${c.bySeverity.warning[0]})`,
    );
  }
  const f = results.get("fasrc")?.runs.presage;
  let fasrc = null;
  if (f) {
    fasrc = eventSummary(f.events);
    console.log(
      `\n## FASRC 2025-06-03 (Presage): ${f.readings?.toLocaleString("en-US")} readings, ${f.skipped} skipped; critical ${fasrc.counts.critical}, warning ${fasrc.counts.warning}, info ${fasrc.counts.info} (target: 0 critical, the 4 CMOS-battery warnings only)`,
    );
    for (const line of fasrc.shown) console.log(`  ${line}`);
  }
  return { speed, fasrc: fasrc?.counts ?? null };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "presage-bench-detect-"));
  const notes = [];
  try {
    console.log(`# pnpm bench:detect (worlds from ${V2} and ${FASRC_DIR}; temp ${dir})`);
    const scorer = existsSync(join(V2, "score.py")) && existsSync(join(V2, "baseline.py"));
    if (!scorer) notes.push(`score.py/baseline.py ABSENT in ${V2}: nothing can be scored; events only`);
    const py = scorer ? await pythonProblem() : "no scorer";
    if (py && scorer) notes.push(`baselines and scoring skipped: ${py}`);
    const list = await worlds(dir, notes);
    for (const n of notes) console.log(`- ${n}`);
    const results = await runAll(list, dir, scorer && !py, scorer && !py);
    printMain(results);
    printBreakdowns(results);
    const rest = printRest(results);
    const json = { bench: "detect", worlds: {}, throughputFleetA: rest.speed, fasrcEvents: rest.fasrc, notes };
    for (const [name, r] of results)
      json.worlds[name] = {
        ...Object.fromEntries(
          Object.entries(r.scores).map(([d, s]) => [d, { ...figures(s), perMode: compactModes(s) }]),
        ),
        calibration: r.calibration ?? null,
      };
    console.log(JSON.stringify(json));
  } finally {
    if (process.env.BENCH_KEEP === "1") console.error(`bench:detect: kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
