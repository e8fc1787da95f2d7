/**
 * Per-frame masks (nerfstudio's mask_path): which pixels of a frame may be trained on and scored.
 * nerfstudio's convention: a single-channel PNG, 0 = masked out, anything else = keep; RGB(A)
 * masks are read the same way (black or fully transparent = masked out). The mask goes through
 * the same undistortion and area resizing as its image, and a training pixel is kept only where
 * every image pixel it averages is kept: a pixel whose colour mixes in masked content is masked.
 */
import { decodePngScalarOrRgba } from './image-decoding.ts';
import { isPng } from './image-header.ts';
import { resizeRgba } from './resample.ts';
import { ScanError } from './scan-error.ts';
import type { ScanSource } from './scan-source.ts';

const KEEP = 255;

/** The mask at its own size: KEEP where the pixel is kept, 0 where it is masked out. */
function decodeMask(bytes: Uint8Array, path: string): { width: number; height: number; keep: Uint8Array } {
  if (!isPng(bytes)) throw new ScanError(path, 'is not a PNG image (masks are PNGs, 0 = masked out)');
  const decoded = decodePngScalarOrRgba(bytes, path);
  if ('scalar' in decoded) {
    const grey = decoded.scalar;
    return { width: grey.width, height: grey.height, keep: Uint8Array.from(grey.data, (v) => (v ? KEEP : 0)) };
  }
  const rgba = decoded.rgba;
  const keep = new Uint8Array(rgba.width * rgba.height);
  for (let p = 0; p < keep.length; p++) {
    const d = rgba.data;
    keep[p] = (d[p * 4]! || d[p * 4 + 1]! || d[p * 4 + 2]!) && d[p * 4 + 3]! ? KEEP : 0;
  }
  return { width: rgba.width, height: rgba.height, keep };
}

/**
 * A frame's mask at the training size, 1 = keep, 0 = masked out. `undistort` is what its image
 * went through at the image's size; a mask of another size than its image (a downscaled copy, as
 * nerfstudio's masks_2/) is first brought to the image's size by nearest sample.
 */
export async function loadFrameMask(
  source: ScanSource,
  path: string,
  image: { path: string; width: number; height: number },
  trainingSize: { width: number; height: number },
  undistort: (rgba: Uint8ClampedArray) => Uint8ClampedArray,
): Promise<Uint8Array> {
  if (!source.paths.includes(path)) throw new ScanError(path, `is referenced but missing: ${image.path} is used without a mask`);
  const mask = decodeMask(await source.read(path), path);
  const { width: w, height: h } = image;
  if (Math.abs(mask.width / mask.height - w / h) > 1 / Math.min(mask.width, mask.height)) {
    throw new ScanError(path, `is ${mask.width}x${mask.height}, not the shape of its image ${image.path} (${w}x${h})`);
  }
  let rgba: Uint8ClampedArray = new Uint8ClampedArray(w * h * 4);
  for (let j = 0; j < h; j++) {
    const v = Math.floor(((j + 0.5) * mask.height) / h);
    for (let i = 0; i < w; i++) {
      const keep = mask.keep[v * mask.width + Math.floor(((i + 0.5) * mask.width) / w)]!;
      rgba.fill(keep, (j * w + i) * 4, (j * w + i + 1) * 4);
    }
  }
  return keptAtTrainingSize(rgba, image, trainingSize, undistort);
}

/**
 * The pixels of an undistorted frame that its photo shows whole (1 = keep): undistortion leaves
 * the corners a lens does not reach empty (a fisheye's, past its rim, or a radial lens's few), and
 * those must be masked, not trained as background.
 */
export function lensCoverageMask(
  image: { width: number; height: number },
  trainingSize: { width: number; height: number },
  undistort: (rgba: Uint8ClampedArray) => Uint8ClampedArray,
): Uint8Array {
  return keptAtTrainingSize(new Uint8ClampedArray(image.width * image.height * 4).fill(KEEP), image, trainingSize, undistort);
}

/** A keep map at the image's size (KEEP in every channel where kept) through the image's path to training pixels. */
function keptAtTrainingSize(
  keepRgba: Uint8ClampedArray,
  image: { width: number; height: number },
  trainingSize: { width: number; height: number },
  undistort: (rgba: Uint8ClampedArray) => Uint8ClampedArray,
): Uint8Array {
  const rgba = resizeRgba(undistort(keepRgba), image.width, image.height, trainingSize.width, trainingSize.height);
  const keep = new Uint8Array(trainingSize.width * trainingSize.height);
  for (let p = 0; p < keep.length; p++) keep[p] = rgba[p * 4] === KEEP && rgba[p * 4 + 3] === KEEP ? 1 : 0;
  return keep;
}

/** Pixels both masks keep (either may be absent). */
export function bothKept(a: Uint8Array | undefined, b: Uint8Array | undefined): Uint8Array | undefined {
  if (!a || !b) return a ?? b;
  return a.map((v, p) => (v && b[p] ? 1 : 0));
}

/** Masked pixels have no depth and no label (0 = void), so that nothing counts them. */
export function clearMasked(mask: Uint8Array, frame: { depth?: Float32Array; sparseDepth?: Float32Array; labels?: Uint16Array }): void {
  for (let p = 0; p < mask.length; p++) {
    if (mask[p]) continue;
    if (frame.depth) frame.depth[p] = 0;
    if (frame.sparseDepth) frame.sparseDepth[p] = 0;
    if (frame.labels) frame.labels[p] = 0;
  }
}
