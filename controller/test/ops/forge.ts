/** A request carrying a client-chosen header, for tests that a forged identity is not believed. */
import { headers, type NatsConnection } from "@nats-io/transport-node";

export async function requestWithHeader(
  nc: NatsConnection,
  subject: string,
  body: string,
  name: string,
  value: string,
) {
  const h = headers();
  h.set(name, value);
  return nc.request(subject, body, { timeout: 5_000, headers: h });
}
