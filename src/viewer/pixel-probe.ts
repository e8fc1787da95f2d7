/**
 * The inspector's arithmetic: what a rendered view says about one clicked pixel. The surface
 * point comes from the expected depth over the opacity (the view's depth is not divided by it),
 * back-projected through the view's camera and taken back from the normalised scene to the scan's
 * own coordinates; the segment is looked up at the same place of the frame's pre-segmentation,
 * whatever the two resolutions.
 */
import type { PreSegmentation } from '../discover/pre-segmentation.ts';
import type { RenderedView, ViewCamera } from '../field/view-renderer.ts';
import { backProjectPixel } from '../math/camera-convention.ts';
import type { Scan } from '../scan/scan.ts';
import { argmax, pixelEmbedding } from './view-modes.ts';

/** Below this opacity a ray has hit nothing worth a depth. */
export const PROBE_MIN_OPACITY = 0.05;

export interface PixelProbe {
  /** The pixel of the view, and its index. */
  x: number;
  y: number;
  pixel: number;
  /** Surface point in the scan's coordinates; null where the ray hits nothing. */
  point: [number, number, number] | null;
  /** z-depth in the scan's units, or null. */
  depth: number | null;
  entropy: number;
  entropyNormalised: number;
  /** The K class probabilities. */
  probs: Float32Array;
  /** Centred log-probabilities (view-modes.ts: what "Show similar" compares). */
  embedding: Float64Array;
  /** The most probable class. */
  likeliest: number;
  /** The pre-segmentation segment under the pixel, or null (no segmentation, or a pixel in none). */
  segment: number | null;
}

/**
 * The pixel at (u, v), each 0..1 across the view (a click on the canvas). `segmentation` is the
 * pre-segmentation of the training frame the view shows, if it shows one.
 */
export function probePixel(
  view: RenderedView,
  camera: ViewCamera,
  u: number,
  v: number,
  normalisation: Scan['normalisation'],
  segmentation: PreSegmentation | null,
): PixelProbe {
  const { width, height, k } = view;
  const x = Math.max(0, Math.min(width - 1, Math.floor(u * width)));
  const y = Math.max(0, Math.min(height - 1, Math.floor(v * height)));
  const p = y * width + x;
  const opacity = view.opacity[p]!;
  const z = opacity > PROBE_MIN_OPACITY ? view.depth[p]! / opacity : NaN;
  const { scale, offset } = normalisation;
  let point: [number, number, number] | null = null;
  if (Number.isFinite(z)) {
    const world = [0, 0, 0];
    backProjectPixel(camera.c2w, camera.intrinsics, x, y, z, world);
    point = [world[0]! / scale + offset[0], world[1]! / scale + offset[1], world[2]! / scale + offset[2]];
  }
  let segment: number | null = null;
  if (segmentation) {
    const sx = Math.min(segmentation.width - 1, Math.floor(((x + 0.5) * segmentation.width) / width));
    const sy = Math.min(segmentation.height - 1, Math.floor(((y + 0.5) * segmentation.height) / height));
    const s = segmentation.segments[sy * segmentation.width + sx]!;
    segment = s >= 0 ? s : null;
  }
  return {
    x,
    y,
    pixel: p,
    point,
    depth: Number.isFinite(z) ? z / scale : null,
    entropy: view.entropy[p]!,
    entropyNormalised: view.entropyNormalised[p]!,
    probs: view.probs.subarray(p * k, (p + 1) * k),
    embedding: pixelEmbedding(view, p),
    likeliest: argmax(view.probs, p * k, k),
    segment,
  };
}
