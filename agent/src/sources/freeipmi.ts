/**
 * FreeIPMI `ipmi-sensors` / `ipmimonitoring`, in-band or remote. Credentials go in a 0600 config
 * file that lives only for the run (FreeIPMI reads `username`/`password` from --config-file), so
 * they never show in `ps`. An SDR cache directory per BMC keeps each poll fast.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import type { Reading } from "@presage/shared";
import type { FreeipmiSourceConfig } from "../config.js";
import { NoSensorLinesError, runTool, ToolFailedError } from "../exec.js";
import { newParseStats, parsers } from "../parse/index.js";
import { readPassword } from "./credentials.js";
import type { SensorSource } from "./source.js";

export type FreeipmiOptions = { host: string; timeoutMs: number; now: () => number };

/** FreeIPMI's config file escapes nothing but treats `#` as a comment start. */
const escapeConf = (s: string) => s.replace(/\\/g, "\\\\").replace(/#/g, "\\#");

function defaultCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "presage", "sdr");
}

/** argv for one run; `configFile` holds the credentials when remote. */
export function freeipmiArgs(c: FreeipmiSourceConfig, timeoutMs: number, configFile?: string): string[] {
  const tool = c.tool ?? "ipmi-sensors";
  const args: string[] = [];
  if (c.address) {
    const driver = c.driverType ?? "LAN_2_0";
    args.push("-h", c.port ? `${c.address}:${c.port}` : c.address, `--driver-type=${driver}`);
    const w = c.workaround ?? (driver === "LAN_2_0" ? "opensesspriv" : undefined);
    if (w) args.push("-W", w);
    if (configFile) args.push("--config-file", configFile);
    // give up on a dead BMC well inside our own kill timer
    const session = Math.max(1_000, Math.floor(timeoutMs / 2));
    args.push(`--session-timeout=${session}`, `--retransmission-timeout=${Math.max(250, Math.floor(session / 4))}`);
  }
  args.push("--comma-separated-output", "--no-header-output", "--output-sensor-state", "--quiet-cache");
  args.push(`--sdr-cache-directory=${c.sdrCacheDir ?? defaultCacheDir()}`);
  if (tool === "ipmi-sensors") args.push("--output-sensor-thresholds");
  else args.push("-Q", "--ignore-unrecognized-events", "--output-event-bitmask");
  return args;
}

export function freeipmiSource(c: FreeipmiSourceConfig, o: FreeipmiOptions): SensorSource {
  const tool = c.tool ?? "ipmi-sensors";
  const bin = c.binDir ? join(c.binDir, tool) : tool;
  const format = tool === "ipmi-sensors" ? "freeipmi-sensors" : "ipmimonitoring";
  mkdirSync(c.sdrCacheDir ?? defaultCacheDir(), { recursive: true, mode: 0o700 });
  return {
    name: c.address ? `freeipmi-${tool}:${c.address}:${c.port ?? 623}` : `freeipmi-${tool}`,
    host: o.host,
    async poll(signal): Promise<Reading[]> {
      let dir: string | undefined;
      let configFile: string | undefined;
      const pw = c.address ? readPassword(c) : undefined;
      if (c.address && (c.user !== undefined || pw !== undefined)) {
        dir = mkdtempSync(join(tmpdir(), "presage-ipmi-"));
        configFile = join(dir, "freeipmi.conf");
        const lines = [
          c.user !== undefined ? `username ${escapeConf(c.user)}` : "",
          pw !== undefined ? `password ${escapeConf(pw)}` : "",
        ];
        writeFileSync(configFile, `${lines.filter(Boolean).join("\n")}\n`, { mode: 0o600 });
      }
      try {
        const res = await runTool(bin, freeipmiArgs(c, o.timeoutMs, configFile), { timeoutMs: o.timeoutMs, signal });
        const stats = newParseStats();
        const readings = parsers[format](res.stdout, { host: o.host, ts: o.now() }, stats);
        if (res.code !== 0 && readings.length === 0) throw new ToolFailedError(tool, res);
        if (readings.length === 0 && stats.skipped)
          throw new NoSensorLinesError(tool, format, stats.lines, stats.firstSkipped);
        return readings;
      } finally {
        if (dir) rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
