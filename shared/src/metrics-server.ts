/**
 * Serve a Metrics registry at /metrics for Prometheus (config key `metrics.listen`, "HOST:PORT"; port 0 = any
 * free port). A query string is ignored (`/metrics?x=1` is `/metrics`); anything else is a 404 naming the path.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import Type from "typebox";
import { ConfigError, PresageError } from "./errors.js";
import { PORT_UNAVAILABLE } from "./fatal.js";
import type { Metrics } from "./metrics.js";
import { refine } from "./schema.js";

const LISTEN = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):([0-9]{1,5})$/;
const listenError = (v: unknown) =>
  `"${String(v)}" is not HOST:PORT (e.g. "127.0.0.1:9290", "[::]:9290"; port 0 = any free port)`;

/** "HOST:PORT" or "[IPv6]:PORT", as config keys `metrics.listen` and `http.listen` take it. */
export function parseListen(listen: string, key = "metrics.listen"): { host: string; port: number } {
  const m = LISTEN.exec(listen);
  if (!m || Number(m[3]) > 65_535) throw new ConfigError(`${key}: ${listenError(listen)}`);
  return { host: (m[1] ?? m[2]) as string, port: Number(m[3]) };
}

/** A config key holding "HOST:PORT", or null for off. */
export const ListenOrNull = () =>
  Type.Union([
    refine(
      Type.String(),
      (v) => {
        const m = LISTEN.exec(v);
        return !!m && Number(m[3]) <= 65_535;
      },
      (v, p) => `${p}: ${listenError(v)}`,
    ),
    Type.Null(),
  ]);

export type MetricsServer = {
  /** the address actually bound, "HOST:PORT" (the chosen port when the config said 0) */
  address: string;
  close(): Promise<void>;
};

export function serveMetrics(metrics: Metrics, listen: string): Promise<MetricsServer> {
  const { host, port } = parseListen(listen);
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/metrics" || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, { "content-type": "text/plain" }).end(`no ${req.method} ${path} here; try GET /metrics\n`);
      return;
    }
    metrics.render().then(
      (text) =>
        res.writeHead(200, { "content-type": metrics.contentType }).end(req.method === "HEAD" ? undefined : text),
      (e: Error) => res.writeHead(500, { "content-type": "text/plain" }).end(`metrics failed: ${e.message}\n`),
    );
  });
  return listenOn(server, host, port, listen);
}

function listenOn(server: Server, host: string, port: number, listen: string): Promise<MetricsServer> {
  return new Promise((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) => {
      // the errors a person can fix by picking another address or stopping the other process
      const why =
        e.code === "EADDRINUSE"
          ? `metrics address ${listen} is already in use (another process holds it): set another metrics.listen, or stop that process`
          : e.code === "EACCES"
            ? `not permitted to listen on metrics address ${listen}: use a port above 1023 in metrics.listen`
            : e.code === "EADDRNOTAVAIL" || e.code === "ENOTFOUND"
              ? `metrics.listen ${listen}: no such local address on this machine`
              : null;
      reject(why ? new PresageError(PORT_UNAVAILABLE, why, { cause: e }) : e);
    });
    server.listen(port, host, () => {
      const a = server.address() as AddressInfo;
      const address = a.family === "IPv6" ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
      resolve({
        address,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            // a scraper's keep-alive connection must not hold a stopping daemon open
            server.closeAllConnections();
          }),
      });
    });
  });
}
