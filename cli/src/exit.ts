/**
 * Exit codes scripts can trust (documented in docs/cli.md), and the one error type the CLI
 * throws to end a command with a message and a code.
 */
import type { ErrorCode } from "@presage/shared";

export const Exit = {
  Ok: 0,
  /** the controller refused the operation (forbidden transition, brake engaged, ...) or failed */
  Refused: 1,
  /** bad command line or a request the controller rejected as malformed */
  Usage: 2,
  /** NATS or the controller could not be reached */
  Unreachable: 3,
  /** the host, event or plan does not exist */
  NotFound: 4,
} as const;
export type Exit = (typeof Exit)[keyof typeof Exit];

export class CliError extends Error {
  readonly exitCode: Exit;
  /** the controller's error code when the controller answered */
  readonly code: ErrorCode | null;
  constructor(exitCode: Exit, message: string, code: ErrorCode | null = null) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
    this.code = code;
  }
}

export const usageError = (message: string) => new CliError(Exit.Usage, message);

export function exitForCode(code: ErrorCode): Exit {
  switch (code) {
    case "bad_request":
      return Exit.Usage;
    case "unknown_host":
    case "unknown_event":
    case "unknown_plan":
      return Exit.NotFound;
    case "not_leader":
      return Exit.Unreachable;
    default:
      return Exit.Refused;
  }
}
