/** The shapes the controller sends (shared/src/records.ts, ops.ts, messages.ts), as the page reads them. */
export type HostSummary = {
  host: string;
  state: string;
  since: number;
  reason: string;
  eventId?: string | null;
  lastHealth?: string;
  lost?: boolean;
  predictedFailureAt?: number | null;
  maintenance?: { reason: string; deadline: number | null; by: string } | null;
  vmCount: number;
  cpuCapacity: number;
  cpuUsed: number;
  memoryCapacityMiB: number;
  memoryUsedMiB: number;
  openAlerts: number;
  rack?: string | null;
  waiting?: string;
};

export type Status = {
  controller: string;
  leader: boolean;
  mode: string;
  hostsByState: Record<string, number>;
  vms: number;
  activeMigrations: number;
  brake: { engaged: boolean; inRemediation: number; limit: number; waiting: string[] };
  leaderName?: string | null;
};

export type Alert = {
  id: string;
  host: string;
  severity: string;
  component: string;
  sensor: string | null;
  reason: string;
  openedAt: number;
  lastEventAt: number;
  cleared: boolean;
  ack: { by: string; at: number; note: string } | null;
  escalations: number;
};

export type Migration = {
  id: string;
  vm: string;
  from: string;
  to: string;
  purpose: string;
  status: string;
  startedAt: number | null;
  finishedAt: number | null;
  progress: number;
  error?: string | null;
};

export type PlanMove = { vm: string; from: string; to: string };
export type Plan = {
  id: string;
  kind: string;
  host?: string | null;
  createdAt: number;
  status: string;
  reason: string;
  moves: PlanMove[];
  unplaced?: { vm: string; reason: string }[];
  details?: string[];
};

export type AuditRecord = {
  ts: number;
  action: string;
  host?: string;
  vm?: string;
  actor: string;
  detail: string;
  data?: Record<string, unknown>;
};

export type Reading = {
  ts: number;
  host: string;
  sensor: string;
  type: string;
  unit: string;
  value: number | null;
  status?: string;
  thresholds?: Record<string, number | null | undefined>;
};

export type SensorEvent = {
  id: string;
  ts: number;
  host: string;
  severity: string;
  kind: string;
  component: string;
  sensor: string | null;
  reason: string;
  predictedFailureAt: number | null;
  confidence: number | null;
};

export type Vm = { id: string; host: string; home: string; memoryMiB: number; vcpus: number };

export type HostDetail = {
  host: HostSummary;
  vms: Vm[];
  alerts: Alert[];
  health: { status: string; conditions: string[]; ts: number } | null;
  readings: Reading[];
  history: Record<string, (number | null)[]>;
  historyTs?: Record<string, number[]>;
  audit: AuditRecord[];
};

export type AlertFeed = { type: "alert" | "escalation"; alert: Alert } | { type: "plan"; plan: Plan };

export type ReadingBatchLike = { host: string; readings: Reading[] };
