/** One interface for every way the agent reads sensors. */
import type { Reading } from "@presage/shared";

export interface SensorSource {
  /** e.g. "ipmitool-lanplus:10.0.0.5" (no secrets) */
  readonly name: string;
  /** host the readings belong to */
  readonly host: string;
  /** read all sensors once; must honour the signal (kill child processes, abort HTTP) */
  poll(signal: AbortSignal): Promise<Reading[]>;
  close?(): Promise<void>;
}
