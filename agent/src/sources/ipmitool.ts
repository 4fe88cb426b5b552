/**
 * ipmitool, in-band (`-I open`) or remote (`-I lanplus -C 3`, `-I lan`). The password goes through
 * `-E` (IPMI_PASSWORD in the child's env), never argv. Output that parses is kept even when the
 * tool exits non-zero (ipmitool often complains about one sensor and still prints the rest).
 */
import type { Reading } from "@presage/shared";
import type { IpmitoolSourceConfig } from "../config.js";
import { NoSensorLinesError, runTool, ToolFailedError } from "../exec.js";
import { newParseStats, parsers } from "../parse/index.js";
import { readPassword } from "./credentials.js";
import type { SensorSource } from "./source.js";

export type IpmitoolOptions = { host: string; timeoutMs: number; now: () => number };

/** The argv and env for one run; exported so the benchmark times exactly what the source runs. */
export function ipmitoolCommand(
  c: IpmitoolSourceConfig,
  timeoutMs: number,
): { bin: string; args: string[]; env: Record<string, string> } {
  const iface = c.interface ?? (c.address ? "lanplus" : "open");
  const args = ["-I", iface];
  const env: Record<string, string> = {};
  if (iface !== "open") {
    // per-try timeout and one retry, so a dead BMC fails well inside our own kill timer
    const perTry = Math.max(1, Math.min(5, Math.floor(timeoutMs / 4_000)));
    args.push("-H", c.address ?? "", "-p", String(c.port ?? 623), "-N", String(perTry), "-R", "1");
    if (iface === "lanplus") args.push("-C", String(c.cipherSuite ?? 3));
    if (c.user !== undefined) args.push("-U", c.user);
    const pw = readPassword(c);
    if (pw !== undefined) {
      args.push("-E");
      env.IPMI_PASSWORD = pw;
    }
  }
  args.push(...((c.command ?? "sensor") === "sensor" ? ["sensor"] : ["sdr", "elist"]));
  return { bin: c.bin ?? "ipmitool", args, env };
}

export function ipmitoolSource(c: IpmitoolSourceConfig, o: IpmitoolOptions): SensorSource {
  const iface = c.interface ?? (c.address ? "lanplus" : "open");
  const format = (c.command ?? "sensor") === "sensor" ? "ipmitool-sensor" : "ipmitool-sdr-elist";
  return {
    name: iface === "open" ? "ipmitool-open" : `ipmitool-${iface}:${c.address}:${c.port ?? 623}`,
    host: o.host,
    async poll(signal): Promise<Reading[]> {
      const cmd = ipmitoolCommand(c, o.timeoutMs);
      const res = await runTool(cmd.bin, cmd.args, { timeoutMs: o.timeoutMs, signal, env: cmd.env });
      const stats = newParseStats();
      const readings = parsers[format](res.stdout, { host: o.host, ts: o.now() }, stats);
      if (res.code !== 0 && readings.length === 0) throw new ToolFailedError(cmd.bin, res);
      if (readings.length === 0 && stats.skipped)
        throw new NoSensorLinesError(cmd.bin, format, stats.lines, stats.firstSkipped);
      return readings;
    },
  };
}
