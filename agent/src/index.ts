/** @presage/agent public entry: the live agent, its config, sources, parsers and the replay pipeline. */
export type {
  AgentConfig,
  FreeipmiSourceConfig,
  IpmitoolSourceConfig,
  LocalSourceConfig,
  RedfishSourceConfig,
  SimulatedSourceConfig,
  SourceConfig,
} from "./config.js";
export { AGENT_DEFAULTS, agentConfigCheck, loadAgentConfig } from "./config.js";
export type { Detector } from "./detect/detector.js";
export { createDetector } from "./detect/index.js";
export { runTool, ToolFailedError, ToolNotFoundError, ToolTimeoutError } from "./exec.js";
export { AGENT_FAMILIES, agentMetrics, SensorBook } from "./metrics/index.js";
export { FORMATS, type Format, isFormat, parsers } from "./parse/index.js";
export { nextDelayMs, SourcePoller } from "./poller.js";
export { runReplay } from "./replay.js";
export { clockFor, type RunningAgent, type StartAgentOptions, startAgent } from "./run.js";
export { buildSource, buildSources, type SensorSource, simulatedSource } from "./sources/index.js";
export { AGENT_VERSION } from "./version.js";
