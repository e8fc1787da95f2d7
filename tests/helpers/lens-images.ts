/**
 * Distorted copies of pinhole images, for checking the loader's undistortion against the
 * originals: each pixel of the distorted camera shows what the pinhole saw along the ray the lens
 * maps there. The lens models are inverted here on their own (fixed-point iteration, Newton), not
 * with src/scan's forward code, so that a wrong forward model shows as a mismatch.
 */
import type { LensDistortion } from '../../src/scan/lens-distortion.ts';
import type { Intrinsics } from '../../src/scan/scan.ts';

/** The ray (normalised x, y) that a distorted lens shows at normalised point (xd, yd), or null outside its view. */
export function idealRay(d: LensDistortion, xd: number, yd: number): [number, number] | null {
  if (d.model === 'fisheye') {
    const thetaD = Math.hypot(xd, yd);
    if (thetaD < 1e-12) return [xd, yd];
    let theta = thetaD;
    for (let it = 0; it < 50; it++) {
      const t2 = theta * theta;
      const f = theta * (1 + d.k1 * t2 + d.k2 * t2 ** 2 + d.k3 * t2 ** 3 + d.k4 * t2 ** 4) - thetaD;
      const df = 1 + 3 * d.k1 * t2 + 5 * d.k2 * t2 ** 2 + 7 * d.k3 * t2 ** 3 + 9 * d.k4 * t2 ** 4;
      theta -= f / df;
    }
    if (!(theta > 0 && theta < Math.PI / 2 - 1e-3)) return null;
    const s = Math.tan(theta) / thetaD;
    return [xd * s, yd * s];
  }
  let x = xd;
  let y = yd;
  for (let it = 0; it < 40; it++) {
    const r2 = x * x + y * y;
    const radial = (1 + d.k1 * r2 + d.k2 * r2 ** 2 + d.k3 * r2 ** 3) / (1 + d.k4 * r2 + d.k5 * r2 ** 2 + d.k6 * r2 ** 3);
    x = (xd - (2 * d.p1 * x * y + d.p2 * (r2 + 2 * x * x))) / radial;
    y = (yd - (d.p1 * (r2 + 2 * y * y) + 2 * d.p2 * x * y)) / radial;
  }
  return [x, y];
}

/**
 * A `channels`-channel image of the camera `lens` with distortion `d`, made from an image of the
 * pinhole `pinhole` at the same pose: nearest samples (so depth and labels stay exact), 0 where
 * the pinhole did not see the ray.
 */
export function distortImage<T extends Uint8Array | Uint16Array>(
  src: T,
  channels: number,
  pinhole: Intrinsics,
  lens: Intrinsics,
  d: LensDistortion,
  out: T,
): T {
  for (let j = 0; j < lens.height; j++)
    for (let i = 0; i < lens.width; i++) {
      const ray = idealRay(d, (i + 0.5 - lens.cx) / lens.fx, (j + 0.5 - lens.cy) / lens.fy);
      if (!ray) continue;
      const u = Math.floor(ray[0] * pinhole.fx + pinhole.cx);
      const v = Math.floor(ray[1] * pinhole.fy + pinhole.cy);
      if (u < 0 || v < 0 || u >= pinhole.width || v >= pinhole.height) continue;
      for (let c = 0; c < channels; c++) out[(j * lens.width + i) * channels + c] = src[(v * pinhole.width + u) * channels + c]!;
    }
  return out;
}

/**
 * Mean absolute difference of the red channel between an image (`channels` per pixel) taken for a
 * pinhole with intrinsics `loaded` and the original RGB pinhole image: for each pixel at least
 * `margin` pixels inside the frame, the original pixel on the same ray.
 */
export function meanDifferenceToPinhole(
  image: ArrayLike<number>,
  channels: number,
  loaded: Intrinsics,
  rgb: ArrayLike<number>,
  original: Intrinsics,
  margin: number,
): number {
  let sum = 0;
  let n = 0;
  for (let j = margin; j < loaded.height - margin; j++)
    for (let i = margin; i < loaded.width - margin; i++) {
      const u = Math.floor(((i + 0.5 - loaded.cx) / loaded.fx) * original.fx + original.cx);
      const v = Math.floor(((j + 0.5 - loaded.cy) / loaded.fy) * original.fy + original.cy);
      if (u < 0 || v < 0 || u >= original.width || v >= original.height) continue;
      sum += Math.abs(image[(j * loaded.width + i) * channels]! - rgb[(v * original.width + u) * 3]!);
      n++;
    }
  return sum / n;
}
