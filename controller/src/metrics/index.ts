export { CONTROLLER_FAMILIES, controllerMetrics } from "./families.js";
export { registerStateMetrics } from "./state.js";
