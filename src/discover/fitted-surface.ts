/**
 * Normals and denoised depth for sensor depth: at every pixel, a least-squares plane through the
 * points of a window around it. Finite differences between neighbours turn sensor noise (a few
 * millimetres at 1-2 m, as much as a pixel's footprint) into normals tens of degrees off, so
 * that every pixel looks like a fold or a tear; a plane fitted over a window averages the noise
 * out, and a window wide enough for the noise at the pixel's depth keeps the normal within a
 * few degrees.
 *
 * A window straddling an object's edge would blend the object and what lies behind it. So besides
 * the window centred on the pixel, the four windows with the pixel at a corner are tried (one of
 * them lies on the pixel's side of any straight edge), and the pixel takes the plane that fits
 * its window best among those it lies on (within the noise). Window moments come from integral
 * images, so a window costs the same whatever its size.
 *
 * The pixel's point is then moved along its ray onto its plane: neighbours on one surface end up
 * within a fraction of the noise of each other's plane, which lets the tear test stay as
 * sensitive as the noise allows.
 */
import type { Normals } from './pre-segmentation.ts';
import { addPointMoments, fitPlane, MOMENTS, PLANE_SIZE, planeDistance, rayDepth } from './plane-fit.ts';

export interface FittedSurface {
  /** z-depth of each pixel's point moved onto its plane; the input depth where no plane fits; 0 where missing. */
  depth: Float32Array;
  /** Unit normals facing the camera; valid 0 where no window fits a plane through the pixel. */
  normals: Normals;
}

/**
 * The normal of a plane fitted over a centred window of half-size r, with noise sigma on points
 * `spacing` apart, tilts by about sigma / (spacing·(2r+1)·sqrt(r(r+1)/3)) radians (the slope's
 * standard error in least squares). Windows grow until that is under ~3 degrees, from 2 to 7.
 */
const NORMAL_ERROR = Math.tan((3 * Math.PI) / 180);
const SMALLEST_WINDOW = 2;
const LARGEST_WINDOW = 7;

export function windowRadius(noiseAtOneMetre: number, z: number, focal: number): number {
  // sigma / spacing = noiseAtOneMetre·z² / (z / focal).
  const needed = (noiseAtOneMetre * z * focal) / NORMAL_ERROR;
  let r = SMALLEST_WINDOW;
  while (r < LARGEST_WINDOW && (2 * r + 1) * Math.sqrt((r * (r + 1)) / 3) < needed) r++;
  return r;
}

export function fitSurface(
  depth: Float32Array,
  width: number,
  height: number,
  intrinsics: { fx: number; fy: number; cx: number; cy: number },
  noiseAtOneMetre: number,
): FittedSurface {
  const w = width;
  const h = height;
  const n = w * h;
  const { fx, fy, cx, cy } = intrinsics;
  const rayX = new Float64Array(w);
  const rayY = new Float64Array(h);
  for (let i = 0; i < w; i++) rayX[i] = (i + 0.5 - cx) / fx;
  for (let j = 0; j < h; j++) rayY[j] = (j + 0.5 - cy) / fy;
  const valid = (p: number): boolean => depth[p]! > 0 && depth[p]! < Infinity;
  // integral[(j·(w+1) + i)·MOMENTS + k]: moment k of the pixels [0, i) x [0, j).
  const stride = (w + 1) * MOMENTS;
  const integral = new Float64Array((h + 1) * stride);
  const row = new Float64Array(MOMENTS);
  for (let j = 0; j < h; j++) {
    row.fill(0);
    for (let i = 0; i < w; i++) {
      const p = j * w + i;
      if (valid(p)) addPointMoments(row, 0, rayX[i]! * depth[p]!, rayY[j]! * depth[p]!, depth[p]!);
      const at = (j + 1) * stride + (i + 1) * MOMENTS;
      for (let k = 0; k < MOMENTS; k++) integral[at + k] = integral[at - stride + k]! + row[k]!;
    }
  }
  const windowMoments = new Float64Array(MOMENTS);
  /** Moments of the pixels [x0, x1) x [y0, y1), clipped to the image. */
  const sumWindow = (x0: number, x1: number, y0: number, y1: number): void => {
    const a = Math.max(0, y0) * stride + Math.max(0, x0) * MOMENTS;
    const b = Math.max(0, y0) * stride + Math.min(w, x1) * MOMENTS;
    const c = Math.min(h, y1) * stride + Math.max(0, x0) * MOMENTS;
    const d = Math.min(h, y1) * stride + Math.min(w, x1) * MOMENTS;
    for (let k = 0; k < MOMENTS; k++) windowMoments[k] = integral[d + k]! - integral[b + k]! - integral[c + k]! + integral[a + k]!;
  };
  const out: FittedSurface = {
    depth: new Float32Array(n),
    normals: { x: new Float32Array(n), y: new Float32Array(n), z: new Float32Array(n), valid: new Uint8Array(n) },
  };
  const plane = new Float64Array(PLANE_SIZE);
  const best = new Float64Array(PLANE_SIZE);
  const focal = Math.min(fx, fy);
  // The current pixel's point, noise and best plane so far, outside the loop so that tryWindow is
  // made once rather than per pixel.
  let x = 0;
  let y = 0;
  let z = 0;
  let variance = 0;
  let bestResidual = Infinity;
  /** Fits [x0, x1) x [y0, y1) and keeps it when the pixel lies on it and it fits better than the best so far. */
  const tryWindow = (x0: number, x1: number, y0: number, y1: number, minPoints: number): void => {
    sumWindow(x0, x1, y0, y1);
    if (windowMoments[0]! < minPoints || !fitPlane(windowMoments, 0, plane)) return;
    const residual = plane[6]!;
    const off = planeDistance(plane, x, y, z);
    if (residual < bestResidual && off * off <= 9 * (variance + residual)) {
      bestResidual = residual;
      best.set(plane);
    }
  };
  for (let j = 0; j < h; j++) {
    for (let i = 0; i < w; i++) {
      const p = j * w + i;
      if (!valid(p)) continue;
      z = depth[p]!;
      out.depth[p] = z;
      x = rayX[i]! * z;
      y = rayY[j]! * z;
      variance = (noiseAtOneMetre * z * z) ** 2;
      const r = windowRadius(noiseAtOneMetre, z, focal);
      bestResidual = Infinity;
      const full = (2 * r + 1) ** 2;
      tryWindow(i - r, i + r + 1, j - r, j + r + 1, full / 2);
      // A centred window as flat as the noise: no edge in it. The mean squared residual of n noisy
      // points scatters by sqrt(2/n) of the variance; without that margin half the flat windows
      // would fall through to corner windows, whose fewer points tilt normals by several times more.
      if (!(bestResidual <= variance * (1 + 3 * Math.sqrt(2 / windowMoments[0]!)))) {
        const corner = (r + 1) ** 2;
        tryWindow(i - r, i + 1, j - r, j + 1, corner / 2);
        tryWindow(i, i + r + 1, j - r, j + 1, corner / 2);
        tryWindow(i - r, i + 1, j, j + r + 1, corner / 2);
        tryWindow(i, i + r + 1, j, j + r + 1, corner / 2);
      }
      if (bestResidual === Infinity) continue;
      const onPlane = rayDepth(best, rayX[i]!, rayY[j]!);
      if (!(onPlane > 0)) continue;
      // Facing the camera (at the origin): the tear test asks which point stands in front.
      const sign = best[0]! * x + best[1]! * y + best[2]! * z > 0 ? -1 : 1;
      out.depth[p] = onPlane;
      out.normals.x[p] = sign * best[0]!;
      out.normals.y[p] = sign * best[1]!;
      out.normals.z[p] = sign * best[2]!;
      out.normals.valid[p] = 1;
    }
  }
  return out;
}
