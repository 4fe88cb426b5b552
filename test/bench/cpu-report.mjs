/**
 * Preloaded (node --import) into a benchmarked child: on exit, writes the process's own CPU time and peak RSS
 * to $BENCH_CPU_FILE, so the parent measures the child alone (JSON parsing included, the parent's gunzip not).
 */
import { writeFileSync } from "node:fs";

process.on("exit", () => {
  const file = process.env.BENCH_CPU_FILE;
  if (!file) return;
  const c = process.cpuUsage();
  const maxRssMiB = process.resourceUsage().maxRSS / 1024;
  writeFileSync(file, JSON.stringify({ cpuS: (c.user + c.system) / 1e6, maxRssMiB }));
});
