export { registerDetectorMetrics } from "./detector.js";
export { AGENT_FAMILIES, agentMetrics } from "./families.js";
export { SensorBook, type SourceView, stateNumber } from "./ipmi.js";
