/**
 * A small deterministic uniform generator in [0, 1) (mulberry32): the same seed gives the same
 * draws everywhere, in Node and in the browser. For subsampling and test noise; the scene
 * generator has its own (src/synth/random.ts), whose streams must never change.
 */
export function seededUniform(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
