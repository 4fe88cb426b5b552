/**
 * What the operator surface (ops service, CLI) can ask of the controller. The controller
 * implements it; the NATS service in ops/ maps each endpoint to one method. Methods throw
 * OpsError (shared/errors.ts) with a code the CLI turns into an exit code.
 * `actor` is who asks: the NATS user of the request, else the name the client declared.
 * Request types are inferred from the shared request schemas (shared/src/ops.ts).
 */
import type { OpsReplies, OpsRequests } from "@presage/shared";

/** A request as a method sees it: validated, with the self-declared `by` already turned into `actor`. */
type Req<E extends keyof OpsRequests> = Omit<OpsRequests[E], "by">;

export interface ControllerApi {
  hosts(req: Req<"hosts">): Promise<OpsReplies["hosts"]>;
  host(req: Req<"host">): Promise<OpsReplies["host"]>;
  events(req: Req<"events">): Promise<OpsReplies["events"]>;
  ack(req: Req<"ack">, actor: string): Promise<OpsReplies["ack"]>;
  repaired(req: Req<"repaired">, actor: string): Promise<OpsReplies["repaired"]>;
  maintenanceEnter(req: Req<"maintenance-enter">, actor: string): Promise<OpsReplies["maintenance-enter"]>;
  maintenanceExit(req: Req<"maintenance-exit">, actor: string): Promise<OpsReplies["maintenance-exit"]>;
  migrations(req: Req<"migrations">): Promise<OpsReplies["migrations"]>;
  plans(req: Req<"plans">): Promise<OpsReplies["plans"]>;
  planApprove(req: Req<"plan-approve">, actor: string): Promise<OpsReplies["plan-approve"]>;
  planReject(req: Req<"plan-reject">, actor: string): Promise<OpsReplies["plan-reject"]>;
  rebalance(req: Req<"rebalance">, actor: string): Promise<OpsReplies["rebalance"]>;
  status(req: Req<"status">): Promise<OpsReplies["status"]>;
  audit(req: Req<"audit">): Promise<OpsReplies["audit"]>;
}
