/**
 * Rotations written as quaternions w + xi + yj + zk (Hamilton's convention, as COLMAP and Eigen
 * write them: a vector v turns to q v q*).
 */

/**
 * The row-major 3x3 rotation of quaternion (w, x, y, z), normalised first (files store a few
 * digits); null when the quaternion has no direction (zero, or not finite).
 */
export function rotationFromQuaternion(w: number, x: number, y: number, z: number): Float64Array | null {
  const norm = Math.hypot(w, x, y, z);
  if (!(norm > 0) || !Number.isFinite(norm)) return null;
  const [a, b, c, d] = [w / norm, x / norm, y / norm, z / norm];
  return Float64Array.of(
    1 - 2 * (c * c + d * d),
    2 * (b * c - a * d),
    2 * (b * d + a * c),
    2 * (b * c + a * d),
    1 - 2 * (b * b + d * d),
    2 * (c * d - a * b),
    2 * (b * d - a * c),
    2 * (c * d + a * b),
    1 - 2 * (b * b + c * c),
  );
}
