/** Seeded randomness so every trace is reproducible from (seed, host). */
import { seededRandom } from "@presage/shared";

export type Rng = {
  next(): number;
  normal(): number;
  int(lo: number, hi: number): number;
  pick<T>(a: readonly T[]): T;
};

/** Uniform draws from the shared mulberry32, plus normals (Box-Muller) for sensor noise. */
export function createRng(seed: number): Rng {
  const next = seededRandom(seed);
  let spare: number | null = null;
  return {
    next,
    normal() {
      if (spare !== null) {
        const v = spare;
        spare = null;
        return v;
      }
      const u = Math.max(next(), 1e-12);
      const r = Math.sqrt(-2 * Math.log(u));
      const a = 2 * Math.PI * next();
      spare = r * Math.sin(a);
      return r * Math.cos(a);
    },
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (a) => a[Math.floor(next() * a.length)] as (typeof a)[number],
  };
}

/** Stable 32-bit hash of a string, to derive per-host seeds. */
export function hashSeed(...parts: (string | number)[]): number {
  let h = 2_166_136_261;
  for (const ch of parts.join("\u0000")) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 16_777_619);
  }
  return h >>> 0;
}
