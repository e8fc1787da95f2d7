/**
 * A scan's frames on the GPU, uploaded once: camera records, pixels (RGB8 in one word), depth in
 * normalised scene units, and each pixel's semantic target (semantic-targets.ts).
 */
import type { Scan } from '../scan/scan.ts';
import { uploadBuffer } from '../gpu/buffer-io.ts';
import { packLabelTargets, targetClasses, TARGET_WORDS_PER_PIXEL, type SemanticTargets } from './semantic-targets.ts';

export const CAMERA_FLOATS = 20;

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

/** Camera records as ray-sampler.wgsl reads them. */
export function cameraRecords(scan: Pick<Scan, 'frames'>, frameIndices: number[]): ArrayBuffer {
  const data = new ArrayBuffer(frameIndices.length * CAMERA_FLOATS * 4);
  const f = new Float32Array(data);
  const u = new Uint32Array(data);
  let firstPixel = 0;
  frameIndices.forEach((fi, i) => {
    const frame = scan.frames[fi]!;
    const o = i * CAMERA_FLOATS;
    for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) f[o + r * 4 + c] = frame.c2w[r * 4 + c]!;
    const k = frame.intrinsics;
    f.set([k.fx, k.fy, k.cx, k.cy], o + 12);
    u.set([frame.width, frame.height, firstPixel, 0], o + 16);
    firstPixel += frame.width * frame.height;
  });
  return data;
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
    for (let p = 0; p < n; p++) {
      words[at + p] = (f.rgba[p * 4]! | (f.rgba[p * 4 + 1]! << 8) | (f.rgba[p * 4 + 2]! << 16)) >>> 0;
      depths[at + p] = f.depth ? f.depth[p]! * scale : 0;
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
