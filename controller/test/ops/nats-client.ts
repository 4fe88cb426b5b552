/**
 * nats.js calls for tests outside the controller package (test/security), which cannot resolve
 * @nats-io/* from the repository root.
 */
import { Svcm } from "@nats-io/services";
import { headers, type NatsConnection } from "@nats-io/transport-node";

/** A request carrying a client-chosen header, for tests that a forged identity is not believed. */
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

/** Names and versions of the services that answer $SRV.PING. */
export async function pingServices(nc: NatsConnection): Promise<{ name: string; version: string }[]> {
  const client = new Svcm(nc as unknown as ConstructorParameters<typeof Svcm>[0]).client({ maxWait: 1_000 });
  const found = [];
  for await (const p of await client.ping()) found.push({ name: p.name, version: p.version });
  return found;
}
