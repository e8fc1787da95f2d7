/**
 * What a format parser reads from a scan's text files, before any image is decoded: which image,
 * depth and label file each frame has, its pose and intrinsics. `load-scan.ts` does the rest
 * (decoding, checks, resizing, bounds) the same way for every format.
 */
import type { Mat4 } from '../math/camera-convention.ts';
import { checkIntrinsics } from './camera-checks.ts';
import type { LensDistortion } from './lens-distortion.ts';
import type { ClassName, Intrinsics, ScanFormat } from './scan.ts';
import type { ScanSource } from './scan-source.ts';

export interface FrameSpec {
  imagePath: string;
  depthPath?: string;
  labelPath?: string;
  /** A PNG of the pixels to use (0 = masked out: never trained on nor scored). */
  maskPath?: string;
  sourceIndex: number;
  /** Camera-to-world, OpenCV axes, source units; or the reason it is unusable. */
  pose: { c2w: Mat4 } | { problem: string; file: string };
  /**
   * Intrinsics (continuous pixel coordinates) for the image's actual size, before undistortion;
   * a CameraError where the file's camera numbers are wrong (camera-checks.ts).
   */
  intrinsics: (width: number, height: number) => Intrinsics;
  /** The lens of the image (and of its depth and labels), undone on load. */
  distortion?: LensDistortion;
  /** Reconstructed 3D points this image observes (COLMAP's tracks), xyz in source units: a sparse depth prior. */
  observedPoints?: Float64Array;
}

export interface ScanLayout {
  format: ScanFormat;
  frames: FrameSpec[];
  /** Metres per unit of the depth PNGs. */
  depthScale: number;
  /** A depth PNG value that means "no depth" besides 0 (7-Scenes writes 65535). */
  depthInvalid?: number;
  /** Depth images of another size than the colour images: their own intrinsics, for a depth map's size (ScanNet). */
  depthIntrinsics?: (width: number, height: number) => Intrinsics;
  /** Whether frames may have different image sizes (per-frame intrinsics in transforms.json). */
  mixedSizes: boolean;
  /** The format's default names of its label ids (ScanNet: NYU40); a classes.json beside the scan overrides them. */
  classes?: ClassName[];
  /** Points the format's own reconstruction placed in the scene (COLMAP's points3D), xyz in source units. */
  points?: Float64Array;
  /** instant-ngp's scene extent relative to the cameras' unit cube. */
  aabbScale?: number;
  /** nerfstudio's applied_transform (the poses as given = it · the original poses), as a 4x4. */
  appliedTransform?: Mat4;
  warnings: string[];
}

export interface FormatParser {
  format: ScanFormat;
  /** Cheap test on the file list alone. */
  detect(paths: readonly string[]): boolean;
  /** What the detector looks for, for the "unrecognised layout" message. */
  signature: string;
  parse(source: ScanSource): Promise<ScanLayout>;
}

/** Intrinsics from a 3x3 (or 4x4) matrix written with integer pixel centres (OpenCV calibration). */
export function intrinsicsFromMatrix(k: number[], cols: number, width: number, height: number): Intrinsics {
  return { fx: k[0]!, fy: k[cols + 1]!, cx: k[2]! + 0.5, cy: k[cols + 2]! + 0.5, width, height };
}

/**
 * A camera calibrated as a 3x3 (or 4x4) matrix without an image size (ScanNet, 3DMatch), for an
 * image of the given size: its numbers checked, named by their place in `file`'s matrix.
 */
export function matrixCamera(k: number[], cols: number, file: string): (width: number, height: number) => Intrinsics {
  const at = (row: number, col: number): string => `(row ${row}, column ${col})`;
  const keys = { fx: `fx ${at(1, 1)}`, fy: `fy ${at(2, 2)}`, cx: `cx ${at(1, 3)}`, cy: `cy ${at(2, 3)}` };
  return (width, height) => {
    const intrinsics = intrinsicsFromMatrix(k, cols, width, height);
    checkIntrinsics(intrinsics, file, keys);
    return intrinsics;
  };
}

/**
 * Stated intrinsics for an image of another size (a downscaled copy of the images): scaled with
 * it. Exact in continuous pixel coordinates.
 */
export function fitIntrinsics(k: Intrinsics, width: number, height: number): Intrinsics {
  if (k.width === width && k.height === height) return k;
  const sx = width / k.width;
  const sy = height / k.height;
  return { fx: k.fx * sx, fy: k.fy * sy, cx: k.cx * sx, cy: k.cy * sy, width, height };
}

/** The 90 degree horizontal field of view of Replica renders, square pixels, centred. */
export function replicaIntrinsics(width: number, height: number): Intrinsics {
  const f = width / 2;
  return { fx: f, fy: f, cx: width / 2, cy: height / 2, width, height };
}
