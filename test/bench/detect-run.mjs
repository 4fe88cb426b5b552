/**
 * The detection bench's moving parts: run a detector over a readings file (Presage's built replay, or the
 * reference baselines), score its events with the reference scorer, and check confidence calibration.
 * Every detector writes events NDJSON to a file; score.py --json turns each into the same figures.
 */
import { spawn } from "node:child_process";
import { createReadStream, createWriteStream, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createGunzip } from "node:zlib";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const AGENT = join(ROOT, "agent/dist/bin/presage-agent.js");
const PRELOAD = fileURLToPath(new URL("./cpu-report.mjs", import.meta.url));
const HOUR = 3_600_000;

/** Run a child with stdin from `input` (null: none) and stdout to `outFile`; resolves with its stderr. */
function run(cmd, args, { input = null, outFile, env = {}, onData = null }) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: { ...process.env, ...env },
      stdio: [input ? "pipe" : "ignore", "pipe", "pipe"],
    });
    const out = createWriteStream(outFile);
    child.stdout.pipe(out);
    let err = "";
    child.stderr.on("data", (c) => {
      err = (err + c.toString()).slice(-20_000);
    });
    if (input) {
      const src = input.endsWith(".gz") ? createReadStream(input).pipe(createGunzip()) : createReadStream(input);
      if (onData) src.on("data", onData);
      src.pipe(child.stdin);
      child.stdin.on("error", () => {}); // a child that exits early surfaces through its exit code
    }
    child.on("error", reject);
    const flushed = new Promise((res) => out.once("close", res));
    child.on("close", (code) =>
      flushed.then(() =>
        code === 0 ? resolve(err) : reject(new Error(`${cmd} ${args.join(" ")} exited ${code}: ${err.slice(-2000)}`)),
      ),
    );
  });
}

/** Presage over `input` through the built CLI; CPU time and peak RSS are the child's own. */
export async function runPresage(input, outFile, onData = null) {
  const cpuFile = `${outFile}.cpu.json`;
  const t0 = performance.now();
  const err = await run(process.execPath, ["--import", PRELOAD, AGENT, "replay", "--input", "-"], {
    input,
    outFile,
    env: { BENCH_CPU_FILE: cpuFile, PRESAGE_LOG_LEVEL: "warn" },
    onData,
  });
  const wallS = (performance.now() - t0) / 1000;
  const m = /replayed (\d+) readings: (\d+) events, (\d+) lines skipped/.exec(err);
  const usage = JSON.parse(readFileSync(cpuFile, "utf8"));
  rmSync(cpuFile, { force: true });
  return {
    readings: m ? Number(m[1]) : null,
    events: m ? Number(m[2]) : null,
    skipped: m ? Number(m[3]) : null,
    wallS,
    ...usage,
  };
}

export async function runBaseline(scriptDir, kind, input, outFile) {
  const t0 = performance.now();
  await run("python3", [join(scriptDir, "baseline.py"), "--kind", kind, "--input", input], { outFile });
  return { wallS: (performance.now() - t0) / 1000 };
}

export async function runScore(scriptDir, truthFile, eventsFile) {
  const outFile = `${eventsFile}.score.json`;
  await run("python3", [join(scriptDir, "score.py"), "--truth", truthFile, "--events", eventsFile, "--json"], {
    outFile,
  });
  return JSON.parse(readFileSync(outFile, "utf8"));
}

/** python3 with numpy, else the reason the baselines cannot run. */
export async function pythonProblem() {
  try {
    await run("python3", ["-c", "import numpy"], { outFile: "/dev/null" });
    return null;
  } catch (e) {
    return `python3 with numpy is missing (apt-get install python3-numpy): ${e.message.split("\n")[0]}`;
  }
}

/**
 * Of alarms (degradation|failure, warning|critical) with confidence >= `min`, how many are true: inside a fault
 * window [onset - 1 h, end) of their host, end = repairedAt + 1 h when repaired, else the end of time (score.py).
 */
export function calibration(truth, eventsFile, min = 0.9) {
  const windows = new Map();
  for (const [host, h] of Object.entries(truth.hosts))
    windows.set(
      host,
      h.faults.map((f) => [f.onset - HOUR, f.repairedAt != null ? f.repairedAt + HOUR : Number.POSITIVE_INFINITY]),
    );
  let n = 0;
  let real = 0;
  const bySeverity = { critical: [0, 0], warning: [0, 0] };
  for (const line of readFileSync(eventsFile, "utf8").split("\n")) {
    if (!line) continue;
    const e = JSON.parse(line);
    if (!["degradation", "failure"].includes(e.kind) || !(e.severity in bySeverity)) continue;
    if (typeof e.confidence !== "number" || e.confidence < min) continue;
    const ok = (windows.get(e.host) ?? []).some(([a, b]) => e.ts >= a && e.ts < b);
    n++;
    if (ok) real++;
    bySeverity[e.severity][0]++;
    if (ok) bySeverity[e.severity][1]++;
  }
  return { min, events: n, real, fraction: n ? real / n : null, bySeverity };
}

/** Count alarm events by severity and keep the first few warnings/criticals with their reasons. */
export function eventSummary(eventsFile, keep = 12) {
  const counts = { critical: 0, warning: 0, info: 0 };
  const shown = [];
  for (const line of readFileSync(eventsFile, "utf8").split("\n")) {
    if (!line) continue;
    const e = JSON.parse(line);
    if (e.kind === "cleared") continue;
    counts[e.severity] = (counts[e.severity] ?? 0) + 1;
    if (e.severity !== "info" && shown.length < keep) shown.push(`${e.host} ${e.sensor}: ${e.severity}: ${e.reason}`);
  }
  return { counts, shown };
}

/**
 * A truth file for a day with no known faults (FASRC): every host healthy, one host-day per host seen.
 * `scan` collects host names from the readings as they stream to Presage.
 */
export function healthyTruthScanner() {
  const hosts = new Set();
  let tail = "";
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  const rx = /"ts":(\d+),"host":"([^"]*)"/g;
  return {
    scan(chunk) {
      const text = tail + chunk.toString();
      const cut = text.lastIndexOf("\n") + 1;
      tail = text.slice(cut);
      for (const m of text.slice(0, cut).matchAll(rx)) {
        hosts.add(m[2]);
        const ts = Number(m[1]);
        if (ts < first) first = ts;
        if (ts > last) last = ts;
      }
    },
    truth() {
      const entry = { vendor: "unknown", hasThresholds: true, intervalSec: 60, faults: [], confounders: [] };
      return {
        version: 2,
        start: first,
        end: last,
        totals: { hosts: hosts.size, hostDays: hosts.size, faults: 0 },
        hosts: Object.fromEntries([...hosts].map((h) => [h, entry])),
      };
    },
  };
}

/** Run `jobs` (functions returning promises) at most `limit` at a time. */
export async function pool(jobs, limit) {
  const results = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}
