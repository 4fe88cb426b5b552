// Oracle runs for `pnpm bench:balance`: how low CPU imbalance goes with a given number of migrations
// for a planner that knows the simulator's future, which no controller does. Not a planner and not
// compared as one: it measures what the target asks. The search is greedy, so the best possible may be
// a little lower. Three runs, each one static placement reached from the start by single moves (best
// drop of squared deviations first, each VM at most once, headroom and convergence as the planners
// have them), judged on the real demand:
// - "final": knows the demand of the last sample and balances for that moment only;
// - "day": knows the whole day's demand and balances for all of it;
// - "wave": knows each VM's daily wave but not its random walk, and balances for the whole day: what a
//   perfect per-VM daily profile (demand history) could tell a planner that does not chase the wave.
import { migrationCost } from "../../controller/dist/balance/cost.js";
import { DAY_ROUNDS, demandFraction, drift, HEADROOM, makeFleet, ROUND } from "./balance-sim.mjs";

/** Each VM's normalised CPU demand in every round of the day (with and without its walk), and the start placement. */
function demandTrace(nHosts, seed) {
  const { fleet: start, profile, overhead, r } = makeFleet(nHosts, seed);
  const T = DAY_ROUNDS + 1;
  const cap = start.hosts[0].cpuCapacity;
  const demand = start.vms.map(() => new Float64Array(T));
  const wave = start.vms.map((vm) => {
    const p = profile.get(vm.id);
    return Float64Array.from({ length: T }, (_, t) => (demandFraction(p, t * ROUND, 0) * vm.vcpus) / cap);
  });
  let fleet = start;
  for (let t = 0; t < T; t++) {
    fleet = drift(fleet, profile, overhead, r, t * ROUND);
    fleet.vms.forEach((vm, i) => {
      demand[i][t] = vm.cpuDemand / cap;
    });
  }
  const hostIndex = new Map(start.hosts.map((h, i) => [h.name, i]));
  return { start, demand, wave, overhead: overhead.map((o) => o / cap), hostIndex, T };
}

/** Per host: its CPU load in every round as the oracle knows it (`load`) and as it is (`real`), memory, VMs. */
function startPlacement(trace, known) {
  const { start, demand, overhead, hostIndex, T } = trace;
  const n = start.hosts.length;
  const p = {
    load: overhead.map((o) => new Float64Array(T).fill(o)),
    real: overhead.map((o) => new Float64Array(T).fill(o)),
    mem: new Array(n).fill(0),
    on: Array.from({ length: n }, () => []),
  };
  start.vms.forEach((vm, i) => {
    const h = hostIndex.get(vm.host);
    for (let t = 0; t < T; t++) {
      p.load[h][t] += known[i][t];
      p.real[h][t] += demand[i][t];
    }
    p.mem[h] += vm.memoryMiB;
    p.on[h].push(i);
  });
  return p;
}

/**
 * The single move among `candidates` that lowers the squared deviations over `rounds` the most, as the
 * oracle knows demand (all hosts have the same capacity, so a move of d changes them by 2d(a - b) - 2d²).
 */
function bestMove(p, trace, known, rounds, moved, candidates) {
  const memLimit = trace.start.hosts[0].memoryMiB * (1 - HEADROOM.memory);
  let best = null;
  for (const s of candidates)
    for (const vi of p.on[s]) {
      const cost = moved.has(vi) ? null : migrationCost(trace.start.vms[vi]);
      if (!cost) continue;
      const d = known[vi];
      for (const t of candidates) {
        if (t === s || p.mem[t] + trace.start.vms[vi].memoryMiB > memLimit) continue;
        let gain = 0;
        let fits = true;
        for (const u of rounds) {
          if (p.load[t][u] + d[u] > 1 - HEADROOM.cpu) {
            fits = false;
            break;
          }
          gain += 2 * d[u] * (p.load[s][u] - p.load[t][u]) - 2 * d[u] * d[u];
        }
        if (fits && gain > 0 && (!best || gain > best.gain)) best = { gain, s, t, vi, copyMiB: cost.copyMiB };
      }
    }
  return best;
}

/**
 * The bound at each budget (number of migrations): CPU imbalance at the last sample, its mean over
 * the day, and GiB copied. `rounds`: the samples the bound balances for; `known`: the demand it
 * chooses on (the real one, or the wave alone); imbalance is measured on the real demand.
 */
function boundCurve(trace, budgets, rounds, known) {
  const { start, demand, T } = trace;
  const n = start.hosts.length;
  const width = 16; // hosts tried per step from each list: the most spread, the most and the least loaded
  const p = startPlacement(trace, known);
  const sigma = (t) => {
    const s = p.real.reduce((a, l) => a + l[t], 0);
    const s2 = p.real.reduce((a, l) => a + l[t] ** 2, 0);
    return Math.sqrt(Math.max(0, s2 / n - (s / n) ** 2));
  };
  const state = (moves) => {
    let m = 0;
    for (let t = 0; t < T; t++) m += sigma(t);
    return { moves, final: sigma(T - 1), mean: m / T, gib };
  };
  const mean = rounds.map((t) => p.load.reduce((a, l) => a + l[t], 0) / n); // the same for every placement
  const level = (h) => rounds.reduce((a, t) => a + p.load[h][t], 0);
  const spread = (h) => rounds.reduce((a, t, j) => a + (p.load[h][t] - mean[j]) ** 2, 0);
  const moved = new Set();
  const out = [];
  let gib = 0;
  for (let k = 1; k <= Math.max(...budgets); k++) {
    const bySpread = [...p.load.keys()].sort((a, b) => spread(b) - spread(a));
    const byLevel = [...p.load.keys()].sort((a, b) => level(b) - level(a));
    const hosts = [...new Set([...bySpread.slice(0, width), ...byLevel.slice(0, width), ...byLevel.slice(-width)])];
    const best = bestMove(p, trace, known, rounds, moved, hosts);
    if (!best) {
      for (const b of budgets) if (b >= k) out.push(state(k - 1));
      break;
    }
    for (let t = 0; t < T; t++) {
      p.load[best.s][t] -= known[best.vi][t];
      p.load[best.t][t] += known[best.vi][t];
      p.real[best.s][t] -= demand[best.vi][t];
      p.real[best.t][t] += demand[best.vi][t];
    }
    const vm = start.vms[best.vi];
    p.mem[best.s] -= vm.memoryMiB;
    p.mem[best.t] += vm.memoryMiB;
    p.on[best.s].splice(p.on[best.s].indexOf(best.vi), 1);
    p.on[best.t].push(best.vi);
    moved.add(best.vi);
    gib += best.copyMiB / 1024;
    if (budgets.includes(k)) out.push(state(k));
  }
  return out;
}

/** The three oracle runs for one fleet size at the given budgets. */
export function bounds(nHosts, seed, budgets) {
  const trace = demandTrace(nHosts, seed);
  const all = [...Array(trace.T).keys()];
  return {
    final: boundCurve(trace, budgets, [trace.T - 1], trace.demand),
    day: boundCurve(trace, budgets, all, trace.demand),
    wave: boundCurve(trace, budgets, all, trace.wave),
  };
}
