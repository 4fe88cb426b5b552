/** Spawn the BUILT `presage` CLI (controller/dist/bin/presage.js) and collect its output. */
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const CLI = fileURLToPath(new URL("../../controller/dist/bin/presage.js", import.meta.url));

export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first with \`npx tsc -b controller\``);
}

export type CliRun = { code: number; stdout: string; stderr: string };

export function presage(args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      // a clean environment: no NATS_URL or context file of the machine leaks in
      { env: { PATH: process.env.PATH ?? "", HOME: "/nonexistent", ...env }, timeout: timeoutMs },
      (err, stdout, stderr) => {
        const code =
          err && typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : err ? -1 : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** `presage watch ...` in the background: resolves `ready` once it has subscribed. */
export function presageWatch(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [CLI, "watch", ...args], {
    env: { PATH: process.env.PATH ?? "", HOME: "/nonexistent", ...env },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes("watching")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`watch exited ${code} before subscribing: ${stderr}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { ready, exited, output: () => stdout, kill: () => child.kill() };
}

/** The CLI's own main in this process (no build needed): its exit code, stdout and stderr lines. */
export async function presageInProcess(
  argv: string[],
  env: Record<string, string>,
  now: () => number = Date.now,
): Promise<{ code: number; out: string; err: string }> {
  const { runCli } = await import("../../controller/src/cli/main.js");
  let out = "";
  let err = "";
  const code = await runCli(argv, {
    out: (t) => {
      out += `${t}\n`;
    },
    err: (t) => {
      err += `${t}\n`;
    },
    isTTY: false,
    env,
    now,
  });
  return { code, out, err };
}
