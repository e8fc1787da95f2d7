/**
 * Loads a scan folder of any supported format into the one Scan model: detects the format, reads
 * its poses and intrinsics, decodes every frame (skipping, with a warning, frames whose files are
 * missing or broken, but stopping at input over a limit of input-limits.ts), resizes to the
 * training resolution, and normalises the scene into the unit cube. The same code runs in the page
 * (in a worker) and in the headless commands.
 */
import type { Mat4 } from '../math/camera-convention.ts';
import { scanClassNames } from './class-names.ts';
import { sceneBounds, unitCubeNormalisation, type BoundsSource } from './scene-bounds.ts';
import { findScan } from './detect-format.ts';
import { bothKept, clearMasked, lensCoverageMask, loadFrameMask } from './frame-mask.ts';
import { Lens } from './lens-distortion.ts';
import { decodePngScalar, decodeRgba, type PlatformImageDecoder, type RgbaImage } from './image-decoding.ts';
import { decodeNpy } from './npy-array.ts';
import { resampleNearest, resizeRgba, trainingSize, undistortRgba } from './resample.ts';
import type { FrameSpec, ScanLayout } from './scan-layout.ts';
import { ScanError, WholeScanError } from './scan-error.ts';
import { sparseDepthMap } from './sparse-depth.ts';
import type { ScanSource } from './scan-source.ts';
import { readJson } from './scan-text.ts';
import { FORMAT_LABELS, SCENE_FILE, type Intrinsics, type Scan, type ScanFrame } from './scan.ts';

export interface LoadOptions {
  decodeImage: PlatformImageDecoder;
  /** Long side of the training resolution; images are never enlarged. */
  longSide?: number;
  /** Colour (sRGB 0..1) transparent pixels are composited on. */
  background?: [number, number, number];
  /** At most this many frames are loaded, evenly spread over the scan (in-browser memory). */
  maxFrames?: number;
  onProgress?: (framesDone: number, frames: number) => void;
}

export const DEFAULT_MAX_FRAMES = 400;

export const DEFAULT_LONG_SIDE = 320;
export const DEFAULT_BACKGROUND: [number, number, number] = [1, 1, 1];

export function formatLabel(scan: Pick<Scan, 'format'>): string {
  return FORMAT_LABELS[scan.format];
}

type LoadedFrame = Omit<ScanFrame, 'c2w'>;

/** How a scan without depth got its bounds, when that is a guess the user should know of. */
const NO_DEPTH_BOUNDS: Partial<Record<BoundsSource, string>> = {
  aabb_scale: "no depth: scene bounds are the camera positions' box scaled by aabb_scale",
  'camera axes': 'no depth: scene bounds fitted around what the cameras look at (the point nearest to their optical axes)',
  'camera centres': 'no depth: scene bounds come from the camera positions only',
};

export async function loadScan(given: ScanSource, options: LoadOptions): Promise<Scan> {
  const found = findScan(given);
  const source = found.source;
  const layout = await found.parser.parse(source);
  const warnings = [...found.warnings, ...layout.warnings];
  const maxFrames = options.maxFrames ?? DEFAULT_MAX_FRAMES;
  if (layout.frames.length > maxFrames) {
    const step = layout.frames.length / maxFrames;
    const total = layout.frames.length;
    layout.frames = Array.from({ length: maxFrames }, (_, i) => layout.frames[Math.floor(i * step)]!);
    warnings.push(`using ${maxFrames} of ${total} frames, evenly spread (raise the frame limit to use more)`);
  }
  const longSide = options.longSide ?? DEFAULT_LONG_SIDE;
  const background = options.background ?? DEFAULT_BACKGROUND;
  const available = new Set(source.paths);
  const skipped: string[] = [];
  const frames: LoadedFrame[] = [];
  let imageSize: { width: number; height: number } | undefined;

  for (const [i, spec] of layout.frames.entries()) {
    try {
      const frame = await loadFrame(source, spec, layout, available, {
        decodeImage: options.decodeImage,
        longSide,
        background,
        warnings,
        imageSize,
      });
      imageSize ??= { width: frame.sourceWidth, height: frame.sourceHeight };
      frames.push(frame.frame);
    } catch (e) {
      if (!frameProblem(e)) throw e;
      skipped.push(e.message);
    }
    options.onProgress?.(i + 1, layout.frames.length);
  }
  if (skipped.length) {
    const shown = skipped.slice(0, 5).join('; ');
    warnings.unshift(`skipped ${skipped.length} of ${layout.frames.length} frames: ${shown}${skipped.length > 5 ? '; ...' : ''}`);
  }
  if (frames.length < 2) {
    const why = skipped.length ? `: ${skipped.slice(0, 3).join('; ')}` : '';
    throw new ScanError(source.name, `has ${frames.length} usable frame${frames.length === 1 ? '' : 's'}, at least 2 are needed${why}`);
  }

  const generator = await readGenerator(source, warnings);
  const classes = await scanClassNames(source, layout, frames, warnings);
  // A photo with transparent pixels keeps its opacity (coverage): an object capture.
  const transparent = frames.some((f) => f.coverage);
  const { from: boundsFrom, ...bounds } = sceneBounds(frames, {
    points: layout.points,
    aabbScale: layout.aabbScale,
    objectCapture: transparent,
  });
  const { offset, scale } = unitCubeNormalisation(bounds, boundsFrom, source.name);
  const hasDepth = frames.some((f) => f.depth);
  const boundsWarning = NO_DEPTH_BOUNDS[boundsFrom];
  if (boundsWarning) warnings.push(boundsWarning);
  const first = frames[0]!;
  return {
    format: layout.format,
    sourceName: source.name,
    frames: frames.map((f) => ({ ...f, c2w: normalisePose(f.c2wSource, offset, scale) })),
    imageSize: imageSize!,
    trainingSize: { width: first.width, height: first.height },
    hasDepth,
    hasLabels: frames.some((f) => f.labels),
    ...(classes ? { classes } : {}),
    ...(layout.points ? { sparsePoints: Float32Array.from(layout.points) } : {}),
    ...(layout.appliedTransform ? { appliedTransform: layout.appliedTransform } : {}),
    generator,
    bounds,
    normalisation: { offset, scale },
    background,
    transparent,
    warnings,
  };
}

/** Which program wrote the scan, from its `scene.json` (the project's generator writes one), or null. */
async function readGenerator(source: ScanSource, warnings: string[]): Promise<string | null> {
  if (!source.paths.includes(SCENE_FILE)) return null;
  try {
    const scene = await readJson(source, SCENE_FILE);
    return typeof scene.generator === 'string' ? scene.generator : null;
  } catch (e) {
    if (e instanceof WholeScanError) throw e;
    warnings.push(`${SCENE_FILE} was not read: ${e instanceof Error ? e.message : String(e)}`);
    return null;
  }
}

async function loadFrame(
  source: ScanSource,
  spec: FrameSpec,
  layout: ScanLayout,
  available: Set<string>,
  ctx: {
    decodeImage: PlatformImageDecoder;
    longSide: number;
    background: [number, number, number];
    warnings: string[];
    imageSize?: { width: number; height: number };
  },
): Promise<{ frame: LoadedFrame; sourceWidth: number; sourceHeight: number }> {
  if ('problem' in spec.pose) throw new ScanError(spec.pose.file, spec.pose.problem);
  if (!available.has(spec.imagePath)) throw new ScanError(spec.imagePath, 'is referenced but missing');
  const image = await decodeRgba(await source.read(spec.imagePath), spec.imagePath, ctx.decodeImage);
  if (!layout.mixedSizes && ctx.imageSize && (image.width !== ctx.imageSize.width || image.height !== ctx.imageSize.height)) {
    throw new ScanError(
      spec.imagePath,
      `is ${image.width}x${image.height} but the first frame is ${ctx.imageSize.width}x${ctx.imageSize.height}; this format needs one size for all frames`,
    );
  }
  const native = spec.intrinsics(image.width, image.height);
  const lens = new Lens(native, spec.distortion);
  const pinhole = lens.undistortedPinhole();
  // The image, and its mask with it: the mask must cover the same pixels.
  const undistort = (data: Uint8ClampedArray): Uint8ClampedArray => (spec.distortion ? undistortRgba(data, lens) : data);
  const transparent = image.hasAlpha && hasTransparency(image.data);
  const rgba = undistort(image.data);
  const size = trainingSize(image.width, image.height, ctx.longSide);
  // Taken before compositing: training puts the object on other backgrounds than the page's.
  const coverage = transparent ? alphaChannel(resizeRgba(rgba, image.width, image.height, size.width, size.height)) : undefined;
  if (image.hasAlpha || spec.distortion) composite(rgba, ctx.background);
  const k: Intrinsics = {
    fx: (pinhole.fx * size.width) / image.width,
    fy: (pinhole.fy * size.height) / image.height,
    cx: (pinhole.cx * size.width) / image.width,
    cy: (pinhole.cy * size.height) / image.height,
    ...size,
  };
  const frame: LoadedFrame = {
    name: spec.imagePath,
    sourceIndex: spec.sourceIndex,
    width: size.width,
    height: size.height,
    rgba: resizeRgba(rgba, image.width, image.height, size.width, size.height),
    intrinsics: k,
    c2wSource: spec.pose.c2w,
    ...(coverage ? { coverage } : {}),
  };
  if (spec.depthPath) {
    const depth = await optional(ctx.warnings, () => loadDepth(source, spec, image, lens, k, layout));
    if (depth) frame.depth = depth;
  }
  if (!frame.depth && spec.observedPoints) {
    const sparse = sparseDepthMap(spec.observedPoints, spec.pose.c2w, k);
    if (sparse) frame.sparseDepth = sparse;
  }
  if (spec.labelPath) {
    const labels = await optional(ctx.warnings, async () => {
      const map = decodePngScalar(await source.read(spec.labelPath!), spec.labelPath!);
      if (map.width !== image.width || map.height !== image.height) {
        throw new ScanError(
          spec.labelPath!,
          `is ${map.width}x${map.height} but its image ${spec.imagePath} is ${image.width}x${image.height}`,
        );
      }
      return resampleNearest(map.data, native, k, new Uint16Array(k.width * k.height), spec.distortion);
    });
    if (labels) frame.labels = labels;
  }
  let mask = spec.distortion ? lensCoverageMask(image, size, undistort) : undefined;
  if (spec.maskPath) {
    const maskPath = spec.maskPath;
    const of = { path: spec.imagePath, width: image.width, height: image.height };
    // Missing or unreadable: the frame stays, unmasked, and a warning says so.
    const fileMask = await optional(ctx.warnings, () => loadFrameMask(source, maskPath, of, size, undistort));
    mask = bothKept(mask, fileMask);
    if (fileMask && !mask!.includes(1)) throw new ScanError(maskPath, `masks out every pixel of ${spec.imagePath}: nothing to train on`);
  }
  if (mask && mask.includes(0)) {
    frame.mask = mask;
    clearMasked(mask, frame);
  }
  return { frame, sourceWidth: image.width, sourceHeight: image.height };
}

/** A problem of one frame's own files, which the rest of the scan loads past (not a WholeScanError). */
function frameProblem(e: unknown): e is ScanError {
  return e instanceof ScanError && !(e instanceof WholeScanError);
}

/** Depth or labels that fail are dropped for that frame, with a warning; the frame stays. */
async function optional<T>(warnings: string[], load: () => Promise<T>): Promise<T | undefined> {
  try {
    return await load();
  } catch (e) {
    if (!frameProblem(e)) throw e;
    warnings.push(`${e.message} (ignored for this frame)`);
    return undefined;
  }
}

/**
 * A frame's depth at its training intrinsics `k`. A depth map of the image's size shares the
 * image's lens; one of another size is a depth camera of its own (ScanNet), without distortion.
 */
async function loadDepth(
  source: ScanSource,
  spec: FrameSpec,
  image: RgbaImage,
  lens: Lens,
  k: Intrinsics,
  layout: ScanLayout,
): Promise<Float32Array> {
  const path = spec.depthPath!;
  const bytes = await source.read(path);
  // nerfstudio's depth: a 16-bit PNG or a NumPy array, both times depth_unit_scale_factor.
  const map = /\.npy$/i.test(path) ? decodeNpy(bytes, path) : decodePngScalar(bytes, path);
  let from = lens;
  if (map.width !== image.width || map.height !== image.height) {
    if (!layout.depthIntrinsics) {
      throw new ScanError(path, `is ${map.width}x${map.height} but its image ${spec.imagePath} is ${image.width}x${image.height}`);
    }
    from = new Lens(layout.depthIntrinsics(map.width, map.height));
  }
  const raw = resampleNearest(map.data, from.intrinsics, k, new Float32Array(k.width * k.height), from.distortion);
  for (let p = 0; p < raw.length; p++) {
    const v = raw[p]!;
    // Float depth (.npy) marks holes as NaN, inf or <= 0 as well as 0.
    raw[p] = v === layout.depthInvalid || !(v > 0 && v < Infinity) ? 0 : v * layout.depthScale;
  }
  return raw;
}

function alphaChannel(rgba: Uint8ClampedArray): Uint8Array {
  const alpha = new Uint8Array(rgba.length / 4);
  for (let p = 0; p < alpha.length; p++) alpha[p] = rgba[p * 4 + 3]!;
  return alpha;
}

function hasTransparency(rgba: Uint8ClampedArray): boolean {
  for (let p = 3; p < rgba.length; p += 4) if (rgba[p]! < 255) return true;
  return false;
}

function composite(rgba: Uint8ClampedArray, background: [number, number, number]): void {
  const bg = background.map((c) => c * 255);
  for (let p = 0; p < rgba.length; p += 4) {
    const a = rgba[p + 3]! / 255;
    if (a === 1) continue;
    for (let c = 0; c < 3; c++) rgba[p + c] = rgba[p + c]! * a + bg[c]! * (1 - a);
    rgba[p + 3] = 255;
  }
}

function normalisePose(c2w: Mat4, offset: [number, number, number], scale: number): Mat4 {
  const m = Float64Array.from(c2w);
  for (let a = 0; a < 3; a++) m[a * 4 + 3] = (c2w[a * 4 + 3]! - offset[a]!) * scale;
  return m;
}
