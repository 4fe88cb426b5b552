/** The controller package's public entry: build a controller, its config and the pure planning core. */
export type { ControllerApi } from "./api.js";
export { readAuditTrail } from "./audit.js";
export { applyBrake, type BrakeStatus, brakeLimit } from "./brake.js";
export {
  type ControllerConfig,
  controllerConfig,
  defaultControllerConfig,
  loadControllerConfig,
  PolicyMode,
  policyFor,
} from "./config.js";
export { type Controller, type ControllerOptions, createController } from "./controller.js";
export { hashToken } from "./http/auth.js";
export { type Dashboard, startDashboard } from "./http/server.js";
export { canTransition, nextState, Trigger } from "./lifecycle.js";
export { generateFleet, SimEngine } from "./migration/index.js";
export type { FleetView, Headroom, HostView } from "./model.js";
export { startOpsService } from "./ops/service.js";
export { planEvacuation, planReturn, startable } from "./placement/planner.js";
