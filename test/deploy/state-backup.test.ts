/**
 * Backup and restore of the controller's KV state with the real binaries: a `presage-controller run` (sim
 * engine) writes its state, `state export` saves it, a lost host record comes back with `state import`, and
 * import is refused while a controller holds the leader lease.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { connectNats, KV_HOSTS, type NatsConnection, silentLogger } from "@presage/shared";
import { type NatsServerHandle, startNatsServer } from "@presage/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openControlBucket, openStore } from "../../controller/src/store/index.js";
import { poll } from "../e2e/harness.js";

const execFileP = promisify(execFile);
const CONTROLLER = join(import.meta.dirname, "../../controller/dist/bin/presage-controller.js");
let ns: NatsServerHandle;
let nc: NatsConnection;
let dir: string;
let cfg: string;

const ctl = (args: string[]) =>
  execFileP(process.execPath, [CONTROLLER, ...args, "--config", cfg], { timeout: 60_000 }).then(
    (r) => ({ code: 0, ...r }),
    (e) => ({ code: e.code as number, stdout: e.stdout as string, stderr: e.stderr as string }),
  );
function runController(): ChildProcess {
  return spawn(process.execPath, [CONTROLLER, "run", "--config", cfg], { stdio: "ignore" });
}
function stop(p: ChildProcess): Promise<unknown> {
  const gone = new Promise((r) => p.once("exit", r));
  p.kill("SIGTERM");
  return gone;
}

beforeAll(async () => {
  ns = await startNatsServer();
  nc = await connectNats({ url: ns.url });
  dir = mkdtempSync(join(tmpdir(), "presage-state-"));
  cfg = join(dir, "controller.json");
  writeFileSync(
    cfg,
    JSON.stringify({
      nats: { url: ns.url },
      name: "ctl-backup",
      engine: { kind: "sim", sim: { hosts: 2, vmsPerHost: 1 } },
    }),
  );
});
afterAll(async () => {
  await nc?.close();
  await ns?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("presage-controller state export / import", () => {
  it("restores a lost host record, and refuses to import under a live leader", async () => {
    const hosts = (await openStore(nc, silentLogger)).hosts.kv;
    let p = runController();
    await poll(
      "controller wrote its hosts",
      async () =>
        await hosts.keys().then(async (it) => {
          const ks: string[] = [];
          for await (const k of it) ks.push(k);
          return ks.length === 2 ? ks : null;
        }),
      60_000,
      200,
    );
    const exp = await ctl(["state", "export", "--output", join(dir, "backup.json")]);
    expect(exp.code, exp.stderr).toBe(0);
    const backup = JSON.parse(readFileSync(join(dir, "backup.json"), "utf8"));
    expect(backup.format).toBe("presage-state/1");
    const keys = Object.keys(backup.buckets[KV_HOSTS]).sort();
    expect(keys).toHaveLength(2);
    expect(backup.buckets[KV_HOSTS][keys[0] as string]).toMatchObject({ host: keys[0], state: "healthy" });
    const live = await ctl(["state", "import", join(dir, "backup.json")]);
    expect(live.code).toBe(2);
    expect(live.stderr).toMatch(/holds the leader lease: stop every controller/);

    await stop(p);
    await hosts.delete(keys[0] as string);
    const imp = await ctl(["state", "import", join(dir, "backup.json")]);
    expect(imp.code, imp.stderr).toBe(0);
    expect(imp.stdout).toMatch(new RegExp(`${KV_HOSTS} 2`));
    expect((await hosts.get(keys[0] as string))?.json()).toMatchObject({ host: keys[0], state: "healthy" });
    // and a restarted controller runs on the restored state
    p = runController();
    await poll(
      "controller leads again",
      async () => {
        const e = await (await openControlBucket(nc)).get("leader");
        return e?.operation === "PUT" && e.json<{ holder: string }>().holder === "ctl-backup";
      },
      60_000,
      200,
    );
    await stop(p);
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ hello: 1 }));
    const r = await ctl(["state", "import", bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a Presage state backup/);
  }, 180_000);
});
