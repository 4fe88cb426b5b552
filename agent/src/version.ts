import { PRESAGE_VERSION } from "@presage/shared";

/** The agent version reported in heartbeats and by `presage-agent --version`: the Presage release. */
export const AGENT_VERSION = PRESAGE_VERSION;
