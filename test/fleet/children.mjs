/** The fleet soak's child processes: spawn with the log to a file, wait for the ready line, stop. */
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";

/** Spawn a node script; resolves once it prints a line on stdout (its "ready"). */
export function child(args, logFile, env = {}) {
  const err = openSync(logFile, "a");
  const proc = spawn(process.execPath, args, { stdio: ["ignore", "pipe", err], env: { ...process.env, ...env } });
  closeSync(err);
  const ready = new Promise((resolve, reject) => {
    proc.stdout.once("data", resolve);
    proc.once("exit", (code) => reject(new Error(`${args[0]} exited (${code}) before it was ready`)));
  });
  proc.stdout.resume();
  const exited = new Promise((r) => proc.once("exit", r));
  return { proc, ready, exited };
}

export async function stopChild(c, signal = "SIGTERM") {
  if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill(signal);
  const t = setTimeout(() => c.proc.kill("SIGKILL"), 20_000);
  await c.exited;
  clearTimeout(t);
}
