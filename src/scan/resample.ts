/** Resizing frames to the training resolution, and undistorting them. */
import { Lens, type LensDistortion } from './lens-distortion.ts';
import type { Intrinsics } from './scan.ts';

/** Long side `longSide`, aspect kept; never enlarged. */
export function trainingSize(width: number, height: number, longSide: number): { width: number; height: number } {
  const scale = Math.min(1, longSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** RGB in 0..1, 3 values per pixel, from RGBA8 (alpha dropped): what renders are compared with. */
export function unitRgb(rgba: ArrayLike<number>): Float32Array {
  const n = rgba.length / 4;
  const rgb = new Float32Array(n * 3);
  for (let p = 0; p < n; p++) for (let c = 0; c < 3; c++) rgb[p * 3 + c] = rgba[p * 4 + c]! / 255;
  return rgb;
}

/** Area-average downsizing of RGBA8 (each output pixel is the mean of the source pixels it covers). */
export function resizeRgba(src: Uint8ClampedArray, w: number, h: number, W: number, H: number): Uint8ClampedArray {
  if (w === W && h === H) return src;
  const out = new Uint8ClampedArray(W * H * 4);
  const sx = w / W;
  const sy = h / H;
  for (let j = 0; j < H; j++) {
    const y0 = Math.floor(j * sy);
    const y1 = Math.max(y0 + 1, Math.min(h, Math.floor((j + 1) * sy)));
    for (let i = 0; i < W; i++) {
      const x0 = Math.floor(i * sx);
      const x1 = Math.max(x0 + 1, Math.min(w, Math.floor((i + 1) * sx)));
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const p = (y * w + x) * 4;
          r += src[p]!;
          g += src[p + 1]!;
          b += src[p + 2]!;
          a += src[p + 3]!;
        }
      }
      const n = (y1 - y0) * (x1 - x0);
      const q = (j * W + i) * 4;
      out[q] = r / n;
      out[q + 1] = g / n;
      out[q + 2] = b / n;
      out[q + 3] = a / n;
    }
  }
  return out;
}

/**
 * Nearest-sample resizing for depth and labels: values are never blended across edges. Each pixel
 * of the pinhole `to` takes the value of the source pixel that shows the same ray: `from` is the
 * source camera at the same pose, with its lens distortion if it has one (ScanNet's depth camera
 * to its colour camera, a distorted depth or label map to the undistorted frame).
 */
export function resampleNearest<T extends Float32Array | Uint16Array>(
  src: ArrayLike<number>,
  from: Intrinsics,
  to: Intrinsics,
  out: T,
  distortion?: LensDistortion,
): T {
  const lens = new Lens(from, distortion);
  const at = new Float64Array(2);
  for (let j = 0; j < to.height; j++) {
    const y = (j + 0.5 - to.cy) / to.fy;
    for (let i = 0; i < to.width; i++) {
      const x = (i + 0.5 - to.cx) / to.fx;
      let value = 0;
      if (lens.imagePoint(x, y, at)) {
        const u = Math.floor(at[0]!);
        const v = Math.floor(at[1]!);
        if (u >= 0 && v >= 0 && u < from.width && v < from.height) value = src[v * from.width + u]!;
      }
      out[j * to.width + i] = value;
    }
  }
  return out;
}

/**
 * Removes lens distortion from an RGBA8 frame: each pixel of the ideal pinhole `lens.undistortedPinhole()`
 * (the same size) samples the distorted frame where the lens put its ray, bilinearly. Pixels whose
 * ray the frame does not show stay transparent (composited on the background later). A ray within
 * the outer half pixel of the frame (between the last pixel centre and the edge) is in the photo
 * and takes the edge pixel's colour: without that, a lens that barely bends lost the frame's
 * last row and column to the mask.
 */
export function undistortRgba(src: Uint8ClampedArray, lens: Lens): Uint8ClampedArray {
  const k = lens.undistortedPinhole();
  const { width: w, height: h } = k;
  const out = new Uint8ClampedArray(w * h * 4);
  const at = new Float64Array(2);
  for (let j = 0; j < h; j++) {
    for (let i = 0; i < w; i++) {
      if (!lens.imagePoint((i + 0.5 - k.cx) / k.fx, (j + 0.5 - k.cy) / k.fy, at)) continue;
      const x = at[0]!;
      const y = at[1]!;
      if (!(x >= 0 && y >= 0 && x <= w && y <= h)) continue;
      // Continuous coordinates to sample-grid coordinates (pixel centres at integers), clamped to
      // the edge pixels' centres.
      const u = Math.min(Math.max(x - 0.5, 0), w - 1);
      const v = Math.min(Math.max(y - 0.5, 0), h - 1);
      const u0 = Math.floor(u);
      const v0 = Math.floor(v);
      const u1 = Math.min(u0 + 1, w - 1);
      const v1 = Math.min(v0 + 1, h - 1);
      const fu = u - u0;
      const fv = v - v0;
      const q = (j * w + i) * 4;
      for (let c = 0; c < 4; c++) {
        const a = src[(v0 * w + u0) * 4 + c]!;
        const b = src[(v0 * w + u1) * 4 + c]!;
        const e = src[(v1 * w + u0) * 4 + c]!;
        const f = src[(v1 * w + u1) * 4 + c]!;
        out[q + c] = (a * (1 - fu) + b * fu) * (1 - fv) + (e * (1 - fu) + f * fu) * fv;
      }
    }
  }
  return out;
}
