#!/usr/bin/env node
/**
 * Detection benchmark (issue 5), against the built dist/: generated fleets with ground truth, scored per fault
 * for the Presage detector and two baselines that emit the same kind of events: the BMC's own critical threshold
 * and a Prometheus-style predict_linear over 6 h. Then replay throughput, memory per sensor, and the FASRC day.
 *
 * Env: BENCH_SEEDS (default "101,202"; the detector was tuned on other seeds), BENCH_HOSTS (60), BENCH_DAYS (6),
 * BENCH_FASRC=0 to skip the real-data day.
 */
import { createReadStream, createWriteStream, existsSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { createGunzip } from "node:zlib";
import { railNominal } from "../../agent/dist/detect/classify.js";
import { createDetector, DEFAULT_DETECT_CONFIG } from "../../agent/dist/detect/index.js";
import { runReplay } from "../../agent/dist/replay.js";
import { bmcCritical } from "../../agent/dist/sim/bmc.js";
import { createFleet } from "../../agent/dist/sim/fleet.js";
import { VENDORS } from "../../agent/dist/sim/vendors.js";

const HOUR = 3_600_000;
const SEEDS = (process.env.BENCH_SEEDS ?? "101,202").split(",").map(Number);
const HOSTS = Number(process.env.BENCH_HOSTS ?? 60);
const DAYS = Number(process.env.BENCH_DAYS ?? 6);
/** 10 s .. 2 min; the fast ones dominate the reading count, so they are one host in ten */
const INTERVALS = [10_000, 30_000, 60_000, 60_000, 60_000, 120_000, 120_000, 120_000, 60_000, 120_000];
const MIN_LEAD = 30 * 60_000;
const GRADUAL = ["fan-wear", "psu-aging", "filter-clog", "paste"];
const cfg = DEFAULT_DETECT_CONFIG;
/** BENCH_HORIZON_H overrides the detector's evacuation horizon (its critical lead follows it) */
const DETECT = process.env.BENCH_HORIZON_H ? { horizonMs: Number(process.env.BENCH_HORIZON_H) * HOUR } : {};
/** the usual alert rule form: predict_linear(x[6h], 4 * 3600) past the failure point, for: 10m */
const PL_HORIZON = 4 * HOUR;

// ---------- baselines ----------

/** Episodes per (host, sensor): one critical per episode, cleared when the condition is gone. */
function episodeSink() {
  const open = new Map();
  const events = [];
  return {
    events,
    raise(r, severity) {
      const k = `${r.host}\u0000${r.sensor}`;
      const cur = open.get(k);
      if (cur === severity || cur === "critical") return;
      open.set(k, severity);
      events.push({ ts: r.ts, host: r.host, sensor: r.sensor, severity, kind: "degradation" });
    },
    clear(r) {
      const k = `${r.host}\u0000${r.sensor}`;
      if (!open.has(k)) return;
      open.delete(k);
      events.push({ ts: r.ts, host: r.host, sensor: r.sensor, severity: "info", kind: "cleared" });
    },
  };
}

/** The BMC's own alarm: critical while a reading is at or past its published lcr/ucr. */
function bmcBaseline() {
  const sink = episodeSink();
  return {
    events: sink.events,
    ingest(r) {
      if (r.value === null) return;
      if (bmcCritical(r)) sink.raise(r, "critical");
      else sink.clear(r);
    },
  };
}

/** Failure point for a reading: published threshold where given, else the documented defaults. */
function failurePoint(r, fanSiblings) {
  const t = r.thresholds ?? {};
  if (r.type === "fan") {
    const lcr = t.lcr ?? null;
    if (lcr !== null) return { dir: -1, at: lcr };
    const sib = fanSiblings(r);
    return sib === null ? null : { dir: -1, at: cfg.fanFailRatio * sib };
  }
  if (r.type === "voltage" && !/bat|cmos/i.test(r.sensor)) {
    const nom = railNominal(r.sensor, r.value);
    return nom === null ? null : { dir: -1, at: t.lcr ?? nom * (1 - cfg.railTolerance) };
  }
  if (r.type === "temperature" && /cpu/i.test(r.sensor)) return { dir: 1, at: t.ucr ?? cfg.cpuMaxC };
  return null;
}

/**
 * predict_linear(x[6h], horizon) past the failure point, `for: 10m`, like a Prometheus alert rule.
 * Ordinary least squares over the raw samples of the last 6 h, kept as running sums.
 */
function predictLinearBaseline(horizonMs) {
  const sink = episodeSink();
  const series = new Map();
  const fans = new Map();
  const fanSiblings = (r) => {
    const m = fans.get(r.host);
    if (!m) return null;
    const v = [];
    for (const [s, x] of m) if (s !== r.sensor && r.ts - x.ts < 600_000) v.push(x.v);
    if (!v.length) return null;
    v.sort((a, b) => a - b);
    return v[v.length >> 1];
  };
  return {
    events: sink.events,
    ingest(r) {
      if (r.value === null) return;
      if (r.type === "fan") {
        let m = fans.get(r.host);
        if (!m) {
          m = new Map();
          fans.set(r.host, m);
        }
        m.set(r.sensor, { v: r.value, ts: r.ts });
      }
      const fp = failurePoint(r, fanSiblings);
      if (!fp) return;
      const k = `${r.host}\u0000${r.sensor}`;
      let s = series.get(k);
      if (!s) {
        s = { t: [], v: [], head: 0, n: 0, st: 0, sv: 0, stt: 0, stv: 0, t0: r.ts, since: null };
        series.set(k, s);
      }
      const x = (r.ts - s.t0) / HOUR;
      s.t.push(x);
      s.v.push(r.value);
      s.n++;
      s.st += x;
      s.sv += r.value;
      s.stt += x * x;
      s.stv += x * r.value;
      while (s.t[s.head] < x - 6) {
        const ox = s.t[s.head];
        const ov = s.v[s.head];
        s.n--;
        s.st -= ox;
        s.sv -= ov;
        s.stt -= ox * ox;
        s.stv -= ox * ov;
        s.head++;
      }
      if (s.head > 4096) {
        s.t = s.t.slice(s.head);
        s.v = s.v.slice(s.head);
        s.head = 0;
      }
      if (x - s.t[s.head] < 1) return; // less than an hour of data: no rule evaluation
      const den = s.n * s.stt - s.st * s.st;
      if (den <= 0) return;
      const b = (s.n * s.stv - s.st * s.sv) / den;
      const a = (s.sv - b * s.st) / s.n;
      const pred = a + b * (x + horizonMs / HOUR);
      const firing = fp.dir < 0 ? pred <= fp.at : pred >= fp.at;
      if (!firing) {
        s.since = null;
        return sink.clear(r);
      }
      s.since ??= r.ts;
      if (r.ts - s.since >= 600_000) sink.raise(r, "critical");
    },
  };
}

// ---------- scoring ----------

const pct = (x) => (Number.isNaN(x) ? "-" : `${(100 * x).toFixed(1)}%`);
const hrs = (ms) => (ms === null || Number.isNaN(ms) ? "-" : `${(ms / HOUR).toFixed(1)} h`);
function quantile(xs, q) {
  if (!xs.length) return null;
  const a = [...xs].sort((p, r) => p - r);
  return a[Math.min(a.length - 1, Math.floor(q * (a.length - 1)))];
}

/** Episodes per host from an event list: {warning: n, critical: n} (an escalating episode counts once, as critical). */
function falseEpisodes(events) {
  const open = new Map();
  const out = new Map();
  for (const e of events) {
    const k = `${e.host}\u0000${e.sensor}`;
    if (e.kind === "cleared") {
      open.delete(k);
      continue;
    }
    if (e.severity === "info") continue;
    const c = out.get(e.host) ?? { warning: 0, critical: 0 };
    out.set(e.host, c);
    const cur = open.get(k);
    if (cur === undefined) {
      open.set(k, e.severity);
      c[e.severity]++;
    } else if (cur === "warning" && e.severity === "critical") {
      open.set(k, "critical");
      c.warning--;
      c.critical++;
    }
  }
  return out;
}

/** Sensors that show a fault; events on other sensors of a faulty host are neither detections nor false alarms. */
function relevantSensors(t) {
  const L = VENDORS[t.vendor];
  const f = t.fault;
  if ("fan" in f) return [L.fans[f.fan]];
  if (f.kind === "psu-aging") return [L.rails[f.rail].name, ...L.psuTemps];
  if (f.kind === "paste") return [L.cpus[f.cpu]];
  return [...L.fans, ...L.cpus, L.exhaust, L.inlet].filter(Boolean).concat([null]); // null: host-level airflow
}

function firstAfter(events, host, sensors, from, severities) {
  let best = null;
  for (const e of events)
    if (
      e.host === host &&
      e.ts >= from &&
      sensors.includes(e.sensor) &&
      severities.includes(e.severity) &&
      e.kind !== "cleared" &&
      (best === null || e.ts < best)
    )
      best = e.ts;
  return best;
}

function score(systems, truths) {
  const rows = [];
  for (const t of truths) {
    if (!t.fault) continue;
    const from = t.fault.start - HOUR; // an event well before the fault started is a false alarm, not a detection
    const r = { ...t, mode: t.fault.kind, det: {} };
    const sensors = relevantSensors(t);
    for (const [name, evs] of Object.entries(systems)) {
      const w = firstAfter(evs, t.host, sensors, from, ["warning", "critical"]);
      const c = firstAfter(evs, t.host, sensors, from, ["critical"]);
      r.det[name] = { warnAt: w, critAt: c };
    }
    rows.push(r);
  }
  return rows;
}

// ---------- run ----------

function line(cols, widths) {
  return cols.map((c, i) => String(c).padEnd(widths[i] ?? 12)).join(" ");
}

async function benchFleets() {
  const allRows = [];
  const healthy = { hostDays: 0, byVendor: {}, byConf: {} };
  const falseBy = { presage: [], bmc: [], predict_linear: [] };
  let readings = 0;
  const t0 = performance.now();
  for (const seed of SEEDS) {
    const fleet = createFleet({ seed, hosts: HOSTS, days: DAYS, intervalsMs: INTERVALS });
    const det = createDetector(DETECT);
    const presage = [];
    const bmc = bmcBaseline();
    const plin = predictLinearBaseline(PL_HORIZON);
    // samples of each stopped fan from its stop on, to measure detection latency in samples
    const stopped = new Map();
    for (const h of fleet.hosts)
      if (h.fault?.kind === "fan-stop")
        stopped.set(h.host, { sensor: VENDORS[h.vendor].fans[h.fault.fan], start: h.fault.start, seen: [] });
    for (const r of fleet.readings()) {
      readings++;
      const st = stopped.get(r.host);
      // count the stopped fan's samples that a detector could judge: a number, while the other fans spin
      if (st && r.type === "fan" && r.sensor !== st.sensor && (r.value ?? 0) > 300) st.spinAt = r.ts;
      if (st && r.sensor === st.sensor && r.ts >= st.start && r.value !== null && r.ts - (st.spinAt ?? -1e15) < 600_000)
        st.seen.push(r.ts);
      for (const e of det.ingest(r)) presage.push(e);
      bmc.ingest(r);
      plin.ingest(r);
    }
    const truths = fleet.truth();
    const systems = { presage, bmc: bmc.events, predict_linear: plin.events };
    const rows = score(systems, truths);
    for (const row of rows) {
      const st = stopped.get(row.host);
      if (st) row.samplesUntil = (ts) => (ts === null ? null : st.seen.filter((x) => x <= ts).length);
    }
    allRows.push(...rows);
    for (const [name, evs] of Object.entries(systems)) {
      const fe = falseEpisodes(evs);
      for (const t of truths) {
        if (t.fault) continue;
        const c = fe.get(t.host) ?? { warning: 0, critical: 0 };
        falseBy[name].push({ ...t, ...c });
      }
    }
    for (const t of truths) if (!t.fault) healthy.hostDays += DAYS;
  }
  const secs = (performance.now() - t0) / 1000;
  console.log(
    `\n## Generated fleets: seeds ${SEEDS.join(", ")}, ${HOSTS} hosts x ${DAYS} days each, ${readings.toLocaleString("en-US")} readings (generated + scored in ${secs.toFixed(0)} s)`,
  );

  const systems = Object.keys(falseBy);
  const failed = allRows.filter((r) => r.failureAt !== null);
  console.log(`faults injected: ${allRows.length}, reached their failure point inside the trace: ${failed.length}`);

  const leadStats = (rows, name, key) => {
    const leads = rows.map((r) => (r.det[name][key] === null ? null : r.failureAt - r.det[name][key]));
    const hit = leads.filter((l) => l !== null && l >= MIN_LEAD);
    return {
      n: rows.length,
      recall: rows.length ? hit.length / rows.length : Number.NaN,
      median: quantile(hit, 0.5),
      p10: quantile(hit, 0.1),
    };
  };

  console.log("\n### Recall (lead >= 30 min before the failure point), median and p10 lead of those caught");
  const W = [18, 6, 16, 34, 34, 34];
  console.log(line(["mode", "n", "", "presage", "bmc", "predict_linear"], W));
  const groups = [
    ["gradual (all)", failed.filter((r) => GRADUAL.includes(r.mode))],
    ...["fan-wear", "psu-aging", "filter-clog", "paste", "fan-intermittent"].map((m) => [
      m,
      failed.filter((r) => r.mode === m),
    ]),
  ];
  for (const [label, rows] of groups) {
    for (const key of ["critAt", "warnAt"]) {
      const cells = systems.map((s) => {
        const st = leadStats(rows, s, key);
        return `${pct(st.recall)} med ${hrs(st.median)} p10 ${hrs(st.p10)}`;
      });
      console.log(line([label, rows.length, key === "critAt" ? "first critical" : "first warn/crit", ...cells], W));
    }
  }

  console.log("\n### Gradual faults by vendor layout (first critical)");
  for (const v of [...new Set(failed.map((r) => r.vendor))].sort()) {
    const rows = failed.filter((r) => r.vendor === v && GRADUAL.includes(r.mode));
    const cells = systems.map((s) => {
      const st = leadStats(rows, s, "critAt");
      return `${pct(st.recall)} med ${hrs(st.median)}`;
    });
    console.log(line([v, rows.length, "", ...cells], W));
  }

  console.log(
    "\n### Sudden fan stop: detection latency in samples (numeric samples while the host's other fans spin; presage; BMC for comparison)",
  );
  const stops = allRows.filter((r) => r.mode === "fan-stop");
  for (const s of ["presage", "bmc"]) {
    const lat = stops.map((r) => r.samplesUntil(r.det[s].critAt)).filter((x) => x !== null);
    const within2 = lat.filter((x) => x <= 2).length;
    console.log(
      `${s.padEnd(16)} n=${stops.length} caught=${lat.length} within 2 samples=${within2} median=${quantile(lat, 0.5) ?? "-"} max=${lat.length ? Math.max(...lat) : "-"}`,
    );
  }

  console.log(
    `\n### False episodes per 1,000 healthy host-days (${healthy.hostDays.toLocaleString("en-US")} healthy host-days)`,
  );
  const rate = (rows, k) => {
    const days = rows.length * DAYS;
    return days ? ((1000 * rows.reduce((s, r) => s + r[k], 0)) / days).toFixed(2) : "-";
  };
  console.log(line(["slice", "host-days", "", ...systems.map((s) => `${s} crit / warn`)], [22, 10, 2, 24, 24, 24]));
  const slices = [["all healthy", () => true]];
  for (const v of [...new Set(falseBy.presage.map((r) => r.vendor))].sort())
    slices.push([`vendor ${v}`, (r) => r.vendor === v]);
  for (const c of ["load-burst", "cooling-event", "fan-curve", "fan-replaced", "psu-unplugged", "power-cycle"])
    slices.push([`with ${c}`, (r) => r.confounders.includes(c)]);
  for (const [label, f] of slices) {
    const cells = systems.map((s) => {
      const rows = falseBy[s].filter(f);
      return `${rate(rows, "critical")} / ${rate(rows, "warning")}`;
    });
    console.log(line([label, falseBy.presage.filter(f).length * DAYS, "", ...cells], [22, 10, 2, 24, 24, 24]));
  }
  const offenders = falseBy.presage.filter((r) => r.critical + r.warning > 0).slice(0, 8);
  if (offenders.length)
    console.log(
      `presage false-alarm hosts (first 8): ${offenders.map((r) => `${r.host}(${r.vendor}; ${r.confounders.join(",")}) c${r.critical}/w${r.warning}`).join("; ")}`,
    );
}

async function benchThroughput() {
  const dir = mkdtempSync(join(tmpdir(), "presage-bench-"));
  try {
    const file = join(dir, "trace.ndjson");
    const fleet = createFleet({ seed: 7, hosts: 120, days: 1, intervalsMs: [60_000] });
    const out = createWriteStream(file);
    let n = 0;
    let buf = "";
    for (const r of fleet.readings()) {
      buf += `${JSON.stringify(r)}\n`;
      if (++n % 10_000 === 0) {
        if (!out.write(buf)) await new Promise((res) => out.once("drain", res));
        buf = "";
      }
    }
    out.end(buf);
    await new Promise((res) => out.once("close", res));
    const devNull = new Writable({ write: (_c, _e, cb) => cb() });
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const res = await runReplay({
      input: createReadStream(file, { highWaterMark: 1 << 20 }),
      output: devNull,
      errors: devNull,
    });
    const cpu = process.cpuUsage(c0);
    const secs = (performance.now() - t0) / 1000;
    const cpuSecs = (cpu.user + cpu.system) / 1e6;
    console.log(
      `\n## Replay throughput: ${res.readings.toLocaleString("en-US")} readings (file read + JSON.parse + validation + detection), ${res.events} events`,
    );
    console.log(
      `${Math.round(res.readings / cpuSecs).toLocaleString("en-US")} readings per CPU-second; ${Math.round(res.readings / secs).toLocaleString("en-US")} readings/s wall (${secs.toFixed(1)} s; load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function benchMemory() {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc");
  const fleet = createFleet({ seed: 9, hosts: 2_000, days: 0.25, intervalsMs: [120_000], quirks: false });
  const firstTs = new Map();
  let sensors = 0;
  gc();
  const before = process.memoryUsage().heapUsed;
  const det = createDetector();
  for (const r of fleet.readings()) {
    det.ingest(r);
    if (!firstTs.has(r.host)) firstTs.set(r.host, r.ts);
    if (firstTs.get(r.host) === r.ts) sensors++;
  }
  for (const h of fleet.hosts) det.health(h.host);
  gc();
  const after = process.memoryUsage().heapUsed;
  const per = (after - before) / sensors;
  console.log(
    `\n## Memory: ${sensors.toLocaleString("en-US")} sensors on 2,000 hosts after 6 h: ${((after - before) / 2 ** 20).toFixed(1)} MiB detector state = ${Math.round(per).toLocaleString("en-US")} bytes per sensor (fixed ring of ${cfg.windowBuckets} buckets; does not grow with trace length); a 10,000-host fleet of ~17 sensors each needs ~${((per * 170_000) / 2 ** 20).toFixed(0)} MiB`,
  );
  return det;
}

async function benchFasrc() {
  const file = fileURLToPath(new URL("../../../shared/data/fasrc/fasrc-2025-06-03.ndjson.gz", import.meta.url));
  if (process.env.BENCH_FASRC === "0") return console.log("\n## FASRC day: skipped (BENCH_FASRC=0)");
  if (!existsSync(file)) return console.log(`\n## FASRC day: ${file} is absent; skipped`);
  const counts = { critical: 0, warning: 0, info: 0 };
  const byHost = new Map();
  let partial = "";
  const sink = new Writable({
    write(chunk, _e, cb) {
      const text = partial + chunk.toString();
      const lines = text.split("\n");
      partial = lines.pop() ?? "";
      for (const l of lines) {
        if (!l) continue;
        const e = JSON.parse(l);
        if (e.kind === "cleared") continue;
        counts[e.severity]++;
        if (e.severity !== "info") byHost.set(`${e.host} ${e.sensor}`, `${e.severity}: ${e.reason}`);
      }
      cb();
    },
  });
  const errSink = new Writable({
    write(c, _e, cb) {
      process.stderr.write(c);
      cb();
    },
  });
  const t0 = performance.now();
  const res = await runReplay({ input: createReadStream(file).pipe(createGunzip()), output: sink, errors: errSink });
  const secs = (performance.now() - t0) / 1000;
  console.log(
    `\n## FASRC 2025-06-03 (real outage day): ${res.readings.toLocaleString("en-US")} readings, ${res.skipped} skipped, in ${secs.toFixed(0)} s (${Math.round(res.readings / secs).toLocaleString("en-US")}/s incl. gunzip)`,
  );
  console.log(`events: critical ${counts.critical}, warning ${counts.warning}, info ${counts.info}`);
  for (const [k, v] of [...byHost].slice(0, 12)) console.log(`  ${k}: ${v}`);
}

console.log(
  `# pnpm bench:detect (detector horizon ${(DETECT.horizonMs ?? DEFAULT_DETECT_CONFIG.horizonMs) / HOUR} h, bucket ${DEFAULT_DETECT_CONFIG.bucketMs / 60_000} min)`,
);
await benchFleets();
await benchThroughput();
benchMemory();
await benchFasrc();
