/**
 * Exact depth spoilt the way a structured-light camera spoils it, so that the sensor path can be
 * scored on a generated room, whose labels are exact, not box-derived: Gaussian noise of
 * `noiseAtOneMetre` growing with z², depth rounded to whole millimetres, and dropouts of 1-12
 * pixels (0.2% of the pixels start one). No shadow bands: where they fall depends on the
 * projector's offset, which generated rooms do not model.
 */
import { seededUniform } from '../../src/math/seeded-uniform.ts';

/** A noisy copy of `depth` (metres, 0 = missing). */
export function withSensorNoise(depth: Float32Array, width: number, noiseAtOneMetre: number, seed: number): Float32Array {
  const rand = seededUniform(seed);
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
