/** Serve a Metrics registry at /metrics for Prometheus (deploy/prometheus scrapes agents and the controller). */
import { createServer, type Server } from "node:http";
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
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host ?? "127.0.0.1", () => resolve(server));
  });
}
