/** Serve a Metrics registry at /metrics for Prometheus (deploy/prometheus scrapes agents and the controller). */
import { createServer, type Server } from "node:http";
import { PresageError } from "./errors.js";
import { PORT_UNAVAILABLE } from "./fatal.js";
import type { Metrics } from "./metrics.js";

export function serveMetrics(metrics: Metrics, opts: { port: number; host?: string }): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === "/metrics") {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end(metrics.render());
    } else {
      res.writeHead(404).end("try /metrics\n");
    }
  });
  const where = `${opts.host ?? "127.0.0.1"}:${opts.port}`;
  return new Promise((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) => {
      // the errors a person can fix by picking another port or stopping the other process
      if (e.code === "EADDRINUSE")
        reject(
          new PresageError(
            PORT_UNAVAILABLE,
            `metrics port ${where} is already in use (another process holds it): set another metricsPort, or stop that process`,
            { cause: e },
          ),
        );
      else if (e.code === "EACCES")
        reject(
          new PresageError(
            PORT_UNAVAILABLE,
            `not permitted to listen on metrics port ${where}: use a port above 1023 for metricsPort`,
            { cause: e },
          ),
        );
      else reject(e);
    });
    server.listen(opts.port, opts.host ?? "127.0.0.1", () => resolve(server));
  });
}
