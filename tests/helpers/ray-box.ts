/**
 * Where a ray first meets an axis-aligned box from corner lo to corner hi, seen from outside (the
 * slab method): the distance along d from o, or Infinity. For depth maps ray-cast in tests.
 */
export function rayBoxHit(o: ArrayLike<number>, d: ArrayLike<number>, lo: ArrayLike<number>, hi: ArrayLike<number>): number {
  let near = -Infinity;
  let far = Infinity;
  for (let a = 0; a < 3; a++) {
    const t0 = (lo[a]! - o[a]!) / d[a]!;
    const t1 = (hi[a]! - o[a]!) / d[a]!;
    near = Math.max(near, Math.min(t0, t1));
    far = Math.min(far, Math.max(t0, t1));
  }
  return near <= far && near > 1e-9 ? near : Infinity;
}
