/**
 * Start a real nats-server (Debian package) with JetStream on a free loopback port and a temp
 * store dir: the demo's private bus, and every test's (through natsEnv in ./testing). Never touches the
 * machine's server on :4222.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sleep } from "./clock.js";

export type NatsServerHandle = {
  url: string;
  port: number;
  storeDir: string;
  /** the child process (replaced by restart) */
  proc: ChildProcess;
  /** stop the server; keeps the store dir unless `cleanup` */
  stop(opts?: { cleanup?: boolean }): Promise<void>;
  /** kill (SIGKILL) and start again on the same port and store, as after a crash */
  restart(): Promise<void>;
};

export type StartNatsOptions = {
  /** full server config text; `{{PORT}}` and `{{STORE}}` are substituted. Default: JetStream on loopback. */
  config?: string;
  /** extra command-line args */
  args?: string[];
  /** binary (default: nats-server on PATH, /usr/sbin/nats-server) */
  bin?: string;
  startTimeoutMs?: number;
};

export function findBin(bin?: string): string {
  return bin ?? process.env.NATS_SERVER_BIN ?? "nats-server";
}

/** Spawn nats-server and resolve once it logs `Server is ready`, with the client port it logged. */
export function launch(bin: string, args: string[], timeoutMs: number): Promise<{ proc: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, PATH: `${process.env.PATH ?? ""}:/usr/sbin:/usr/local/sbin` };
    const proc = spawn(bin, args, { stdio: ["ignore", "ignore", "pipe"], env });
    let log = "";
    let port = 0;
    let ready = false;
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`nats-server did not become ready in ${timeoutMs} ms; log:\n${log}`));
    }, timeoutMs);
    proc.once("error", (e) => {
      clearTimeout(timer);
      reject(
        (e as NodeJS.ErrnoException).code === "ENOENT"
          ? new Error("nats-server not found on PATH: install it with `apt-get install nats-server` (README)")
          : e,
      );
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited early (code ${code}); log:\n${log}`));
    });
    proc.stderr?.on("data", (d: Buffer) => {
      if (ready) return; // keep draining the pipe, nothing more to learn
      if (log.length < 64_000) log += d.toString();
      const m = /Listening for client connections on [^\s]+:(\d+)/.exec(log);
      if (m && !port) port = Number(m[1]);
      if (port && log.includes("Server is ready")) {
        ready = true;
        clearTimeout(timer);
        proc.removeAllListeners("exit");
        resolve({ proc, port });
      }
    });
  });
}

/** Signal the process and wait for its exit (SIGKILL after 5 s). */
export function stopProc(proc: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => proc.kill("SIGKILL"), 5_000);
    proc.once("exit", () => {
      clearTimeout(t);
      resolve();
    });
    proc.kill(signal);
  });
}

/** Launch on ports that were just in use: they may linger briefly, so retry for ~5 s. */
export async function relaunch(bin: string, args: string[], timeoutMs: number): ReturnType<typeof launch> {
  for (let i = 0; ; i++) {
    try {
      return await launch(bin, args, timeoutMs);
    } catch (e) {
      if (i >= 20) throw e;
      await sleep(250);
    }
  }
}

export async function startNatsServer(opts: StartNatsOptions = {}): Promise<NatsServerHandle> {
  const bin = findBin(opts.bin);
  const dir = mkdtempSync(join(tmpdir(), "presage-nats-"));
  const storeDir = join(dir, "js");
  const timeoutMs = opts.startTimeoutMs ?? 10_000;
  const argsFor = (port: number): string[] => {
    if (opts.config) {
      const conf = join(dir, "server.conf");
      writeFileSync(conf, opts.config.replaceAll("{{PORT}}", String(port)).replaceAll("{{STORE}}", storeDir));
      return ["-c", conf, ...(opts.args ?? [])];
    }
    return ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", storeDir, ...(opts.args ?? [])];
  };
  const first = await launch(bin, argsFor(-1), timeoutMs);
  const handle: NatsServerHandle = {
    url: `nats://127.0.0.1:${first.port}`,
    port: first.port,
    storeDir,
    proc: first.proc,
    async stop(o = {}) {
      await stopProc(handle.proc);
      if (o.cleanup !== false) rmSync(dir, { recursive: true, force: true });
    },
    async restart() {
      await stopProc(handle.proc, "SIGKILL");
      handle.proc = (await relaunch(bin, argsFor(handle.port), timeoutMs)).proc;
    },
  };
  return handle;
}
