/** Why a camera-to-world matrix cannot be a camera pose, or null when it can. */
import type { Mat4 } from '../math/camera-convention.ts';

/**
 * How far from the origin a camera may be, in the scan's units, on any axis. Earth-centred
 * coordinates are below 1e7 m (1e10 mm); farther is a lost or uninitialised pose, and the scene
 * bounds of such positions overflow when the scan is scaled into the unit cube.
 */
export const MAX_CAMERA_COORDINATE = 1e12;

export function poseProblem(m: ArrayLike<number>): string | null {
  if (m.length !== 16) return `has ${m.length} numbers, a 4x4 pose needs 16`;
  for (let i = 0; i < 16; i++) if (!Number.isFinite(m[i]!)) return 'is not finite (inf or NaN: the tracker lost this frame)';
  if (Math.abs(m[12]!) > 1e-6 || Math.abs(m[13]!) > 1e-6 || Math.abs(m[14]!) > 1e-6 || Math.abs(m[15]! - 1) > 1e-6) {
    return 'has a last row other than 0 0 0 1';
  }
  const far = [m[3]!, m[7]!, m[11]!].find((t) => Math.abs(t) > MAX_CAMERA_COORDINATE);
  if (far !== undefined) {
    return `has a translation of ${far}, beyond ±${MAX_CAMERA_COORDINATE.toExponential()} (a lost pose: no scan spans that far)`;
  }
  // R^T R must be the identity and det R = +1: a rotation, not a scale, shear or mirror.
  let worst = 0;
  for (let a = 0; a < 3; a++) {
    for (let b = 0; b < 3; b++) {
      let dot = 0;
      for (let k = 0; k < 3; k++) dot += m[k * 4 + a]! * m[k * 4 + b]!;
      worst = Math.max(worst, Math.abs(dot - (a === b ? 1 : 0)));
    }
  }
  if (worst > 1e-3) return `is not rigid (its rotation part is off orthonormal by ${worst.toPrecision(2)})`;
  const det = m[0]! * (m[5]! * m[10]! - m[6]! * m[9]!) - m[1]! * (m[4]! * m[10]! - m[6]! * m[8]!) + m[2]! * (m[4]! * m[9]! - m[5]! * m[8]!);
  if (det < 0) return 'is a reflection (determinant -1), not a rotation';
  return null;
}

export function toMat4(values: ArrayLike<number>): Mat4 {
  const m = new Float64Array(16);
  for (let i = 0; i < 16 && i < values.length; i++) m[i] = values[i]!;
  if (values.length === 12) m[15] = 1;
  return m;
}
