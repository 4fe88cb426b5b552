/**
 * The one NATS set-up for tests: a private nats-server (random port, temp store) and a connection to it, started
 * before the file's (or describe block's) tests and stopped after them. Call it where `beforeAll` would go.
 */
import { afterAll, beforeAll } from "vitest";
import { connectNats, type NatsConnection } from "../bus.js";
import { type NatsServerHandle, type StartNatsOptions, startNatsServer } from "../nats-server.js";

export type NatsEnv = {
  /** the server (restart() it to simulate a crash) */
  readonly server: NatsServerHandle;
  /** a connection that reconnects forever */
  readonly nc: NatsConnection;
  readonly url: string;
};

export function natsEnv(opts: StartNatsOptions = {}): NatsEnv {
  let server: NatsServerHandle | undefined;
  let nc: NatsConnection | undefined;
  beforeAll(async () => {
    server = await startNatsServer(opts);
    nc = await connectNats({ url: server.url });
  }, 60_000);
  // registered first, so (hooks run as a stack) it stops last: after the tests' own clean-up that still uses NATS
  afterAll(async () => {
    await nc?.close().catch(() => {});
    await server?.stop();
  }, 60_000);
  const ready = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`natsEnv: ${what} is not up (used outside a test, or start failed)`);
    return v;
  };
  return {
    get server() {
      return ready(server, "nats-server");
    },
    get nc() {
      return ready(nc, "the connection");
    },
    get url() {
      return ready(server, "nats-server").url;
    },
  };
}
