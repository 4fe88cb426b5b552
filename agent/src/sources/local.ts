/**
 * The machine the agent runs on, through `systeminformation` (lm-sensors/hwmon on Linux): CPU
 * package and core temperatures, chipset temperature and CPU utilisation. A value the OS does not
 * expose is reported as null, never 0.
 */
import type { Reading } from "@presage/shared";
import si from "systeminformation";
import type { SensorSource } from "./source.js";

export type LocalOptions = { host: string; now: () => number };

const valid = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) && v > -100 ? v : null);

export function localSource(o: LocalOptions): SensorSource {
  return {
    name: "local",
    host: o.host,
    async poll(signal): Promise<Reading[]> {
      const [temp, load] = await Promise.race([
        Promise.all([si.cpuTemperature(), si.currentLoad()]),
        new Promise<never>((_, reject) =>
          signal.addEventListener("abort", () => reject(signal.reason), { once: true }),
        ),
      ]);
      const ts = o.now();
      const r = (sensor: string, type: Reading["type"], unit: string, value: number | null): Reading => ({
        ts,
        host: o.host,
        sensor,
        type,
        unit,
        value,
      });
      const out = [
        r("CPU Temp", "temperature", "C", valid(temp.main)),
        r("CPU Utilization", "utilization", "%", valid(load.currentLoad)),
      ];
      if (valid(temp.chipset) !== null) out.push(r("Chipset Temp", "temperature", "C", valid(temp.chipset)));
      temp.cores.forEach((c, i) => {
        out.push(r(`Core ${i} Temp`, "temperature", "C", valid(c)));
      });
      return out;
    },
  };
}
