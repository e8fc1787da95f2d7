/**
 * nerfstudio / instant-ngp: transforms.json (or Blender's transforms_train.json) with
 * frames[].file_path and transform_matrix (OpenGL camera-to-world), intrinsics as
 * fl_x/fl_y/cx/cy/w/h or camera_angle_x, at the top or per frame, optional OpenCV distortion
 * k1 k2 p1 p2, aabb_scale, optional depth_file_path (16-bit PNG or .npy, times
 * depth_unit_scale_factor: millimetres by default, as nerfstudio), optional mask_path per frame
 * (0 = masked out) and applied_transform (kept, see nerfstudio-applied-transform.ts).
 */
import { openglToOpencv } from '../../math/camera-convention.ts';
import { poseProblem, toMat4 } from '../pose-check.ts';
import { fitIntrinsics, type Distortion, type FormatParser, type FrameSpec, type ScanLayout } from '../scan-layout.ts';
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

/** Camera keys of transforms.json; a frame's own keys override the top-level ones. */
interface CameraKeys {
  w?: number;
  h?: number;
  fl_x?: number;
  fl_y?: number;
  cx?: number;
  cy?: number;
  camera_angle_x?: number;
}

function cameraKeys(obj: Record<string, unknown>, file: string, inherited: CameraKeys = {}): CameraKeys {
  const out: CameraKeys = { ...inherited };
  for (const key of ['w', 'h', 'fl_x', 'fl_y', 'cx', 'cy', 'camera_angle_x'] as const) {
    const v = optionalNumber(obj, key, file);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/**
 * Intrinsics for an image of the given size. Missing values follow from the size: fx from
 * camera_angle_x, a centred principal point. nerfstudio and COLMAP already place pixel centres at
 * +0.5, so cx needs no shift.
 */
function intrinsicsFrom(k: CameraKeys): (width: number, height: number) => Intrinsics {
  return (width, height) => {
    const w = k.w ?? width;
    const h = k.h ?? height;
    const fx = k.fl_x ?? (0.5 * w) / Math.tan(0.5 * k.camera_angle_x!);
    return fitIntrinsics({ fx, fy: k.fl_y ?? fx, cx: k.cx ?? w / 2, cy: k.cy ?? h / 2, width: w, height: h }, width, height);
  };
}

function distortionOf(obj: Record<string, unknown>, file: string, inherited?: Distortion): Distortion | undefined {
  const keys = ['k1', 'k2', 'p1', 'p2'] as const;
  if (!keys.some((k) => obj[k] !== undefined)) return inherited;
  const d = { k1: 0, k2: 0, p1: 0, p2: 0, ...inherited };
  for (const k of keys) d[k] = optionalNumber(obj, k, file) ?? d[k];
  return d.k1 || d.k2 || d.p1 || d.p2 ? d : undefined;
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
    const topDistortion = distortionOf(json, file);
    let perFrameIntrinsics = false;
    const frames = (json.frames as unknown[]).map((raw, i): FrameSpec => {
      if (typeof raw !== 'object' || raw === null) throw new ScanError(file, `frames[${i}] should be an object`);
      const frame = raw as Record<string, unknown>;
      if (typeof frame.file_path !== 'string') throw new ScanError(file, `frames[${i}] is missing the key "file_path"`);
      const keys = cameraKeys(frame, file, top);
      perFrameIntrinsics ||= ['w', 'h', 'fl_x', 'camera_angle_x'].some((k) => frame[k] !== undefined);
      if (keys.fl_x === undefined && keys.camera_angle_x === undefined) {
        throw new ScanError(
          file,
          `has no intrinsics for frames[${i}]: give fl_x (with fl_y, cx, cy) or camera_angle_x, at the top or in the frame`,
        );
      }
      const spec: FrameSpec = {
        imagePath: resolveImage(frame.file_path, paths) ?? frame.file_path.replace(/^\.\//, ''),
        sourceIndex: i,
        pose: poseOf(frame, i, file),
        intrinsics: intrinsicsFrom(keys),
      };
      if (typeof frame.depth_file_path === 'string') spec.depthPath = resolveImage(frame.depth_file_path, paths) ?? frame.depth_file_path;
      if (frame.mask_path !== undefined) {
        if (typeof frame.mask_path !== 'string') throw new ScanError(file, `frames[${i}].mask_path should be a path (a string)`);
        spec.maskPath = resolveImage(frame.mask_path, paths) ?? frame.mask_path.replace(/^\.\//, '');
      }
      const distortion = distortionOf(frame, file, topDistortion);
      if (distortion) spec.distortion = distortion;
      return spec;
    });
    const aabbScale = optionalNumber(json, 'aabb_scale', file);
    const appliedTransform = appliedTransformOf(json, file);
    const warnings: string[] = [];
    const unused = unusedKeysWarning(json, file);
    if (unused) warnings.push(unused);
    const model = typeof json.camera_model === 'string' ? json.camera_model : 'OPENCV';
    if (/FISHEYE|EQUIRECTANGULAR/i.test(model) || ['k3', 'k4'].some((k) => json[k])) {
      warnings.push(
        `${file}: camera_model ${model} (or k3/k4) is not undistorted: only OpenCV k1 k2 p1 p2 are; images are used as they are`,
      );
    }
    return {
      format: 'nerfstudio',
      frames,
      depthScale: optionalNumber(json, 'depth_unit_scale_factor', file) ?? 0.001,
      mixedSizes: perFrameIntrinsics,
      ...(aabbScale !== undefined ? { aabbScale } : {}),
      ...(appliedTransform ? { appliedTransform } : {}),
      warnings,
    };
  },
};
