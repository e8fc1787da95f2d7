/**
 * Image to model input: the frame (RGBA8 at training resolution) is resized bilinearly to the
 * model's input size (the same pixel-centre sampling as the feature query, so an output resized
 * back lines up with the frame), normalised as the manifest says and laid out NCHW or NHWC.
 * Pure TypeScript: the worker runs it, and the tests run the identical code in Node to build the
 * reference input.
 */
import { axisSample } from './feature-query.ts';
import type { Normalization, SegmenterManifest, TensorLayout } from './segmenter-manifest.ts';

export interface RgbaImage {
  width: number;
  height: number;
  /** RGBA8, row-major; alpha is ignored. */
  rgba: Uint8Array | Uint8ClampedArray;
}

export interface ModelInput {
  data: Float32Array;
  dims: [number, number, number, number];
  width: number;
  height: number;
}

/** The size the model takes for a frame of this size: its fixed size, or the frame's own. */
export function modelInputSize(manifest: SegmenterManifest, frame: { width: number; height: number }): { width: number; height: number } {
  return manifest.inputSize === 'dynamic' ? { width: frame.width, height: frame.height } : manifest.inputSize;
}

/** Per-channel a, b with normalised = value255 * a + b. */
function affine(n: Normalization): { a: [number, number, number]; b: [number, number, number] } {
  if ('scale' in n) return { a: [n.scale, n.scale, n.scale], b: [n.offset, n.offset, n.offset] };
  const a = n.std.map((s) => 1 / (255 * s)) as [number, number, number];
  const b = n.mean.map((m, i) => -m / n.std[i]!) as [number, number, number];
  return { a, b };
}

export function preprocess(
  image: RgbaImage,
  size: { width: number; height: number },
  normalization: Normalization,
  layout: TensorLayout,
): ModelInput {
  const { width, height } = size;
  const { a, b } = affine(normalization);
  const xs = Array.from({ length: width }, (_, i) => axisSample(((i + 0.5) * image.width) / width, image.width));
  const ys = Array.from({ length: height }, (_, j) => axisSample(((j + 0.5) * image.height) / height, image.height));
  const src = image.rgba;
  const data = new Float32Array(3 * width * height);
  const plane = width * height;
  for (let j = 0; j < height; j++) {
    const sy = ys[j]!;
    const r0 = sy.i0 * image.width;
    const r1 = sy.i1 * image.width;
    for (let i = 0; i < width; i++) {
      const sx = xs[i]!;
      const p00 = (r0 + sx.i0) * 4;
      const p10 = (r0 + sx.i1) * 4;
      const p01 = (r1 + sx.i0) * 4;
      const p11 = (r1 + sx.i1) * 4;
      for (let c = 0; c < 3; c++) {
        const top = src[p00 + c]! + (src[p10 + c]! - src[p00 + c]!) * sx.t;
        const bottom = src[p01 + c]! + (src[p11 + c]! - src[p01 + c]!) * sx.t;
        const value = (top + (bottom - top) * sy.t) * a[c]! + b[c]!;
        data[layout === 'NCHW' ? c * plane + j * width + i : (j * width + i) * 3 + c] = value;
      }
    }
  }
  const dims: ModelInput['dims'] = layout === 'NCHW' ? [1, 3, height, width] : [1, height, width, 3];
  return { data, dims, width, height };
}
