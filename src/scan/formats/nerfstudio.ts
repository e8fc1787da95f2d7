/**
 * nerfstudio / instant-ngp: transforms.json (or Blender's transforms_train.json) with
 * frames[].file_path and transform_matrix (OpenGL camera-to-world), intrinsics as
 * fl_x/fl_y/cx/cy/w/h or camera_angle_x, at the top or per frame, camera_model with its distortion
 * (OPENCV k1 k2 k3 p1 p2, OPENCV_FISHEYE k1..k4), also at the top or per frame, aabb_scale,
 * optional depth_file_path (16-bit PNG or .npy, times depth_unit_scale_factor: millimetres by
 * default, as nerfstudio), optional mask_path per frame (0 = masked out) and applied_transform
 * (kept, see nerfstudio-applied-transform.ts).
 */
import { openglToOpencv } from '../../math/camera-convention.ts';
import { checkDepthScale, checkFieldOfView, checkIntrinsics } from '../camera-checks.ts';
import { poseProblem, toMat4 } from '../pose-check.ts';
import { fisheye, radialTangential, type LensDistortion } from '../lens-distortion.ts';
import { fitIntrinsics, type FormatParser, type FrameSpec, type ScanLayout } from '../scan-layout.ts';
import { ScanError } from '../scan-error.ts';
import { optionalNumber, readJson } from '../scan-text.ts';
import type { Intrinsics } from '../scan.ts';
import { appliedTransformOf } from './nerfstudio-applied-transform.ts';
import { unusedKeysWarning } from './nerfstudio-unused-keys.ts';

const FILES = ['transforms.json', 'transforms_train.json'];
const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.PNG', '.JPG', '.JPEG', '.webp'];

/** Relative to the JSON's folder, without "./", extension added when the file has none. */
function resolveImage(filePath: string, paths: Set<string>): string | null {
  const clean = filePath.replace(/\\/g, '/').replace(/^\.\//, '');
  if (paths.has(clean)) return clean;
  for (const ext of IMAGE_EXTENSIONS) if (paths.has(clean + ext)) return clean + ext;
  return null;
}

const CAMERA_KEYS = ['w', 'h', 'fl_x', 'fl_y', 'cx', 'cy', 'camera_angle_x'] as const;
type CameraKey = (typeof CAMERA_KEYS)[number];

/**
 * Camera keys of transforms.json; a frame's own keys override the top-level ones. Each value
 * keeps where it was written ("fl_x", "frames[3].fl_x"), for messages.
 */
interface CameraKeys {
  values: Partial<Record<CameraKey, number>>;
  names: Record<CameraKey, string>;
}

function cameraKeys(obj: Record<string, unknown>, file: string, inherited?: CameraKeys, where = ''): CameraKeys {
  const out: CameraKeys = inherited
    ? { values: { ...inherited.values }, names: { ...inherited.names } }
    : { values: {}, names: Object.fromEntries(CAMERA_KEYS.map((k) => [k, k])) as Record<CameraKey, string> };
  for (const key of CAMERA_KEYS) {
    const v = optionalNumber(obj, key, file);
    if (v === undefined) continue;
    out.values[key] = v;
    out.names[key] = where + key;
  }
  if (obj.camera_angle_x !== undefined) checkFieldOfView(out.values.camera_angle_x!, file, out.names.camera_angle_x);
  return out;
}

/**
 * Intrinsics for an image of the given size, checked as stated. Missing values follow from the
 * size: fx from camera_angle_x, a centred principal point. nerfstudio and COLMAP already place
 * pixel centres at +0.5, so cx needs no shift.
 */
function intrinsicsFrom({ values: k, names }: CameraKeys, file: string): (width: number, height: number) => Intrinsics {
  const fxKey = k.fl_x !== undefined ? names.fl_x : names.camera_angle_x;
  return (width, height) => {
    const w = k.w ?? width;
    const h = k.h ?? height;
    const fx = k.fl_x ?? (0.5 * w) / Math.tan(0.5 * k.camera_angle_x!);
    const stated = { fx, fy: k.fl_y ?? fx, cx: k.cx ?? w / 2, cy: k.cy ?? h / 2, width: w, height: h };
    checkIntrinsics(stated, file, {
      fx: fxKey,
      fy: k.fl_y !== undefined ? names.fl_y : fxKey,
      cx: names.cx,
      cy: names.cy,
      ...(k.w !== undefined ? { width: names.w } : {}),
      ...(k.h !== undefined ? { height: names.h } : {}),
    });
    return fitIntrinsics(stated, width, height);
  };
}

/** nerfstudio's perspective camera models: radial-tangential distortion (all of it zero for the pinholes). */
const PERSPECTIVE_MODELS = ['OPENCV', 'PINHOLE', 'SIMPLE_PINHOLE', 'SIMPLE_RADIAL', 'RADIAL'];
const FISHEYE_MODEL = 'OPENCV_FISHEYE';

/** The lens keys of transforms.json; a frame's own keys override the top-level ones. */
interface LensKeys {
  camera_model: string;
  k1: number;
  k2: number;
  k3: number;
  k4: number;
  p1: number;
  p2: number;
}

function lensKeys(obj: Record<string, unknown>, file: string, inherited?: LensKeys): LensKeys {
  const out: LensKeys = inherited ? { ...inherited } : { camera_model: 'OPENCV', k1: 0, k2: 0, k3: 0, k4: 0, p1: 0, p2: 0 };
  if (obj.camera_model !== undefined) {
    if (typeof obj.camera_model !== 'string')
      throw new ScanError(file, `"camera_model" should be a string, found ${JSON.stringify(obj.camera_model)}`);
    out.camera_model = obj.camera_model;
  }
  for (const key of ['k1', 'k2', 'k3', 'k4', 'p1', 'p2'] as const) out[key] = optionalNumber(obj, key, file) ?? out[key];
  return out;
}

/**
 * The lens of a camera_model and its keys, or why it cannot be used. nerfstudio's perspective
 * models put k4 on r⁸ (OpenCV's rational model puts it in a denominator): that term is left out,
 * with a warning, as no capture tool writes it.
 */
function lensOf(keys: LensKeys): { distortion: LensDistortion | undefined; ignoredK4: boolean } | { unsupported: string } {
  const { camera_model: model, k1, k2, k3, k4, p1, p2 } = keys;
  if (model === FISHEYE_MODEL) return { distortion: fisheye({ k1, k2, k3, k4 }), ignoredK4: false };
  if (!PERSPECTIVE_MODELS.includes(model)) return { unsupported: model };
  return { distortion: radialTangential({ k1, k2, k3, p1, p2 }), ignoredK4: k4 !== 0 };
}

function unsupportedModel(model: string): string {
  return `camera_model ${model} is not supported: a pinhole camera cannot show its images (supported: ${PERSPECTIVE_MODELS.join(', ')}, ${FISHEYE_MODEL})`;
}

function poseOf(frame: Record<string, unknown>, i: number, file: string): FrameSpec['pose'] {
  const m = frame.transform_matrix;
  if (m === undefined) throw new ScanError(file, `frames[${i}] is missing the key "transform_matrix"`);
  const flat = Array.isArray(m) ? (m.flat() as unknown[]) : [];
  if (flat.length !== 16 || flat.some((v) => typeof v !== 'number')) {
    return { problem: `frames[${i}].transform_matrix should be 4x4 numbers`, file };
  }
  const problem = poseProblem(flat as number[]);
  return problem ? { problem: `frames[${i}].transform_matrix ${problem}`, file } : { c2w: openglToOpencv(toMat4(flat as number[])) };
}

/** nerfstudio's depth_unit_scale_factor: millimetres unless the file says otherwise. */
function depthScaleOf(json: Record<string, unknown>, file: string): number {
  const stated = optionalNumber(json, 'depth_unit_scale_factor', file);
  return stated === undefined ? 0.001 : checkDepthScale(stated, file, 'depth_unit_scale_factor', 'metres per depth unit');
}

export const nerfstudio: FormatParser = {
  format: 'nerfstudio',
  signature: 'transforms.json or transforms_train.json (nerfstudio / instant-ngp / Blender)',
  detect: (paths) => FILES.some((f) => paths.includes(f)),
  async parse(source): Promise<ScanLayout> {
    const file = FILES.find((f) => source.paths.includes(f))!;
    const json = await readJson(source, file);
    if (!Array.isArray(json.frames))
      throw new ScanError(file, json.frames === undefined ? 'is missing the key "frames"' : '"frames" should be a list');
    if (json.frames.length === 0) throw new ScanError(file, '"frames" is empty');
    const paths = new Set(source.paths);
    const top = cameraKeys(json, file);
    const topLens = lensKeys(json, file);
    let perFrameIntrinsics = false;
    let ignoredK4 = false;
    const unsupported: string[] = [];
    const frames = (json.frames as unknown[]).map((raw, i): FrameSpec => {
      if (typeof raw !== 'object' || raw === null) throw new ScanError(file, `frames[${i}] should be an object`);
      const frame = raw as Record<string, unknown>;
      if (typeof frame.file_path !== 'string') throw new ScanError(file, `frames[${i}] is missing the key "file_path"`);
      const keys = cameraKeys(frame, file, top, `frames[${i}].`);
      perFrameIntrinsics ||= ['w', 'h', 'fl_x', 'camera_angle_x'].some((k) => frame[k] !== undefined);
      if (keys.values.fl_x === undefined && keys.values.camera_angle_x === undefined) {
        throw new ScanError(
          file,
          `has no intrinsics for frames[${i}]: give fl_x (with fl_y, cx, cy) or camera_angle_x, at the top or in the frame`,
        );
      }
      const lens = lensOf(lensKeys(frame, file, topLens));
      const spec: FrameSpec = {
        imagePath: resolveImage(frame.file_path, paths) ?? frame.file_path.replace(/^\.\//, ''),
        sourceIndex: i,
        pose: poseOf(frame, i, file),
        intrinsics: intrinsicsFrom(keys, file),
      };
      if (typeof frame.depth_file_path === 'string') spec.depthPath = resolveImage(frame.depth_file_path, paths) ?? frame.depth_file_path;
      if (frame.mask_path !== undefined) {
        if (typeof frame.mask_path !== 'string') throw new ScanError(file, `frames[${i}].mask_path should be a path (a string)`);
        spec.maskPath = resolveImage(frame.mask_path, paths) ?? frame.mask_path.replace(/^\.\//, '');
      }
      if ('unsupported' in lens) {
        // The frame is skipped (with the reason) unless no frame is usable.
        unsupported.push(lens.unsupported);
        spec.pose = { problem: `frames[${i}] ${unsupportedModel(lens.unsupported)}`, file };
      } else {
        if (lens.distortion) spec.distortion = lens.distortion;
        ignoredK4 ||= lens.ignoredK4;
      }
      return spec;
    });
    const aabbScale = optionalNumber(json, 'aabb_scale', file);
    if (unsupported.length === frames.length) throw new ScanError(file, unsupportedModel([...new Set(unsupported)].join(', ')));
    const appliedTransform = appliedTransformOf(json, file);
    const warnings: string[] = [];
    const unused = unusedKeysWarning(json, file);
    if (unused) warnings.push(unused);
    if (ignoredK4) warnings.push(`${file}: k4 of a perspective camera_model (the r⁸ term) is not undistorted: only k1 k2 k3 p1 p2 are`);
    return {
      format: 'nerfstudio',
      frames,
      depthScale: depthScaleOf(json, file),
      mixedSizes: perFrameIntrinsics,
      ...(aabbScale !== undefined ? { aabbScale } : {}),
      ...(appliedTransform ? { appliedTransform } : {}),
      warnings,
    };
  },
};
