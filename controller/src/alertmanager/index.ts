export { AlertmanagerClient, AlertmanagerError } from "./client.js";
export * from "./plan.js";
export { runAlertmanagerSync, syncOnce } from "./sync.js";
