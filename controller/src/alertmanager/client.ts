/** The three Alertmanager v2 API calls Presage makes, each bounded by a timeout. */
import type { AmAlert, AmSilence } from "./plan.js";

export class AlertmanagerError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "AlertmanagerError";
  }
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString().replace(/\/+$/, "");
  } catch {
    return "(unparsable URL)";
  }
}

export class AlertmanagerClient {
  readonly #base: string;
  readonly #auth: Record<string, string> = {};
  /** url may carry basic-auth credentials (`http://user:pass@am:9093`): they go in a header, not the request URL */
  constructor(
    url: string,
    readonly timeoutMs: number,
  ) {
    const u = new URL(url);
    if (u.username)
      this.#auth.authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString("base64")}`;
    u.username = "";
    u.password = "";
    this.#base = u.toString().replace(/\/+$/, "");
  }

  async #call(method: string, path: string, body?: unknown): Promise<unknown> {
    const where = `${method} ${redactUrl(this.#base)}${path}`;
    let res: Response;
    try {
      res = await fetch(`${this.#base}${path}`, {
        method,
        headers: body === undefined ? this.#auth : { ...this.#auth, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      throw new AlertmanagerError(`${where}: ${(e as Error).message}`, { cause: e });
    }
    const text = await res.text();
    if (!res.ok) throw new AlertmanagerError(`${where}: HTTP ${res.status} ${text.slice(0, 200)}`);
    try {
      return text ? JSON.parse(text) : null;
    } catch (e) {
      throw new AlertmanagerError(`${where}: the reply is not JSON`, { cause: e });
    }
  }

  async pushAlerts(alerts: AmAlert[]): Promise<void> {
    if (alerts.length) await this.#call("POST", "/api/v2/alerts", alerts);
  }

  async silences(): Promise<AmSilence[]> {
    const got = await this.#call("GET", "/api/v2/silences");
    if (!Array.isArray(got)) throw new AlertmanagerError("GET /api/v2/silences: the reply is not a list");
    // keep only well-formed entries: a proxy or another version must not feed garbage into acks
    return got.filter(
      (s): s is AmSilence =>
        !!s &&
        typeof s === "object" &&
        Array.isArray((s as AmSilence).matchers) &&
        typeof (s as AmSilence).createdBy === "string" &&
        typeof (s as AmSilence).comment === "string",
    );
  }

  async expireSilence(id: string): Promise<void> {
    await this.#call("DELETE", `/api/v2/silence/${encodeURIComponent(id)}`);
  }

  async createSilence(s: AmSilence): Promise<string> {
    const got = (await this.#call("POST", "/api/v2/silences", s)) as { silenceID?: unknown } | null;
    return typeof got?.silenceID === "string" ? got.silenceID : "";
  }
}
