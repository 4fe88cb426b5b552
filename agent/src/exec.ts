/**
 * Run one external tool (ipmitool, ipmi-sensors...) with a hard wall-clock limit.
 * Expiry or abort SIGKILLs the child and everything it forked (a hung in-band driver must never
 * stall a poll). The child is not put in its own session (`detached`): ipmitool lanplus runs about
 * 200 ms slower per call under setsid, so descendants are found through /proc instead.
 * Secrets travel in env or files, never argv.
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

export type ToolResult = {
  stdout: string;
  stderr: string;
  /** exit code; null when killed by a signal */
  code: number | null;
  durationMs: number;
};

export type ExecOptions = {
  timeoutMs: number;
  signal?: AbortSignal;
  /** extra environment (e.g. IPMI_PASSWORD for `ipmitool -E`); merged over process.env */
  env?: Record<string, string>;
  /** stop reading after this many bytes of stdout (a runaway tool must not eat memory) */
  maxBytes?: number;
};

export class ToolTimeoutError extends Error {
  constructor(
    readonly command: string,
    readonly timeoutMs: number,
  ) {
    super(`${command} did not finish within ${timeoutMs} ms and was killed`);
    this.name = "ToolTimeoutError";
  }
}

export class ToolNotFoundError extends Error {
  constructor(readonly command: string) {
    super(`${command} not found on PATH (install it: ipmitool / freeipmi-tools)`);
    this.name = "ToolNotFoundError";
  }
}

export class ToolFailedError extends Error {
  constructor(
    readonly command: string,
    readonly result: ToolResult,
  ) {
    const detail = result.stderr.trim().split("\n").slice(-2).join(" / ") || "no error output";
    super(`${command} exited with code ${result.code}: ${detail}`);
    this.name = "ToolFailedError";
  }
}

/**
 * A tool that printed output but not one sensor line of its format (a banner or error on stdout, the
 * wrong tool, garbage): a failed poll, never "this host has no sensors".
 */
export class NoSensorLinesError extends Error {
  constructor(command: string, format: string, lines: number, sample: string | null) {
    super(
      `${command} printed ${lines} lines but no ${format} sensor line${sample ? ` (first: ${JSON.stringify(sample)})` : ""}`,
    );
    this.name = "NoSensorLinesError";
  }
}

/** pid -> parent pid for every process we can see (Linux /proc; empty elsewhere). */
function parentMap(): Map<number, number> {
  const out = new Map<number, number>();
  let entries: string[] = [];
  try {
    entries = readdirSync("/proc");
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      out.set(Number(e), ppid);
    } catch {
      // exited while we looked
    }
  }
  return out;
}

/** SIGKILL a process and all its descendants (children first found, then killed together). */
function killTree(pid: number | undefined): void {
  if (!pid) return;
  const parents = parentMap();
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) for (const [p, pp] of parents) if (pp === tree[i]) tree.push(p);
  for (const p of tree) {
    try {
      process.kill(p, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** Run `command args`; resolves with its output whatever the exit code, rejects on timeout/abort/ENOENT. */
export function runTool(command: string, args: readonly string[], o: ExecOptions): Promise<ToolResult> {
  const started = performance.now();
  const maxBytes = o.maxBytes ?? 4 << 20;
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) return reject(o.signal.reason);
    const env = o.env ? { ...process.env, ...o.env } : process.env;
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener("abort", onAbort);
      fn();
    };
    const timer = setTimeout(() => {
      killTree(child.pid);
      finish(() => reject(new ToolTimeoutError(command, o.timeoutMs)));
    }, o.timeoutMs);
    const onAbort = () => {
      killTree(child.pid);
      finish(() => reject(o.signal?.reason ?? new Error("aborted")));
    };
    o.signal?.addEventListener("abort", onAbort, { once: true });
    child.stdout.on("data", (d: Buffer) => {
      outBytes += d.length;
      if (outBytes <= maxBytes) out.push(d);
      else killTree(child.pid);
    });
    child.stderr.on("data", (d: Buffer) => {
      if (err.length < 64) err.push(d);
    });
    child.once("error", (e: NodeJS.ErrnoException) => {
      killTree(child.pid);
      finish(() => reject(e.code === "ENOENT" ? new ToolNotFoundError(command) : e));
    });
    child.once("close", (code) => {
      finish(() =>
        resolve({
          stdout: Buffer.concat(out).toString("utf8"),
          stderr: Buffer.concat(err).toString("utf8"),
          code,
          durationMs: performance.now() - started,
        }),
      );
    });
  });
}
