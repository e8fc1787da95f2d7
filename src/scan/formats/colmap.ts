/**
 * A COLMAP sparse model: cameras, images and points3D (.bin or .txt) in sparse/0/ (the mapper's
 * output), sparse/ (image_undistorter's output) or at the top of the folder, with the images in
 * images/ (the names in images.* are relative to it). Poses are world-to-camera quaternions with
 * OpenCV camera axes; pixel centres are at +0.5 already (COLMAP's top-left pixel centre is
 * (0.5, 0.5)). Every camera model a pinhole with a lens model covers is undistorted on load; the
 * 3D points widen the scene bounds and are kept as the scan's sparse points; those an image
 * observes (its tracks) become that frame's sparse depth.
 */
import type { Mat4 } from '../../math/camera-convention.ts';
import { rotationFromQuaternion } from '../../math/quaternion.ts';
import {
  parseCamerasBinary,
  parseCamerasText,
  parseImagesBinary,
  parseImagesText,
  parsePointsBinary,
  parsePointsText,
  type ColmapCamera,
  type ColmapPoints,
  type ColmapImage,
} from '../colmap-model.ts';
import { sortByFrameNumber } from '../frame-numbers.ts';
import { checkIntrinsics } from '../camera-checks.ts';
import { fisheye, radialTangential, type LensDistortion } from '../lens-distortion.ts';
import { poseProblem } from '../pose-check.ts';
import { fitIntrinsics, type FormatParser, type FrameSpec, type ScanLayout } from '../scan-layout.ts';
import { ScanError } from '../scan-error.ts';
import type { ScanSource } from '../scan-source.ts';
import { readText } from '../scan-text.ts';
import type { Intrinsics } from '../scan.ts';

/** Where the model may be, in order of preference. */
const MODEL_FOLDERS = ['sparse/0/', 'sparse/', ''];
const IMAGE_FOLDER = 'images/';

/** The model's file `name` in `folder`, binary preferred (COLMAP writes one or the other). */
function modelFile(paths: readonly string[], folder: string, name: string): string | undefined {
  return [`${folder}${name}.bin`, `${folder}${name}.txt`].find((p) => paths.includes(p));
}

function modelFolder(paths: readonly string[]): string | undefined {
  return MODEL_FOLDERS.find((folder) => modelFile(paths, folder, 'cameras') && modelFile(paths, folder, 'images'));
}

async function readModelFile<T>(
  source: ScanSource,
  file: string,
  binary: (bytes: Uint8Array, file: string) => T,
  text: (text: string, file: string) => T,
): Promise<T> {
  return file.endsWith('.bin') ? binary(await source.read(file), file) : text(await readText(source, file), file);
}

/** Each supported model's lens from its parameters after the focal length and principal point. */
const LENS_OF_MODEL: Record<string, (k: number[]) => LensDistortion | undefined> = {
  SIMPLE_PINHOLE: () => undefined,
  PINHOLE: () => undefined,
  SIMPLE_RADIAL: ([k1]) => radialTangential({ k1 }),
  RADIAL: ([k1, k2]) => radialTangential({ k1, k2 }),
  OPENCV: ([k1, k2, p1, p2]) => radialTangential({ k1, k2, p1, p2 }),
  OPENCV_FISHEYE: ([k1, k2, k3, k4]) => fisheye({ k1, k2, k3, k4 }),
  FULL_OPENCV: ([k1, k2, p1, p2, k3, k4, k5, k6]) => radialTangential({ k1, k2, p1, p2, k3, k4, k5, k6 }),
};

/** A COLMAP camera as intrinsics (for its own image size, checked) and lens. */
function cameraLens(c: ColmapCamera, file: string): { intrinsics: Intrinsics; distortion: LensDistortion | undefined } {
  const p = c.params;
  // The SIMPLE_ models and RADIAL have one focal length: f cx cy; the others fx fy cx cy.
  const oneFocal = ['SIMPLE_PINHOLE', 'SIMPLE_RADIAL', 'RADIAL'].includes(c.model);
  const [fx, fy, cx, cy] = oneFocal ? [p[0]!, p[0]!, p[1]!, p[2]!] : [p[0]!, p[1]!, p[2]!, p[3]!];
  const intrinsics = { fx, fy, cx, cy, width: c.width, height: c.height };
  const key = (name: string): string => `${c.where}'s ${name}`;
  checkIntrinsics(intrinsics, file, {
    fx: key(oneFocal ? 'f' : 'fx'),
    fy: key(oneFocal ? 'f' : 'fy'),
    cx: key('cx'),
    cy: key('cy'),
    width: key('width'),
    height: key('height'),
  });
  return {
    intrinsics,
    distortion: LENS_OF_MODEL[c.model]!(p.slice(oneFocal ? 3 : 4)),
  };
}

/** Camera-to-world from COLMAP's world-to-camera (R from the quaternion, t): [Rᵀ | -Rᵀ t]. */
function poseOf(image: ColmapImage, file: string): FrameSpec['pose'] {
  const r = rotationFromQuaternion(...image.q);
  if (!r) return { problem: `${image.where}: image ${image.id}'s quaternion is zero or not finite`, file };
  const m: Mat4 = new Float64Array(16);
  for (let row = 0; row < 3; row++) {
    for (let col = 0; col < 3; col++) m[row * 4 + col] = r[col * 3 + row]!;
    m[row * 4 + 3] = -(r[row]! * image.t[0] + r[3 + row]! * image.t[1] + r[6 + row]! * image.t[2]);
  }
  m[15] = 1;
  const problem = poseProblem(m);
  return problem ? { problem: `${image.where}: image ${image.id}'s pose ${problem}`, file } : { c2w: m };
}

/** Per image id, the positions (xyz, source units) of the points its track lists it in. */
function observedPoints(points: ColmapPoints): Map<number, Float64Array> {
  const lists = new Map<number, number[]>();
  for (let p = 0; p + 1 < points.trackStart.length; p++) {
    for (let e = points.trackStart[p]!; e < points.trackStart[p + 1]!; e++) {
      const image = points.trackImages[e]!;
      let list = lists.get(image);
      if (!list) lists.set(image, (list = []));
      list.push(points.xyz[p * 3]!, points.xyz[p * 3 + 1]!, points.xyz[p * 3 + 2]!);
    }
  }
  return new Map([...lists].map(([image, xyz]) => [image, Float64Array.from(xyz)]));
}

export const colmap: FormatParser = {
  format: 'colmap',
  signature: 'sparse/0/cameras.bin and images.bin (or .txt) with images/ (COLMAP sparse model)',
  detect: (paths) => modelFolder(paths) !== undefined,
  async parse(source): Promise<ScanLayout> {
    const folder = modelFolder(source.paths)!;
    const camerasFile = modelFile(source.paths, folder, 'cameras')!;
    const imagesFile = modelFile(source.paths, folder, 'images')!;
    const pointsFile = modelFile(source.paths, folder, 'points3D');
    const cameras = new Map(
      (await readModelFile(source, camerasFile, parseCamerasBinary, parseCamerasText)).map((c) => [
        c.id,
        { camera: c, ...cameraLens(c, camerasFile) },
      ]),
    );
    const images = await readModelFile(source, imagesFile, parseImagesBinary, parseImagesText);
    if (!images.length) throw new ScanError(imagesFile, 'holds no images');
    if (!source.paths.some((p) => p.startsWith(IMAGE_FOLDER))) {
      throw new ScanError(
        IMAGE_FOLDER,
        `is missing: ${imagesFile} names images in images/, beside sparse/: drop the folder that holds both`,
      );
    }
    const points = pointsFile ? await readModelFile(source, pointsFile, parsePointsBinary, parsePointsText) : undefined;
    const observed = points ? observedPoints(points) : new Map<number, Float64Array>();
    const byName = new Map(images.map((image) => [image.name, image]));
    const frames = sortByFrameNumber([...byName.keys()]).map((name, index): FrameSpec => {
      const image = byName.get(name)!;
      const camera = cameras.get(image.cameraId);
      if (!camera) {
        throw new ScanError(
          imagesFile,
          `${image.where}: image ${image.id} (${name}) has camera id ${image.cameraId}, which ${camerasFile} does not hold`,
        );
      }
      return {
        imagePath: IMAGE_FOLDER + name,
        sourceIndex: index,
        pose: poseOf(image, imagesFile),
        intrinsics: (width, height) => fitIntrinsics(camera.intrinsics, width, height),
        ...(camera.distortion ? { distortion: camera.distortion } : {}),
        ...(observed.has(image.id) ? { observedPoints: observed.get(image.id)! } : {}),
      };
    });
    const warnings: string[] = [];
    if (byName.size < images.length) warnings.push(`${imagesFile}: ${images.length - byName.size} image names appear twice; used once`);
    const others = new Set(
      source.paths.filter((p) => /^sparse\/\d+\/cameras\.(bin|txt)$/.test(p) && !p.startsWith(folder)).map((p) => p.split('/')[1]),
    );
    if (folder === 'sparse/0/' && others.size) {
      warnings.push(`sparse/ holds ${others.size + 1} models (COLMAP split the reconstruction); loaded sparse/0`);
    }
    const usedSizes = new Set(images.map((image) => cameras.get(image.cameraId)!.camera).map((c) => `${c.width}x${c.height}`));
    return {
      format: 'colmap',
      frames,
      depthScale: 1,
      mixedSizes: usedSizes.size > 1,
      ...(points ? { points: points.xyz } : {}),
      warnings,
    };
  },
};
