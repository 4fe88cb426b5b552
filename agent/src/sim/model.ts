/** A simulated server: physics in, BMC-shaped readings out. Used by the simulated source and the trace generator. */
import type { Reading } from "@presage/shared";

export interface HostModel {
  readonly host: string;
  /** readings as the BMC would report them at time ts (quantized, with vendor names/units) */
  sample(ts: number): Reading[];
}
