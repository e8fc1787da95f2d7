/**
 * A sparse depth prior from a reconstruction (DS-NeRF's idea, without its error weighting): the
 * 3D points an image observes, projected into its training frame, give the z-depth at the pixels
 * they land on. A track says the point is seen in that image, so no occlusion test is needed;
 * where two land on one pixel the nearer is kept. Training supervises depth there as it does
 * sensor depth; nothing else uses it (a few hundred pixels a frame is no map to segment on).
 */
import type { Mat4 } from '../math/camera-convention.ts';
import type { Intrinsics } from './scan.ts';

/** z-depth (source units) per training pixel, 0 where no point lands; null if none does. */
export function sparseDepthMap(points: Float64Array, c2w: Mat4, k: Intrinsics): Float32Array | null {
  const depth = new Float32Array(k.width * k.height);
  let landed = 0;
  for (let p = 0; p < points.length; p += 3) {
    const d = [points[p]! - c2w[3]!, points[p + 1]! - c2w[7]!, points[p + 2]! - c2w[11]!];
    // Into the camera: the rotation's transpose (OpenCV axes, z forward).
    const c = [0, 1, 2].map((col) => c2w[col]! * d[0]! + c2w[4 + col]! * d[1]! + c2w[8 + col]! * d[2]!);
    const z = c[2]!;
    if (!(z > 0)) continue;
    const u = Math.floor((k.fx * c[0]!) / z + k.cx);
    const v = Math.floor((k.fy * c[1]!) / z + k.cy);
    if (u < 0 || v < 0 || u >= k.width || v >= k.height) continue;
    const at = v * k.width + u;
    if (depth[at] === 0) landed++;
    if (depth[at] === 0 || z < depth[at]!) depth[at] = z;
  }
  return landed ? depth : null;
}
