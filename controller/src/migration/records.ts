/**
 * Migration records on disk, one JSON file per migration id, written atomically. They make ids
 * idempotent across controller restarts and let a new engine find migrations an old one started.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ErrorCode, OpsError } from "@presage/shared";
import type { MigrationPhase, MigrationProgress } from "./engine.js";
import { isTerminal, type MigrationTracker } from "./tracker.js";

export type BaseRecord = { migrationId: string; vm: string; from: string; to: string; phase: MigrationPhase };

/** What both real engines record of a migration (plus their own fields). */
export type TimedRecord = BaseRecord & {
  startedAt: number;
  deadlineAt: number | null;
  downtimeLimitMs: number;
  error?: string;
};

export function readJsonFile<T>(path: string): T | null {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch {
    return null;
  }
}

export function writeJsonFile(path: string, v: unknown): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(v));
  renameSync(tmp, path);
}

export class RecordStore<R extends BaseRecord> {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
  }

  path(id: string, ext = "json"): string {
    return join(this.dir, `${id}.${ext}`);
  }

  load(id: string): R | null {
    return readJsonFile<R>(this.path(id));
  }

  save(r: R): void {
    writeJsonFile(this.path(r.migrationId), r);
  }

  all(): R[] {
    const out: R[] = [];
    for (const f of readdirSync(this.dir)) {
      if (!f.endsWith(".json")) continue;
      const r = readJsonFile<R>(join(this.dir, f));
      if (r) out.push(r);
    }
    return out;
  }
}

/**
 * What every engine with on-disk records reports as active: each unfinished record, followed by a
 * tracker (an existing one, or `follow` re-attaches to a migration a previous process started).
 */
export function activeFromRecords<R extends BaseRecord>(
  records: RecordStore<R>,
  trackers: ReadonlyMap<string, MigrationTracker>,
  follow: (r: R) => MigrationTracker,
): MigrationProgress[] {
  const out: MigrationProgress[] = [];
  for (const r of records.all()) {
    if (isTerminal(r.phase)) continue;
    const t = trackers.get(r.migrationId) ?? follow(r);
    if (!t.finished) out.push(t.last);
  }
  return out;
}

/** Refuse to start a migration whose id was used before, or of a VM that is already migrating. */
export function assertNewMigration<R extends BaseRecord>(
  records: RecordStore<R>,
  trackers: ReadonlyMap<string, MigrationTracker>,
  migrationId: string,
  vmId: string,
): void {
  if (records.load(migrationId))
    throw new OpsError(ErrorCode.Conflict, `migration id ${migrationId} was already used; attach() to it`);
  for (const t of trackers.values())
    if (!t.finished && t.last.vm === vmId)
      throw new OpsError(ErrorCode.Conflict, `VM ${vmId} is already migrating (${t.migrationId})`);
}
