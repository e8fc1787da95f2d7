/**
 * A scan's frames on the GPU, uploaded once: camera records, pixels (RGB and class id packed in
 * one word), depth in normalised scene units, and the map from class id to target channel.
 */
import type { Scan } from '../scan/scan.ts';
import { uploadBuffer } from '../gpu/buffer-io.ts';

export const CAMERA_FLOATS = 20;

export interface TrainingFrames {
  frames: number;
  pixels: number;
  cameras: GPUBuffer;
  pixelWords: GPUBuffer;
  depths: GPUBuffer;
  classChannel: GPUBuffer;
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

/**
 * `knownClasses` maps class ids to target channels (one-hot targets from ground-truth labels);
 * every other id gets a uniform target, as a segmenter that does not know the class would give.
 */
export function uploadTrainingFrames(device: GPUDevice, scan: Scan, frameIndices: number[], knownClasses: number[]): TrainingFrames {
  const pixels = frameIndices.reduce((n, i) => n + scan.frames[i]!.width * scan.frames[i]!.height, 0);
  const words = new Uint32Array(pixels);
  const depths = new Float32Array(pixels);
  const scale = scan.normalisation.scale;
  let at = 0;
  for (const fi of frameIndices) {
    const f = scan.frames[fi]!;
    const n = f.width * f.height;
    for (let p = 0; p < n; p++) {
      const label = f.labels ? Math.min(255, f.labels[p]!) : 0;
      words[at + p] = (f.rgba[p * 4]! | (f.rgba[p * 4 + 1]! << 8) | (f.rgba[p * 4 + 2]! << 16) | (label << 24)) >>> 0;
      depths[at + p] = f.depth ? f.depth[p]! * scale : 0;
    }
    at += n;
  }
  const channel = new Uint32Array(256).fill(0xffffffff);
  knownClasses.forEach((id, c) => {
    channel[id] = c;
  });
  const buffers = {
    cameras: uploadBuffer(device, new Uint8Array(cameraRecords(scan, frameIndices)), 'cameras'),
    pixelWords: uploadBuffer(device, words, 'pixels'),
    depths: uploadBuffer(device, depths, 'depths'),
    classChannel: uploadBuffer(device, channel, 'class channels'),
  };
  return {
    frames: frameIndices.length,
    pixels,
    k: knownClasses.length,
    ...buffers,
    destroy: () => Object.values(buffers).forEach((b) => b.destroy()),
  };
}
