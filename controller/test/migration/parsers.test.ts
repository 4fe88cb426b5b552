import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseColonLines, parseDomstats } from "../../src/migration/libvirt/parse.js";
import { buildGuestImage } from "../../src/migration/qemu/guest-image.js";
import { QmpClient, QmpError } from "../../src/migration/qemu/qmp-client.js";

describe("libvirt output parsing", () => {
  it("domstats --raw: state, memory in MiB, vCPUs per domain", () => {
    const text = `Domain: 'web-1'
  state.state=1
  state.reason=2
  balloon.current=131072
  balloon.maximum=131072
  vcpu.current=2
  vcpu.maximum=2

Domain: 'db 2'
  state.state=5
  state.reason=0
  balloon.maximum=4194304
  vcpu.current=4
`;
    expect(parseDomstats(text)).toEqual([
      { name: "web-1", state: 1, memoryMiB: 128, vcpus: 2 },
      { name: "db 2", state: 5, memoryMiB: 4096, vcpus: 4 },
    ]);
  });

  it("domjobinfo --rawstats and nodeinfo: key: value lines", () => {
    const job = parseColonLines("Job type: 2\n\noperation: 5\ndata_processed: 11750004\ndata_remaining: 121073664\n");
    expect(Number(job.get("data_processed"))).toBe(11_750_004);
    expect(job.get("Job type")).toBe("2");
    const node = parseColonLines("CPU(s):              2\nMemory size:         5990176 KiB\n");
    expect(node.get("CPU(s)")).toBe("2");
    expect(Number.parseInt(node.get("Memory size") ?? "", 10)).toBe(5_990_176);
  });
});

describe("guest image", () => {
  it("is a valid multiboot a.out-kludge image whose header checksums to zero", () => {
    for (const mode of ["fill", "dirty"] as const) {
      const img = buildGuestImage({ regionMiB: 48, mode });
      let sum = 0;
      for (let i = 0; i < 12; i += 4) sum = (sum + img.readUInt32LE(i)) >>> 0;
      expect(img.readUInt32LE(0)).toBe(0x1badb002);
      expect(sum).toBe(0);
      expect(img.readUInt32LE(28)).toBe(0x100000 + 32); // entry right after the header
      expect(img.readUInt32LE(32 + 8)).toBe((48 * 1024 * 1024) / 4096); // pages to touch
    }
    expect(() => buildGuestImage({ regionMiB: 0, mode: "fill" })).toThrow(/at least one page/);
  });
});

describe("qmp client - against a scripted QMP socket", () => {
  const dir = mkdtempSync(join(tmpdir(), "presage-qmp-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A fake QEMU: greets, answers capabilities, then runs `script` for each later command. */
  function fakeQemu(path: string, script: (cmd: string, sock: net.Socket) => void) {
    const server = net.createServer((sock) => {
      sock.write('{"QMP": {"version": {}, "capabilities": []}}\r\n');
      let buf = "";
      sock.on("data", (d) => {
        buf += d.toString();
        for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
          const msg = JSON.parse(buf.slice(0, i));
          buf = buf.slice(i + 1);
          if (msg.execute === "qmp_capabilities") sock.write('{"return": {}}\r\n');
          else script(msg.execute, sock);
        }
      });
    });
    return new Promise<net.Server>((r) => server.listen(path, () => r(server)));
  }

  it("returns replies in order, routes interleaved events, maps errors to QmpError", async () => {
    const path = join(dir, "a.qmp");
    const server = await fakeQemu(path, (cmd, sock) => {
      if (cmd === "query-status") {
        sock.write('{"event": "STOP", "data": {}}\r\n{"return": {"status": "running"}}\r\n');
      } else sock.write(`{"error": {"class": "CommandNotFound", "desc": "The command ${cmd} has not been found"}}\r\n`);
    });
    try {
      const q = await QmpClient.connect({ path });
      const events: string[] = [];
      q.onEvent((e) => events.push(e.event));
      expect(await q.execute("query-status")).toEqual({ status: "running" });
      const err = await q.execute("nope").catch((e) => e);
      expect(err).toBeInstanceOf(QmpError);
      expect((err as QmpError).qmpClass).toBe("CommandNotFound");
      expect(events).toEqual(["STOP"]);
      q.close();
    } finally {
      server.close();
    }
  });

  it("a command without a reply times out, and a closed socket rejects what is pending", async () => {
    const path = join(dir, "b.qmp");
    const server = await fakeQemu(path, (cmd, sock) => {
      if (cmd === "die") sock.destroy();
      // "hang": never answer
    });
    try {
      const q = await QmpClient.connect({ path });
      const t0 = Date.now();
      const hang = await q.execute("hang", undefined, 300).catch((e) => e);
      expect((hang as QmpError).qmpClass).toBe("Timeout");
      expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
      await q.closed; // a lost reply poisons the stream, so the client drops the connection
      expect(q.isClosed).toBe(true);
      const q2 = await QmpClient.connect({ path });
      const died = await q2.execute("die").catch((e) => e);
      expect((died as QmpError).qmpClass).toBe("Closed");
    } finally {
      server.close();
    }
  });

  it("connect retries until the socket appears", async () => {
    const path = join(dir, "late.qmp");
    const pending = QmpClient.connect({ path }, { retry: true, timeoutMs: 5_000 });
    await new Promise((r) => setTimeout(r, 300));
    const server = await fakeQemu(path, () => {});
    try {
      const q = await pending;
      expect(q.isClosed).toBe(false);
      q.close();
    } finally {
      server.close();
    }
  });
});
