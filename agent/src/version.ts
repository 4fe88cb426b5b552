/** The agent version reported in heartbeats and by `presage-agent --version`. */
export const AGENT_VERSION = "0.1.0";
