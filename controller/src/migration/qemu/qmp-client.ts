/**
 * Minimal QMP client: newline-delimited JSON over a unix socket (or TCP for a remote QEMU). Replies come
 * back in order; events are interleaved and go to listeners. Every command has a timeout, and a closed
 * socket rejects whatever is pending, so a QEMU that dies never hangs the engine.
 */
import net from "node:net";
import { PresageError } from "@presage/shared";

export class QmpError extends PresageError {
  /** QMP error class, e.g. GenericError, CommandNotFound; "Closed" / "Timeout" for transport failures */
  readonly qmpClass: string;
  constructor(qmpClass: string, message: string) {
    super("qmp", message);
    this.name = "QmpError";
    this.qmpClass = qmpClass;
  }
}

export type QmpEvent = { event: string; data?: Record<string, unknown>; timestamp?: unknown };

export type QmpAddress = { path: string } | { host: string; port: number };

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

export class QmpClient {
  #sock: net.Socket;
  #buf = "";
  #pending: Pending[] = [];
  #listeners = new Set<(e: QmpEvent) => void>();
  #closed = false;
  readonly closed: Promise<void>;
  #onClosed!: () => void;

  private constructor(sock: net.Socket) {
    this.#sock = sock;
    this.closed = new Promise((r) => {
      this.#onClosed = r;
    });
  }

  /** Connect and negotiate capabilities, retrying while the socket does not exist yet. */
  static async connect(addr: QmpAddress, o: { timeoutMs?: number; retry?: boolean } = {}): Promise<QmpClient> {
    const timeoutMs = o.timeoutMs ?? 5_000;
    const t0 = Date.now();
    for (;;) {
      try {
        return await QmpClient.#open(addr, Math.max(500, timeoutMs - (Date.now() - t0)));
      } catch (e) {
        if (!o.retry || Date.now() - t0 > timeoutMs) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  static #open(addr: QmpAddress, timeoutMs: number): Promise<QmpClient> {
    return new Promise((resolve, reject) => {
      const sock = "path" in addr ? net.createConnection(addr.path) : net.createConnection(addr.port, addr.host);
      const c = new QmpClient(sock);
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new QmpError("Timeout", `no QMP greeting from ${describe(addr)} in ${timeoutMs} ms`));
      }, timeoutMs);
      sock.once("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
      sock.on("close", () => c.#teardown());
      sock.setEncoding("utf8");
      let greeted = false;
      sock.on("data", (d: string) => {
        c.#buf += d;
        let i = c.#buf.indexOf("\n");
        while (i >= 0) {
          const line = c.#buf.slice(0, i).trim();
          c.#buf = c.#buf.slice(i + 1);
          i = c.#buf.indexOf("\n");
          if (!line) continue;
          let msg: Record<string, unknown>;
          try {
            msg = JSON.parse(line);
          } catch {
            continue; // QEMU only writes JSON here; ignore anything else rather than crash
          }
          if (!greeted && "QMP" in msg) {
            greeted = true;
            c.execute("qmp_capabilities").then(
              () => {
                clearTimeout(timer);
                sock.removeAllListeners("error");
                sock.on("error", () => {}); // 'close' follows and rejects what is pending
                resolve(c);
              },
              (e) => {
                clearTimeout(timer);
                reject(e);
              },
            );
          } else c.#dispatch(msg);
        }
      });
    });
  }

  #dispatch(msg: Record<string, unknown>): void {
    if (typeof msg.event === "string") {
      for (const l of this.#listeners) l(msg as QmpEvent);
      return;
    }
    const p = this.#pending.shift();
    if (!p) return;
    clearTimeout(p.timer);
    const err = msg.error as { class?: string; desc?: string } | undefined;
    if (err) p.reject(new QmpError(err.class ?? "GenericError", err.desc ?? "QMP error"));
    else p.resolve(msg.return);
  }

  #teardown(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const p of this.#pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(new QmpError("Closed", "QMP connection closed (QEMU exited?)"));
    }
    this.#onClosed();
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  execute<T = unknown>(command: string, args?: Record<string, unknown>, timeoutMs = 10_000): Promise<T> {
    if (this.#closed) return Promise.reject(new QmpError("Closed", "QMP connection closed (QEMU exited?)"));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        // replies are positional: after a lost reply the stream cannot be trusted, so drop the connection
        reject(new QmpError("Timeout", `QMP ${command} got no reply in ${timeoutMs} ms`));
        this.#sock.destroy();
      }, timeoutMs);
      this.#pending.push({ resolve: resolve as (v: unknown) => void, reject, timer });
      this.#sock.write(`${JSON.stringify(args ? { execute: command, arguments: args } : { execute: command })}\n`);
    });
  }

  onEvent(fn: (e: QmpEvent) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  close(): void {
    this.#sock.end();
    this.#sock.destroy();
    this.#teardown();
  }
}

function describe(a: QmpAddress): string {
  return "path" in a ? a.path : `${a.host}:${a.port}`;
}
