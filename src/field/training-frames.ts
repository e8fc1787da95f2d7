/**
 * A scan's frames on the GPU, uploaded once: camera records, pixels (RGB8 in one word, a flag
 * for pixels the frame's mask hides: the ray sampler never draws those, and the pixel's
 * transparency in a photo on no background), depth in normalised
 * scene units, and each pixel's semantic target (semantic-targets.ts).
 */
import type { Scan } from '../scan/scan.ts';
import { uploadBuffer } from '../gpu/buffer-io.ts';
import { WgslStruct, type StructValues } from '../gpu/uniform-layout.ts';
import { packLabelTargets, targetClasses, TARGET_WORDS_PER_PIXEL, type SemanticTargets } from './semantic-targets.ts';

/**
 * A camera as ray-march.wgsl reads it: camera-to-world rows 0..2 (row-major, OpenCV axes,
 * normalised scene), then (fx, fy, cx, cy), then (width, height, the frame's first pixel in the
 * training pixel arrays, 0).
 */
export const CAMERA = new WgslStruct('ray-march.wgsl', 'Camera', {
  row0: 'vec4f',
  row1: 'vec4f',
  row2: 'vec4f',
  k: 'vec4f',
  size: 'vec4u',
});

/** The camera record of a pinhole camera (c2w row-major 3x4 or 4x4; intrinsics in pixels). */
export function cameraRecord(
  camera: { c2w: ArrayLike<number>; intrinsics: { fx: number; fy: number; cx: number; cy: number }; width: number; height: number },
  firstPixel = 0,
): StructValues<typeof CAMERA.members> {
  const row = (r: number): number[] => Array.from({ length: 4 }, (_, c) => camera.c2w[r * 4 + c]!);
  const k = camera.intrinsics;
  return { row0: row(0), row1: row(1), row2: row(2), k: [k.fx, k.fy, k.cx, k.cy], size: [camera.width, camera.height, firstPixel, 0] };
}

/** Set in a pixel word whose pixel is masked out (shaders/ray-sampler.wgsl's MASKED_PIXEL). */
export const MASKED_PIXEL = 0x1000000;
/**
 * A pixel word's top 7 bits: its transparency, 1 - alpha, in 127ths (shaders/ray-sampler.wgsl's
 * TRANSPARENCY_SHIFT): 0 for every pixel of an opaque photo.
 */
export const TRANSPARENCY_SHIFT = 25;
const TRANSPARENCY_STEPS = 127;

/** A training pixel as the ray sampler reads it: sRGB8 colour (composited), mask flag, transparency. */
export function pixelWord(r: number, g: number, b: number, masked: boolean, alpha = 255): number {
  const transparency = Math.round(((255 - alpha) * TRANSPARENCY_STEPS) / 255);
  return (r | (g << 8) | (b << 16) | (masked ? MASKED_PIXEL : 0) | (transparency << TRANSPARENCY_SHIFT)) >>> 0;
}

export interface TrainingFrames {
  frames: number;
  pixels: number;
  cameras: GPUBuffer;
  pixelWords: GPUBuffer;
  depths: GPUBuffer;
  /** TARGET_WORDS_PER_PIXEL words per pixel: packed class distribution. */
  semanticTargets: GPUBuffer;
  /** Embedding channels of the targets. */
  k: number;
  destroy(): void;
}

/** The training frames' camera records, in order, each with where its pixels start. */
export function cameraRecords(scan: Pick<Scan, 'frames'>, frameIndices: number[]): ArrayBuffer {
  let firstPixel = 0;
  return CAMERA.packArray(
    frameIndices.map((fi) => {
      const frame = scan.frames[fi]!;
      const record = cameraRecord(frame, firstPixel);
      firstPixel += frame.width * frame.height;
      return record;
    }),
  );
}

export function uploadTrainingFrames(device: GPUDevice, scan: Scan, frameIndices: number[], targets: SemanticTargets): TrainingFrames {
  const k = targetClasses(targets);
  const pixels = frameIndices.reduce((n, i) => n + scan.frames[i]!.width * scan.frames[i]!.height, 0);
  const words = new Uint32Array(pixels);
  const depths = new Float32Array(pixels);
  // Packed targets are uploaded as given; labels are packed here, frame by frame.
  if (targets.from === 'packed' && targets.words.length !== pixels * TARGET_WORDS_PER_PIXEL) {
    throw new RangeError(`packed targets hold ${targets.words.length / TARGET_WORDS_PER_PIXEL} pixels, the frames have ${pixels}`);
  }
  const semantic = targets.from === 'packed' ? targets.words : new Uint32Array(pixels * TARGET_WORDS_PER_PIXEL);
  const scale = scan.normalisation.scale;
  let at = 0;
  for (const fi of frameIndices) {
    const f = scan.frames[fi]!;
    const n = f.width * f.height;
    // The sampler's fallback looks for a kept pixel in the frame it drew: there must be one.
    if (f.mask && !f.mask.some((v) => v !== 0)) throw new RangeError(`frame ${fi} (${f.name}) is masked out entirely`);
    // A reconstruction's sparse depth where there is no sensor depth: supervised the same way.
    const depth = f.depth ?? f.sparseDepth;
    for (let p = 0; p < n; p++) {
      const masked = f.mask !== undefined && !f.mask[p];
      words[at + p] = pixelWord(f.rgba[p * 4]!, f.rgba[p * 4 + 1]!, f.rgba[p * 4 + 2]!, masked, f.coverage?.[p]);
      depths[at + p] = depth ? depth[p]! * scale : 0;
    }
    if (targets.from === 'labels') packLabelTargets(f.labels, targets.knownClasses, n, semantic, at);
    at += n;
  }
  const buffers = {
    cameras: uploadBuffer(device, new Uint8Array(cameraRecords(scan, frameIndices)), 'cameras'),
    pixelWords: uploadBuffer(device, words, 'pixels'),
    depths: uploadBuffer(device, depths, 'depths'),
    semanticTargets: uploadBuffer(device, semantic, 'semantic targets'),
  };
  return {
    frames: frameIndices.length,
    pixels,
    k,
    ...buffers,
    destroy: () => Object.values(buffers).forEach((b) => b.destroy()),
  };
}
