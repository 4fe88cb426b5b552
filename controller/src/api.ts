/**
 * What the operator surface (ops service, CLI) can ask of the controller. The controller
 * implements it; the NATS service in ops/ maps each endpoint to one method. Methods throw
 * OpsError (shared/errors.ts) with a code the CLI turns into an exit code.
 * `actor` is who asks: the NATS user of the request, else the name the client declared.
 */
import type { OpsReplies } from "@presage/shared";

type Req<E extends string> = E extends keyof OpsReplies ? Record<string, unknown> : never;

export interface ControllerApi {
  hosts(req: { state?: string }): Promise<OpsReplies["hosts"]>;
  host(req: { host: string; readings?: number }): Promise<OpsReplies["host"]>;
  events(req: {
    host?: string;
    severity?: string;
    unacked?: boolean;
    open?: boolean;
    limit?: number;
  }): Promise<OpsReplies["events"]>;
  ack(req: { target: string; note?: string }, actor: string): Promise<OpsReplies["ack"]>;
  repaired(req: { host: string; note?: string; force?: boolean }, actor: string): Promise<OpsReplies["repaired"]>;
  maintenanceEnter(
    req: { hosts: string[]; reason?: string; deadline?: number | null; at?: number | null; dryRun?: boolean },
    actor: string,
  ): Promise<OpsReplies["maintenance-enter"]>;
  maintenanceExit(req: { hosts: string[]; note?: string }, actor: string): Promise<OpsReplies["maintenance-exit"]>;
  migrations(req: { active?: boolean; host?: string; limit?: number }): Promise<OpsReplies["migrations"]>;
  plans(req: Req<"plans">): Promise<OpsReplies["plans"]>;
  planApprove(req: { id: string; note?: string }, actor: string): Promise<OpsReplies["plan-approve"]>;
  planReject(req: { id: string; note?: string }, actor: string): Promise<OpsReplies["plan-reject"]>;
  rebalance(
    req: { dryRun?: boolean; aggressiveness?: number; maxMoves?: number },
    actor: string,
  ): Promise<OpsReplies["rebalance"]>;
  status(req: Req<"status">): Promise<OpsReplies["status"]>;
}
