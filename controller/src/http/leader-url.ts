/**
 * Where each replica's dashboard listens, in the presage-control bucket (`dashboard.<replica>`), so a
 * follower can send an operator to the leader's page.
 */
import type { KV } from "@nats-io/kv";
import type { Logger, NatsConnection } from "@presage/shared";
import { openControlBucket } from "../store/index.js";

const key = (replica: string) => `dashboard.${replica}`;
const KEY_OK = /^[-\w]+$/;

export class DashboardDirectory {
  #kv: KV | null = null;

  constructor(
    readonly nc: NatsConnection,
    readonly log: Logger,
  ) {}

  async #bucket(): Promise<KV> {
    this.#kv ??= await openControlBucket(this.nc);
    return this.#kv;
  }

  /** Record this replica's URL (best effort: a follower without it still says who leads). */
  async advertise(replica: string, url: string): Promise<void> {
    if (!KEY_OK.test(replica)) return;
    try {
      await (await this.#bucket()).put(key(replica), url);
    } catch (e) {
      this.log.warn({ err: String(e) }, "could not record the dashboard URL in presage-control");
    }
  }

  async urlOf(replica: string): Promise<string | null> {
    if (!KEY_OK.test(replica)) return null;
    try {
      const e = await (await this.#bucket()).get(key(replica));
      return e?.operation === "PUT" ? e.string() : null;
    } catch {
      return null;
    }
  }
}
