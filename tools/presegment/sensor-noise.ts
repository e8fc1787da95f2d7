/**
 * Exact depth spoilt the way a structured-light camera spoils it, so that the sensor path can be
 * scored on a generated room, whose labels are exact, not box-derived: Gaussian noise of
 * `noiseAtOneMetre` growing with z², depth rounded to whole millimetres, and dropouts of 1-12
 * pixels (0.2% of the pixels start one). No shadow bands: where they fall depends on the
 * projector's offset, which generated rooms do not model.
 */

/** A deterministic uniform generator in [0, 1) (mulberry32): the same frame gets the same noise. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A noisy copy of `depth` (metres, 0 = missing). */
export function withSensorNoise(depth: Float32Array, width: number, noiseAtOneMetre: number, seed: number): Float32Array {
  const rand = random(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const out = new Float32Array(depth.length);
  for (let p = 0; p < depth.length; p++) {
    const z = depth[p]!;
    if (z > 0 && z < Infinity) out[p] = Math.max(0, Math.round((z + noiseAtOneMetre * z * z * gauss()) * 1000) / 1000);
  }
  const steps = [1, -1, width, -width];
  for (let hole = Math.round(0.002 * depth.length); hole > 0; hole--) {
    let p = Math.floor(rand() * depth.length);
    for (let k = 1 + Math.floor(rand() * 12); k > 0; k--) {
      out[p] = 0;
      const next = p + steps[Math.floor(rand() * 4)]!;
      if (next >= 0 && next < depth.length) p = next;
    }
  }
  return out;
}
