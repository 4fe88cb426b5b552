/** A small seeded PRNG (mulberry32): the simulator and fleet generator must be reproducible under a seed. */
export type Random = () => number;

export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Pick from weighted choices with one draw. */
export function pickWeighted<T>(rnd: Random, choices: readonly (readonly [T, number])[]): T {
  let total = 0;
  for (const [, w] of choices) total += w;
  let x = rnd() * total;
  for (const [v, w] of choices) {
    x -= w;
    if (x < 0) return v;
  }
  return (choices[choices.length - 1] as readonly [T, number])[0];
}
