/**
 * Migration records on disk, one JSON file per migration id, written atomically. They make ids
 * idempotent across controller restarts and let a new engine find migrations an old one started.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MigrationPhase } from "./engine.js";

export type BaseRecord = { migrationId: string; vm: string; from: string; to: string; phase: MigrationPhase };

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
