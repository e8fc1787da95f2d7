/**
 * Least-squares planes through 3D points, from their moments (count, sums of x, y, z and of their
 * pairwise products), so that a window's moments can come from integral images in constant time
 * and a hole's rim can be summed point by point. The plane is the one through the centroid whose
 * normal is the covariance's least eigenvector; its eigenvalue is the mean squared distance of
 * the points from the plane.
 */

/** Moments in this order: n, Σx, Σy, Σz, Σxx, Σxy, Σxz, Σyy, Σyz, Σzz. */
export const MOMENTS = 10;

export function addPointMoments(m: Float64Array, offset: number, x: number, y: number, z: number): void {
  m[offset]! += 1;
  m[offset + 1]! += x;
  m[offset + 2]! += y;
  m[offset + 3]! += z;
  m[offset + 4]! += x * x;
  m[offset + 5]! += x * y;
  m[offset + 6]! += x * z;
  m[offset + 7]! += y * y;
  m[offset + 8]! += y * z;
  m[offset + 9]! += z * z;
}

/** Plane written by fitPlane: unit normal (nx, ny, nz), centroid (cx, cy, cz), mean squared distance. */
export const PLANE_SIZE = 7;

/**
 * Fits the plane of moments m (MOMENTS values from `offset`) into out[0..PLANE_SIZE). False when
 * the points do not span a plane (fewer than 3, all on a line or a point): out is then untouched.
 */
export function fitPlane(m: ArrayLike<number>, offset: number, out: Float64Array): boolean {
  const n = m[offset]!;
  if (!(n >= 3)) return false;
  const mx = m[offset + 1]! / n;
  const my = m[offset + 2]! / n;
  const mz = m[offset + 3]! / n;
  const cxx = m[offset + 4]! / n - mx * mx;
  const cxy = m[offset + 5]! / n - mx * my;
  const cxz = m[offset + 6]! / n - mx * mz;
  const cyy = m[offset + 7]! / n - my * my;
  const cyz = m[offset + 8]! / n - my * mz;
  const czz = m[offset + 9]! / n - mz * mz;
  // Least eigenvalue of a symmetric 3x3 matrix in closed form (the trigonometric solution).
  const q = (cxx + cyy + czz) / 3;
  const off = cxy * cxy + cxz * cxz + cyz * cyz;
  const p = Math.sqrt(((cxx - q) ** 2 + (cyy - q) ** 2 + (czz - q) ** 2 + 2 * off) / 6);
  if (!(p > 0)) return false;
  const bxx = (cxx - q) / p;
  const byy = (cyy - q) / p;
  const bzz = (czz - q) / p;
  const bxy = cxy / p;
  const bxz = cxz / p;
  const byz = cyz / p;
  const half = (bxx * (byy * bzz - byz * byz) - bxy * (bxy * bzz - byz * bxz) + bxz * (bxy * byz - byy * bxz)) / 2;
  const phi = Math.acos(Math.min(1, Math.max(-1, half))) / 3;
  const least = q + 2 * p * Math.cos(phi + (2 * Math.PI) / 3);
  // Its eigenvector is orthogonal to the rows of C - least·I: the longest cross product of two rows.
  const ax = cxx - least;
  const by = cyy - least;
  const cz = czz - least;
  const c01x = cxy * cyz - cxz * by;
  const c01y = cxz * cxy - ax * cyz;
  const c01z = ax * by - cxy * cxy;
  const c02x = cxy * cz - cxz * cyz;
  const c02y = cxz * cxz - ax * cz;
  const c02z = ax * cyz - cxy * cxz;
  const c12x = by * cz - cyz * cyz;
  const c12y = cyz * cxz - cxy * cz;
  const c12z = cxy * cyz - by * cxz;
  const l01 = c01x * c01x + c01y * c01y + c01z * c01z;
  const l02 = c02x * c02x + c02y * c02y + c02z * c02z;
  const l12 = c12x * c12x + c12y * c12y + c12z * c12z;
  let vx = c01x;
  let vy = c01y;
  let vz = c01z;
  let l = l01;
  // Plain assignments: a destructured array here is allocated for every window of every pixel.
  if (l02 > l) {
    vx = c02x;
    vy = c02y;
    vz = c02z;
    l = l02;
  }
  if (l12 > l) {
    vx = c12x;
    vy = c12y;
    vz = c12z;
    l = l12;
  }
  // Two least eigenvalues alike (points on a line): no plane.
  if (!(l > 1e-12 * p ** 4)) return false;
  const inv = 1 / Math.sqrt(l);
  out[0] = vx * inv;
  out[1] = vy * inv;
  out[2] = vz * inv;
  out[3] = mx;
  out[4] = my;
  out[5] = mz;
  out[6] = Math.max(0, least);
  return true;
}

/** Signed distance of (x, y, z) from a plane written by fitPlane. */
export function planeDistance(plane: Float64Array, x: number, y: number, z: number): number {
  return plane[0]! * (x - plane[3]!) + plane[1]! * (y - plane[4]!) + plane[2]! * (z - plane[5]!);
}

/**
 * The z-depth where the ray through (rx, ry, 1) meets the plane, or NaN when it runs along the
 * plane or meets it behind the camera.
 */
export function rayDepth(plane: Float64Array, rx: number, ry: number): number {
  const along = plane[0]! * rx + plane[1]! * ry + plane[2]!;
  const t = (plane[0]! * plane[3]! + plane[1]! * plane[4]! + plane[2]! * plane[5]!) / along;
  return Math.abs(along) > 1e-6 && t > 0 ? t : Number.NaN;
}
