/** Error classes with a stable code so callers (and NATS service replies) can tell failures apart. */
export class PresageError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PresageError";
    this.code = code;
  }
}

export class ConfigError extends PresageError {
  constructor(message: string, options?: ErrorOptions) {
    super("config", message, options);
    this.name = "ConfigError";
  }
}

/** Codes the operator API returns; the CLI maps them to exit codes. */
export const ErrorCode = {
  BadRequest: "bad_request",
  UnknownHost: "unknown_host",
  UnknownEvent: "unknown_event",
  UnknownPlan: "unknown_plan",
  ForbiddenTransition: "forbidden_transition",
  BrakeEngaged: "brake_engaged",
  NoCapacity: "no_capacity",
  NotLeader: "not_leader",
  Conflict: "conflict",
  Internal: "internal",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class OpsError extends PresageError {
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.name = "OpsError";
  }
}
