/**
 * The one scan model every format is converted to.
 *
 * Conventions (the same for every format):
 * - Poses are camera-to-world, row-major 4x4, OpenCV camera axes (x right, y down, z forward).
 * - Intrinsics use continuous pixel coordinates: pixel (i, j) covers [i, i+1) x [j, j+1), its
 *   centre is (i + 0.5, j + 0.5). Formats written with integer pixel centres (OpenCV calibration:
 *   ScanNet, 7-Scenes, NICE-SLAM, Semantic-NeRF's Replica) get +0.5 on cx and cy.
 * - `frames[].c2w` and depths are in the normalised scene: the bounds of the scan scaled
 *   uniformly into the unit cube [0, 1]^3 (see `normalisation`); metres are kept alongside.
 * - Images, depth and labels are at the training resolution (long side 320 by default), and
 *   undistorted: `intrinsics` are those of an ideal pinhole (see lens-distortion.ts).
 */
import type { Mat4 } from '../math/camera-convention.ts';

export type ScanFormat = 'nerfstudio' | 'colmap' | 'replica-semantic-nerf' | 'replica-nice-slam' | 'scannet' | '7scenes';

export const FORMAT_LABELS: Record<ScanFormat, string> = {
  nerfstudio: 'nerfstudio / instant-ngp transforms.json',
  colmap: 'COLMAP sparse model',
  'replica-semantic-nerf': 'Replica (Semantic-NeRF layout)',
  'replica-nice-slam': 'Replica (NICE-SLAM layout)',
  scannet: 'ScanNet export',
  '7scenes': '7-Scenes / 3DMatch',
};

export interface Intrinsics {
  fx: number;
  fy: number;
  cx: number;
  cy: number;
  width: number;
  height: number;
}

export interface ScanFrame {
  /** The image's path inside the scan folder. */
  name: string;
  /** Position in the scan's own numbering (file number or frame list order). */
  sourceIndex: number;
  width: number;
  height: number;
  /** sRGB, RGBA8, row-major; alpha is 255 (RGBA inputs are composited on `Scan.background`). */
  rgba: Uint8ClampedArray;
  /** z-depth in metres, 0 = missing. */
  depth?: Float32Array;
  /**
   * A frame without a depth map: z-depth (source units) where a reconstructed 3D point it observes
   * lands (COLMAP's tracks), 0 elsewhere. Training's depth prior only (sparse-depth.ts).
   */
  sparseDepth?: Float32Array;
  /** Ground-truth class id per pixel, 0 = void (also wherever `mask` masks the pixel out). */
  labels?: Uint16Array;
  /**
   * Which pixels may be trained on and scored: 1 = keep, 0 = masked out (a nerfstudio mask_path,
   * or the corners an undistorted lens does not reach; none = every pixel). Masked pixels also
   * have no depth and no label.
   */
  mask?: Uint8Array;
  /**
   * Opacity (0..255) of each pixel of a photo with transparent pixels (an object capture on no
   * background); none for an opaque photo. `rgba` is composited on `Scan.background`; training
   * composites the same pixels on other backgrounds from it.
   */
  coverage?: Uint8Array;
  intrinsics: Intrinsics;
  /** Camera-to-world in the normalised scene. */
  c2w: Mat4;
  /** Camera-to-world in the scan's own units (metres for the depth formats). */
  c2wSource: Mat4;
}

export interface ClassName {
  id: number;
  name: string;
  known?: boolean;
}

export interface Scan {
  format: ScanFormat;
  /** The folder or zip the scan came from. */
  sourceName: string;
  frames: ScanFrame[];
  /** Size of the images on disk (frame 0). */
  imageSize: { width: number; height: number };
  trainingSize: { width: number; height: number };
  hasDepth: boolean;
  hasLabels: boolean;
  classes?: ClassName[];
  /** The program that wrote the scan, as its scene.json says (PROJECT_GENERATOR for the project's rooms), or null. */
  generator: string | null;
  /**
   * The sparse 3D points of a structure-from-motion reconstruction (COLMAP's points3D), xyz in the
   * scan's own units: a depth prior where the pipeline can use it. Today only the scene bounds use
   * them.
   */
  sparsePoints?: Float32Array;
  /** Scene bounds in the scan's own units, from the camera centres, the depth points and the sparse points. */
  bounds: { min: [number, number, number]; max: [number, number, number] };
  /**
   * The world transform the scan's writer applied to its original poses (nerfstudio's
   * applied_transform, 4x4 row-major): poses in the source = it · the original poses. The poses
   * are used as given; this only serves to align data in the original frame (a COLMAP model).
   */
  appliedTransform?: Mat4;
  /** p_normalised = (p_source - offset) * scale. */
  normalisation: { offset: [number, number, number]; scale: number };
  /** Background colour (sRGB 0..1) that transparent pixels were composited on. */
  background: [number, number, number];
  /** Whether some image had transparent pixels (an object capture on no background, as Blender's). */
  transparent: boolean;
  /** Problems that did not stop the load: skipped frames, guessed intrinsics... */
  warnings: string[];
}

/** A file beside any scan that says how it was made (the project's generator writes one). */
export const SCENE_FILE = 'scene.json';

/** The `generator` of the project's own generated rooms (src/synth/). */
export const PROJECT_GENERATOR = 'neurncd-web synthetic room';
