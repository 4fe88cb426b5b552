import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runTool, ToolNotFoundError, ToolTimeoutError } from "../../src/exec.js";
import { freeipmiArgs } from "../../src/sources/freeipmi.js";
import { ipmitoolCommand, ipmitoolSource } from "../../src/sources/ipmitool.js";

/** Running (a killed child may linger as a zombie until its new parent reaps it; that counts as dead). */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};

describe("exec - running BMC tools", () => {
  it("kills a hung tool and everything it forked after timeoutMs", async () => {
    const dir = mkdtempSync(join(tmpdir(), "presage-exec-"));
    const pidFile = join(dir, "pid");
    const t0 = Date.now();
    const err = await runTool("sh", ["-c", `sleep 30 & echo $! > ${pidFile}; wait`], { timeoutMs: 400 }).catch(
      (e) => e,
    );
    const elapsed = Date.now() - t0;
    expect(err).toBeInstanceOf(ToolTimeoutError);
    expect(elapsed).toBeGreaterThanOrEqual(380);
    expect(elapsed).toBeLessThan(3_000);
    const grandchild = Number(readFileSync(pidFile, "utf8"));
    await new Promise((r) => setTimeout(r, 100));
    expect(alive(grandchild)).toBe(false);
  });

  it("an abort signal kills the tool at once", async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error("poll cancelled")), 100);
    await expect(runTool("sleep", ["30"], { timeoutMs: 10_000, signal: ac.signal })).rejects.toThrow(/poll cancelled/);
  });

  it("returns output and exit code of a failing tool, and names a missing one", async () => {
    const r = await runTool("sh", ["-c", "echo 'FAN1 | 1 RPM | ok'; echo oops >&2; exit 3"], { timeoutMs: 5_000 });
    expect(r).toMatchObject({ code: 3, stdout: "FAN1 | 1 RPM | ok\n", stderr: "oops\n" });
    await expect(runTool("no-such-ipmi-tool", [], { timeoutMs: 1_000 })).rejects.toBeInstanceOf(ToolNotFoundError);
  });

  it("passwords never reach argv: ipmitool gets -E and IPMI_PASSWORD, FreeIPMI a config file", () => {
    const dir = mkdtempSync(join(tmpdir(), "presage-exec-"));
    writeFileSync(join(dir, "pw"), "s3cret#1\n");
    const c = ipmitoolCommand(
      { kind: "ipmitool", interface: "lanplus", address: "10.0.0.5", user: "admin", passwordFile: join(dir, "pw") },
      8_000,
    );
    expect(c.args.join(" ")).not.toMatch(/s3cret/);
    expect(c.args).toContain("-E");
    expect(c.args).toEqual(expect.arrayContaining(["-C", "3", "-H", "10.0.0.5", "-U", "admin"]));
    expect(c.env).toEqual({ IPMI_PASSWORD: "s3cret#1" });
    const f = freeipmiArgs(
      { kind: "freeipmi", address: "10.0.0.5", user: "admin", passwordFile: join(dir, "pw") },
      8_000,
      "/run/x.conf",
    );
    expect(f.join(" ")).not.toMatch(/s3cret|admin/);
    expect(f).toEqual(
      expect.arrayContaining(["--config-file", "/run/x.conf", "-W", "opensesspriv", "--driver-type=LAN_2_0"]),
    );
  });
});

describe("sources - output with no sensor line", () => {
  it("a tool that exits 0 printing only noise is a failed poll naming the first line, not an empty host", async () => {
    const dir = mkdtempSync(join(tmpdir(), "presage-noise-"));
    const bin = join(dir, "ipmitool");
    writeFileSync(
      bin,
      "#!/bin/sh\necho 'Get Device ID command failed: 0xc1 Invalid command'\necho '\\001\\002 | x'\n",
      {
        mode: 0o755,
      },
    );
    const src = ipmitoolSource({ kind: "ipmitool", bin }, { host: "h1", timeoutMs: 5_000, now: () => 0 });
    await expect(src.poll(AbortSignal.timeout(5_000))).rejects.toThrow(
      /printed 2 lines but no ipmitool-sensor sensor line \(first: "Get Device ID command failed/,
    );
    const ok = join(dir, "ok");
    writeFileSync(ok, "#!/bin/sh\necho 'banner'\necho 'FAN1 | 4500.000 | RPM | ok | na | na | na | na | na | na'\n", {
      mode: 0o755,
    });
    const good = ipmitoolSource({ kind: "ipmitool", bin: ok }, { host: "h1", timeoutMs: 5_000, now: () => 0 });
    expect((await good.poll(AbortSignal.timeout(5_000))).map((r) => r.sensor)).toEqual(["FAN1"]);
  });
});
