/**
 * The CLI's NATS edge: connect with helpful errors, and make one operator request whose reply
 * becomes data or a CliError with the right exit code.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import {
  connectNats,
  type ErrorCode,
  type NatsSettings,
  type OpsEndpoint,
  type OpsReplies,
  subjects,
} from "@presage/shared";
import { CliError, Exit, exitForCode } from "./exit.js";

export async function connectCli(s: NatsSettings): Promise<NatsConnection> {
  try {
    return await connectNats(s);
  } catch (e) {
    const msg = (e as Error).message;
    const name = (e as Error).name;
    if (/authorization|authentication/i.test(msg) || name === "AuthorizationError")
      throw new CliError(
        Exit.Unreachable,
        `NATS at ${s.url} refused the credentials (${msg}): check --user/--password, --creds or the context file`,
      );
    if (/tls|certificate|ssl/i.test(msg))
      throw new CliError(
        Exit.Unreachable,
        `TLS handshake with ${s.url} failed (${msg}): check --tls-ca/--tls-cert/--tls-key`,
      );
    throw new CliError(
      Exit.Unreachable,
      `cannot connect to NATS at ${s.url} (${msg}): is nats-server running? (--server or NATS_URL)`,
    );
  }
}

export type RequestContext = { nc: NatsConnection; url: string; timeoutMs: number };

type Reply = { ok: true } | { ok: false; error: { code: ErrorCode; message: string } };

export async function opsRequest<E extends OpsEndpoint>(
  ctx: RequestContext,
  endpoint: E,
  req: Record<string, unknown>,
): Promise<OpsReplies[E]> {
  let text: string;
  try {
    const send = () => ctx.nc.request(subjects.ops(endpoint), JSON.stringify(req), { timeout: ctx.timeoutMs });
    // one retry on a timeout: a leader that froze answers nothing until its lease passes to a follower
    const m = await send().catch((e: Error) => (/timeout/i.test(e.message) ? send() : Promise.reject(e)));
    text = m.string();
  } catch (e) {
    const msg = (e as Error).message;
    if (/no responders/i.test(msg))
      throw new CliError(Exit.Unreachable, `no controller answered on ${ctx.url}: is presage-controller running?`);
    if (/permission/i.test(msg))
      throw new CliError(
        Exit.Refused,
        `NATS refused the request (${msg}): this user may not call presage.v1.ops.${endpoint}`,
      );
    if (/timeout/i.test(msg))
      throw new CliError(
        Exit.Unreachable,
        `the controller did not answer ${endpoint} within ${ctx.timeoutMs} ms (twice) on ${ctx.url} (--timeout to wait longer)`,
      );
    throw new CliError(Exit.Unreachable, `request ${endpoint} failed on ${ctx.url}: ${msg}`);
  }
  let reply: Reply;
  try {
    reply = JSON.parse(text) as Reply;
  } catch {
    throw new CliError(Exit.Refused, `the controller sent a reply that is not JSON: ${text.slice(0, 200)}`);
  }
  if (reply.ok === false) throw new CliError(exitForCode(reply.error.code), reply.error.message, reply.error.code);
  const { ok: _ok, ...data } = reply as Record<string, unknown>;
  return data as OpsReplies[E];
}
