/**
 * Lens models: where a real lens puts the ray that an ideal pinhole would show at a pixel, and
 * which ideal pinhole a distorted frame is undistorted to on load. Two families cover what capture
 * tools write (COLMAP's camera models, nerfstudio's camera_model):
 *
 * - radial-tangential (OpenCV, Brown-Conrady), COLMAP FULL_OPENCV with k1 k2 p1 p2 k3 k4 k5 k6:
 *     r² = x² + y², radial = (1 + k1 r² + k2 r⁴ + k3 r⁶) / (1 + k4 r² + k5 r⁴ + k6 r⁶)
 *     x' = x radial + 2 p1 x y + p2 (r² + 2 x²),  y' = y radial + p1 (r² + 2 y²) + 2 p2 x y
 *   SIMPLE_RADIAL (k), RADIAL (k1 k2) and OPENCV (k1 k2 p1 p2) are this with the others zero.
 * - fisheye (OpenCV's equidistant model, COLMAP and nerfstudio OPENCV_FISHEYE), k1..k4:
 *     θ = atan(r), θd = θ (1 + k1 θ² + k2 θ⁴ + k3 θ⁶ + k4 θ⁸),  (x', y') = (x, y) θd / r
 *
 * (x, y) are normalised coordinates of the ray (X/Z, Y/Z in OpenCV camera axes); the lens image
 * point is (fx x' + cx, fy y' + cy) in continuous pixel coordinates.
 */
import type { Intrinsics } from './scan.ts';

export interface RadialTangential {
  model: 'radial-tangential';
  k1: number;
  k2: number;
  p1: number;
  p2: number;
  k3: number;
  k4: number;
  k5: number;
  k6: number;
}

export interface Fisheye {
  model: 'fisheye';
  k1: number;
  k2: number;
  k3: number;
  k4: number;
}

export type LensDistortion = RadialTangential | Fisheye;

type Coefficients<T> = Partial<Omit<T, 'model'>>;

/** A radial-tangential lens; coefficients not given are zero. Undefined when all are zero (a pinhole). */
export function radialTangential(c: Coefficients<RadialTangential>): RadialTangential | undefined {
  const d: RadialTangential = { model: 'radial-tangential', k1: 0, k2: 0, p1: 0, p2: 0, k3: 0, k4: 0, k5: 0, k6: 0, ...c };
  return d.k1 || d.k2 || d.p1 || d.p2 || d.k3 || d.k4 || d.k5 || d.k6 ? d : undefined;
}

/** A fisheye lens; coefficients not given are zero. Never a pinhole: all zero is the pure equidistant projection. */
export function fisheye(c: Coefficients<Fisheye>): Fisheye {
  return { model: 'fisheye', k1: 0, k2: 0, k3: 0, k4: 0, ...c };
}

/**
 * The largest angle off the optical axis a fisheye frame is undistorted to. A pinhole stretches
 * the image by 1/cos²θ at angle θ: at 60° each fisheye pixel already covers four pinhole pixels
 * radially, and towards 90° the pinhole plane runs off to infinity. 60° keeps a 120° wide view,
 * more than any normal lens, without spending the frame on a smeared rim.
 */
export const FISHEYE_MAX_HALF_ANGLE = Math.PI / 3;

function fisheyeThetaD(d: Fisheye, theta: number): number {
  const t2 = theta * theta;
  return theta * (1 + t2 * (d.k1 + t2 * (d.k2 + t2 * (d.k3 + t2 * d.k4))));
}

/**
 * The angle up to which a fisheye lens images rays one to one: where θd(θ) stops increasing (a
 * strong negative k folds the rim back onto itself), or 90°.
 */
function fisheyeValidTheta(d: Fisheye): number {
  const step = 1e-3;
  let previous = 0;
  for (let theta = step; theta < Math.PI / 2; theta += step) {
    const td = fisheyeThetaD(d, theta);
    if (td <= previous) return theta - step;
    previous = td;
  }
  return Math.PI / 2;
}

/** The θ whose image is at θd (bisection on the one-to-one range). */
function fisheyeTheta(d: Fisheye, thetaD: number, validTheta: number): number {
  if (thetaD >= fisheyeThetaD(d, validTheta)) return validTheta;
  let lo = 0;
  let hi = validTheta;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (fisheyeThetaD(d, mid) < thetaD) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** A camera with its lens: maps rays (normalised coordinates) to points of its image. */
export class Lens {
  private readonly validTheta: number;

  constructor(
    readonly intrinsics: Intrinsics,
    readonly distortion?: LensDistortion,
  ) {
    this.validTheta = distortion?.model === 'fisheye' ? fisheyeValidTheta(distortion) : Math.PI / 2;
  }

  /**
   * The image point (continuous pixel coordinates) of the ray (x, y, 1), into out[0], out[1];
   * false where this lens does not image the ray (past a fisheye's one-to-one range). The
   * radial-tangential model is applied everywhere, as OpenCV's undistortion does.
   */
  imagePoint(x: number, y: number, out: Float64Array): boolean {
    const k = this.intrinsics;
    const d = this.distortion;
    let xd = x;
    let yd = y;
    if (d?.model === 'radial-tangential') {
      const r2 = x * x + y * y;
      const radial = (1 + d.k1 * r2 + d.k2 * r2 * r2 + d.k3 * r2 * r2 * r2) / (1 + d.k4 * r2 + d.k5 * r2 * r2 + d.k6 * r2 * r2 * r2);
      xd = x * radial + 2 * d.p1 * x * y + d.p2 * (r2 + 2 * x * x);
      yd = y * radial + d.p1 * (r2 + 2 * y * y) + 2 * d.p2 * x * y;
    } else if (d?.model === 'fisheye') {
      const r = Math.sqrt(x * x + y * y);
      const theta = Math.atan(r);
      if (theta > this.validTheta) return false;
      // θd / r tends to 1 on the axis.
      const scale = r > 1e-12 ? fisheyeThetaD(d, theta) / r : 1;
      xd = x * scale;
      yd = y * scale;
    }
    out[0] = xd * k.fx + k.cx;
    out[1] = yd * k.fy + k.cy;
    return true;
  }

  /**
   * The ideal pinhole this lens's frames are undistorted to, at the same image size and principal
   * point.
   *
   * Radial-tangential lenses keep their focal length: their distortion is mild, so the pinhole
   * with the same intrinsics shows nearly the same view (the corners it misses or gains are few).
   *
   * A fisheye keeps its focal length's aspect but not its scale: the equidistant image puts angle
   * θ at radius f·θ, a pinhole at f·tan θ, so a pinhole with the fisheye's focal length shows only
   * the middle of the view and one that reaches the fisheye's edge is far wider than the frame.
   * The focal length is instead scaled so that each of the four edges of the undistorted frame
   * (through the principal point) looks exactly as far off axis as the fisheye's own edge does,
   * or less: the pinhole shows the fisheye's whole width or height, whichever is narrower, and
   * no part of it lies outside the fisheye's frame along the axes. Angles are capped at
   * FISHEYE_MAX_HALF_ANGLE (and the lens's one-to-one range), so that a 180° lens gives a 120°
   * pinhole view instead of a frame spent on its rim.
   */
  undistortedPinhole(): Intrinsics {
    const k = this.intrinsics;
    const d = this.distortion;
    if (d?.model !== 'fisheye') return k;
    const cap = Math.min(FISHEYE_MAX_HALF_ANGLE, this.validTheta);
    // Each edge's distance from the principal point, in units of its axis's focal length: θd there.
    const edges = [k.cx / k.fx, (k.width - k.cx) / k.fx, k.cy / k.fy, (k.height - k.cy) / k.fy].filter((e) => e > 0);
    let scale = 0;
    for (const thetaD of edges) {
      const theta = Math.min(cap, fisheyeTheta(d, thetaD, this.validTheta));
      scale = Math.max(scale, thetaD / Math.tan(theta));
    }
    return { ...k, fx: k.fx * scale, fy: k.fy * scale };
  }
}
