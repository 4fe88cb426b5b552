/** pino setup shared by every process: structured JSON on stderr so stdout stays clean for data and tables. */
import { destination, type Logger, type LoggerOptions, pino } from "pino";

export type { Logger };

export function createLogger(name: string, opts: { level?: string; destination?: number | string } = {}): Logger {
  const level = opts.level ?? process.env.PRESAGE_LOG_LEVEL ?? "info";
  const options: LoggerOptions = { name, level, base: { name, pid: process.pid } };
  return pino(options, destination({ dest: opts.destination ?? 2, sync: true }));
}

/** A logger that drops everything, for tests and library callers that pass none. */
export const silentLogger: Logger = pino({ level: "silent" });
