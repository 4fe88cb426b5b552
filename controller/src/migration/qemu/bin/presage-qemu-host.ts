#!/usr/bin/env node
/**
 * The per-host QEMU helper (docs/migration.md): runs next to the agent on each hypervisor host and serves
 * that host's QEMU processes to the controller's QemuEngine over NATS.
 */
import { parseArgs } from "node:util";
import { connectNats, createLogger, hostNameError } from "@presage/shared";
import { LocalQemuHost } from "../host.js";
import { serveQemuHost } from "../host-client.js";

const USAGE = `usage: presage-qemu-host --server URL --host NAME --state-dir DIR
  [--netns NS] [--qemu qemu-system-x86_64] [--accel tcg|kvm]`;

async function main(): Promise<number> {
  const { values: a } = parseArgs({
    options: {
      server: { type: "string", default: process.env.NATS_URL },
      host: { type: "string" },
      "state-dir": { type: "string" },
      netns: { type: "string" },
      qemu: { type: "string", default: "qemu-system-x86_64" },
      accel: { type: "string", default: "tcg" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (a.help) {
    console.log(USAGE);
    return 0;
  }
  if (!a.server || !a.host || !a["state-dir"])
    throw new Error(`--server, --host and --state-dir are required\n${USAGE}`);
  const bad = hostNameError(a.host);
  if (bad) throw new Error(bad);
  if (a.accel !== "tcg" && a.accel !== "kvm") throw new Error("--accel must be tcg or kvm");
  const log = createLogger("presage-qemu-host");
  const nc = await connectNats({ url: a.server, name: `presage-qemu-host-${a.host}` }, log);
  const host = new LocalQemuHost(
    { name: a.host, cpuCapacity: 0, memoryMiB: 0, address: "", netns: a.netns ?? null },
    a["state-dir"],
    { qemuBin: a.qemu, accel: a.accel },
  );
  const server = serveQemuHost(nc, host, { log });
  await server.ready;
  console.log(JSON.stringify({ ready: true, host: a.host }));
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  server.stop(); // QEMUs keep running: they are the VMs
  await nc.drain();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`presage-qemu-host: ${(e as Error).message}`);
    process.exit(2);
  },
);
