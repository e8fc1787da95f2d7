/**
 * Camera and depth numbers that would reach training as NaN or infinity: a bad focal length,
 * field of view, image size or depth scale is one error naming the file and the key; a bad pose
 * skips its frame with a warning; bounds too large to normalise are an error.
 */
import { describe, expect, it } from 'vitest';
import { decodeImageNode } from '../../src/cli/node-image-decoder.ts';
import { loadScan } from '../../src/scan/load-scan.ts';
import { ScanError } from '../../src/scan/scan-error.ts';
import { MemorySource } from '../../src/scan/scan-source.ts';
import { colmapText, toColmap } from '../helpers/colmap-files.ts';
import {
  editFiles,
  editTransforms,
  makeFixture,
  toNerfstudio,
  toNiceSlam,
  toScanNet,
  toSevenScenes,
  writeFiles,
  type Files,
  type Transforms,
} from '../helpers/scan-fixtures.ts';
import { runCli } from '../helpers/scan-files.ts';

// 64x48 images, fx = fy = 32 (a 90° horizontal field of view).
const fixture = makeFixture(6, 64, 48, 9);
const nerfstudio = toNerfstudio(fixture);
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

const load = (files: Files) => loadScan(new MemorySource('my-scan', files), { decodeImage: decodeImageNode });
const transformsWith = (change: (t: Transforms) => void): Files => editTransforms(nerfstudio, change);

/** The error a load fails with (the test fails if it loads). */
async function loadError(files: Files): Promise<Error> {
  const result = await load(files).then(
    () => null,
    (e: unknown) => e,
  );
  expect(result, 'the scan loaded').toBeInstanceOf(Error);
  return result as Error;
}

/** transforms.json with camera_angle_x in place of fl_x, fl_y, cx, cy, w, h (Blender's way). */
const withAngle = (angle: number) =>
  transformsWith((t) => {
    for (const k of ['fl_x', 'fl_y', 'cx', 'cy', 'w', 'h']) delete t[k];
    t.camera_angle_x = angle;
  });

/** Frame i's OpenGL camera-to-world as transforms.json holds it, changed in place by `change`. */
const withPose = (t: Transforms, i: number, change: (rows: number[][]) => void): void =>
  change(t.frames[i]!.transform_matrix as number[][]);

const scanNet = toScanNet(fixture);
const colmap = toColmap(fixture, { camera: { model: 'SIMPLE_PINHOLE' } });
const FOCAL = 'a focal length must be a positive number of pixels';
const FIELD_OF_VIEW = 'a field of view must be between 0.01° and 179° (0.000175 to 3.12 radians)';

describe('bad intrinsics and depth scales: one error naming the file and the key', () => {
  it.each<[string, Files, string]>([
    ['a focal length of 0', transformsWith((t) => (t.fl_x = 0)), `transforms.json: fl_x is 0: ${FOCAL}`],
    ['a negative focal length', transformsWith((t) => (t.fl_y = -32)), `transforms.json: fl_y is -32: ${FOCAL}`],
    [
      'a focal length of 1e-300 (a field of view of 180°)',
      transformsWith((t) => (t.fl_x = 1e-300)),
      "transforms.json: fl_x is 1e-300: across an image 64 pixels wide that is a field of view of 180°; a camera's is between 0.01° and 179°",
    ],
    [
      'a focal length of 1e308 (a field of view of nothing)',
      // 2·atan(24 / 1e308) = 4.8e-307 radians = 2.75e-305°.
      transformsWith((t) => (t.fl_y = 1e308)),
      "transforms.json: fl_y is 1e+308: across an image 48 pixels high that is a field of view of 2.75e-305°; a camera's is between 0.01° and 179°",
    ],
    [
      'a frame of its own with a focal length of 0',
      transformsWith((t) => (t.frames[3]!.fl_x = 0)),
      `transforms.json: frames[3].fl_x is 0: ${FOCAL}`,
    ],
    ['camera_angle_x 0', withAngle(0), `transforms.json: camera_angle_x is 0: ${FIELD_OF_VIEW}`],
    ['camera_angle_x pi', withAngle(Math.PI), `transforms.json: camera_angle_x is 3.141592653589793: ${FIELD_OF_VIEW}`],
    [
      'a frame of its own with camera_angle_x pi',
      transformsWith((t) => (t.frames[2]!.camera_angle_x = Math.PI)),
      `transforms.json: frames[2].camera_angle_x is 3.141592653589793: ${FIELD_OF_VIEW}`,
    ],
    ['w = h = 0', transformsWith((t) => (t.w = t.h = 0)), 'transforms.json: w is 0: an image size must be a positive number of pixels'],
    [
      'depth_unit_scale_factor 1e308',
      transformsWith((t) => (t.depth_unit_scale_factor = 1e308)),
      'transforms.json: depth_unit_scale_factor is 1e+308: a depth scale must be between 0.000001 and 1000 metres per depth unit',
    ],
    [
      'depth_unit_scale_factor -1',
      transformsWith((t) => (t.depth_unit_scale_factor = -1)),
      'transforms.json: depth_unit_scale_factor is -1: a depth scale must be between 0.000001 and 1000 metres per depth unit',
    ],
    [
      'a ScanNet intrinsic file with fx 0',
      editFiles(scanNet, (f) => f.set('intrinsic/intrinsic_color.txt', enc('0 0 31.5 0\n0 32 23.5 0\n0 0 1 0\n0 0 0 1\n'))),
      `intrinsic/intrinsic_color.txt: fx (row 1, column 1) is 0: ${FOCAL}`,
    ],
    [
      'a 3DMatch camera-intrinsics.txt with fx 1e308 (checked against the image it comes with)',
      editFiles(toSevenScenes(fixture), (f) => f.set('camera-intrinsics.txt', enc('1e308 0 31.5\n0 32 23.5\n0 0 1\n'))),
      "camera-intrinsics.txt: fx (row 1, column 1) is 1e+308: across an image 64 pixels wide that is a field of view of 3.67e-305°; a camera's is between 0.01° and 179°",
    ],
    [
      'a COLMAP camera with a focal length of 0',
      // cameras.txt: a comment line, then camera 1 on line 2: SIMPLE_PINHOLE 64 48 f cx cy.
      new Map([...colmap.files, ...colmapText({ ...colmap.rows, cameras: [{ ...colmap.rows.cameras[0]!, params: [0, 32, 24] }] })]),
      `sparse/0/cameras.txt: line 2: camera 1's f is 0: ${FOCAL}`,
    ],
    [
      'a COLMAP camera 0 pixels wide',
      new Map([...colmap.files, ...colmapText({ ...colmap.rows, cameras: [{ ...colmap.rows.cameras[0]!, width: 0 }] })]),
      "sparse/0/cameras.txt: line 2: camera 1's width is 0: an image size must be a positive number of pixels",
    ],
    [
      'a NICE-SLAM depth scale of 0',
      editFiles(toNiceSlam(fixture), (f) =>
        f.set('cam_params.json', enc(JSON.stringify({ camera: { w: 64, h: 48, fx: 32, fy: 32, cx: 31.5, cy: 23.5, scale: 0 } }))),
      ),
      'cam_params.json: camera.scale is 0: a depth scale must be between 0.001 and 1000000 depth units per metre',
    ],
  ])('%s', async (_, files, message) => {
    const error = await loadError(files);
    expect(error).toBeInstanceOf(ScanError);
    expect(error.message).toBe(message);
  });

  it('inspect-scan: one error line naming the file and the key, exit 2', async () => {
    const r = await runCli(['inspect-scan', writeFiles(transformsWith((t) => (t.fl_x = 0)))]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: transforms.json: fl_x is 0: ${FOCAL}\n`);
  });
});

describe('poses', () => {
  const FAR = 'has a translation of 1e+308, beyond ±1e+12 (a lost pose: no scan spans that far)';

  it('a single pose 1e308 from the origin: that frame is skipped with a warning, the others load into the unit cube', async () => {
    const scan = await load(transformsWith((t) => withPose(t, 3, (rows) => (rows[0]![3] = 1e308))));
    expect(scan.frames.map((f) => f.sourceIndex)).toEqual([0, 1, 2, 4, 5]);
    expect(scan.warnings).toContain(`skipped 1 of 6 frames: transforms.json: frames[3].transform_matrix ${FAR}`);
    expect(Number.isFinite(scan.normalisation.scale) && scan.normalisation.scale > 0).toBe(true);
    for (const f of scan.frames) {
      for (const a of [3, 7, 11]) {
        expect(f.c2w[a]).toBeGreaterThanOrEqual(0);
        expect(f.c2w[a]).toBeLessThanOrEqual(1);
      }
    }
  });

  it('every pose translation near 1e308: no usable frame, and the error says why', async () => {
    const files = transformsWith((t) => t.frames.forEach((_, i) => withPose(t, i, (rows) => (rows[0]![3] = 1e308 * (i % 2 ? 1 : -1)))));
    const error = await loadError(files);
    expect(error.message).toBe(
      'my-scan: has 0 usable frames, at least 2 are needed: ' +
        [0, 1, 2]
          .map((i) => `transforms.json: frames[${i}].transform_matrix ${FAR.replace('1e+308', i % 2 ? '1e+308' : '-1e+308')}`)
          .join('; '),
    );
  });

  it('a rotation off orthonormal by 1e-5 loads; by 0.02 it skips its frame', async () => {
    const slightly = await load(transformsWith((t) => withPose(t, 2, (rows) => (rows[0]![0] *= 1 + 1e-5))));
    expect(slightly.frames).toHaveLength(6);
    const scaled = await load(transformsWith((t) => withPose(t, 2, (rows) => [0, 1, 2].forEach((r) => (rows[r]![0] *= 1.01)))));
    expect(scaled.frames).toHaveLength(5);
    expect(scaled.warnings.join('\n')).toMatch(
      /^skipped 1 of 6 frames: transforms\.json: frames\[2\]\.transform_matrix is not rigid \(its rotation part is off orthonormal by 0\.020\)/,
    );
  });
});

describe('normalisation', () => {
  it('scene bounds too large to scale into the unit cube are an error saying where they came from', async () => {
    // No depth: the bounds are the camera centres' box times aabb_scale, which overflows.
    const files = transformsWith((t) => {
      t.aabb_scale = 1e308;
      for (const f of t.frames) delete f.depth_file_path;
    });
    const error = await loadError(files);
    expect(error.message).toMatch(
      /^my-scan: its scene bounds \(from aabb_scale\) run from \(.*Infinity.*\) to \(.*Infinity.*\): too large to scale into the unit cube$/,
    );
  });
});
