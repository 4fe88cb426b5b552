/** One server-sent-events client: named events, a keep-alive comment, and a bounded send buffer. */
import type { ServerResponse } from "node:http";

/** a client this far behind (a stalled browser tab) is dropped rather than buffered without bound */
const MAX_BUFFERED = 8 * 1_048_576;

export class SseClient {
  #closed = false;
  readonly #ping: NodeJS.Timeout;

  constructor(
    readonly res: ServerResponse,
    /** readings of this host only (host view); null: the fleet stream */
    readonly host: string | null,
    onClose: () => void,
  ) {
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    res.write("retry: 2000\n\n");
    this.#ping = setInterval(() => this.#write(": keep-alive\n\n"), 15_000);
    this.#ping.unref();
    res.on("close", () => {
      this.#closed = true;
      clearInterval(this.#ping);
      onClose();
    });
  }

  /** `data` is JSON text already (a feed message as received, or a serialised object). */
  send(event: string, data: string): void {
    this.#write(`event: ${event}\ndata: ${data}\n\n`);
  }

  #write(text: string): void {
    if (this.#closed) return;
    if (this.res.writableLength > MAX_BUFFERED) {
      this.res.destroy();
      return;
    }
    this.res.write(text);
  }

  close(): void {
    this.res.end();
  }
}
