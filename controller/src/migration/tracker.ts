/**
 * One migration's observable state, shared by every engine: the latest progress, listeners, and a
 * `done` promise that settles exactly once with the terminal progress. Engines drive it with
 * `update`; callers get handles (several may watch the same migration after `attach`).
 */
import type { MigrationHandle, MigrationPhase, MigrationProgress } from "./engine.js";

export type ProgressListener = (p: MigrationProgress) => void;

const TERMINAL: ReadonlySet<MigrationPhase> = new Set(["completed", "failed", "cancelled"]);

export function isTerminal(phase: MigrationPhase): boolean {
  return TERMINAL.has(phase);
}

export class MigrationTracker {
  readonly migrationId: string;
  readonly done: Promise<MigrationProgress>;
  #last: MigrationProgress;
  #listeners = new Set<ProgressListener>();
  #resolve!: (p: MigrationProgress) => void;
  #cancel: () => Promise<void>;

  constructor(initial: MigrationProgress, cancel: () => Promise<void>) {
    this.migrationId = initial.migrationId;
    this.#last = initial;
    this.#cancel = cancel;
    this.done = new Promise((r) => {
      this.#resolve = r;
    });
    if (isTerminal(initial.phase)) this.#resolve(initial);
  }

  get last(): MigrationProgress {
    return this.#last;
  }

  get finished(): boolean {
    return isTerminal(this.#last.phase);
  }

  /** Record new progress; a terminal phase settles `done` and later updates are ignored. */
  update(p: MigrationProgress): void {
    if (this.finished) return;
    this.#last = p;
    for (const l of this.#listeners) {
      try {
        l(p);
      } catch {
        // a watcher's bug must not stop the migration's bookkeeping
      }
    }
    if (isTerminal(p.phase)) {
      this.#listeners.clear();
      this.#resolve(p);
    }
  }

  /** A handle for one caller; its listener is called for every later update. */
  handle(onProgress?: ProgressListener): MigrationHandle {
    if (onProgress && !this.finished) this.#listeners.add(onProgress);
    return {
      migrationId: this.migrationId,
      done: this.done,
      cancel: () => this.#cancel(),
      current: () => this.#last,
    };
  }
}
