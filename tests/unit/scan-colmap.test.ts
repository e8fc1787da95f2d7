/**
 * COLMAP sparse models (text and binary) converted from a generated scene load to its poses,
 * intrinsics and images: the 3D points, back-projected from the scene's depth, project onto the
 * pixels they came from; distorted cameras are undistorted back to the original images; broken
 * models say which file and what is wrong.
 */
import { describe, expect, it } from 'vitest';
import { decodeImageNode } from '../../src/cli/node-image-decoder.ts';
import { fisheye, radialTangential } from '../../src/scan/lens-distortion.ts';
import { loadScan } from '../../src/scan/load-scan.ts';
import { MemorySource } from '../../src/scan/scan-source.ts';
import type { Scan } from '../../src/scan/scan.ts';
import {
  colmapBinary,
  colmapImageName,
  colmapText,
  toColmap,
  type ColmapCameraSpec,
  type ColmapRows,
  type FixturePoint,
} from '../helpers/colmap-files.ts';
import { meanDifferenceToPinhole } from '../helpers/lens-images.ts';
import { decodePng, runCli } from '../helpers/scan-files.ts';
import { makeFixture, toNerfstudio, writeFiles, type Files } from '../helpers/scan-fixtures.ts';

const fixture = makeFixture(4, 64, 48, 17);
const K = fixture.world.cameras[0]!;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

const load = (files: Files): Promise<Scan> => loadScan(new MemorySource('colmap-scan', files), { decodeImage: decodeImageNode });

/** Where a world point lands in a loaded frame (continuous pixel coordinates). */
function project(scan: Scan, frame: number, xyz: readonly number[]): [number, number] {
  const f = scan.frames[frame]!;
  const m = f.c2wSource;
  const d = [0, 1, 2].map((r) => xyz[r]! - m[r * 4 + 3]!);
  const c = [0, 1, 2].map((col) => m[col]! * d[0]! + m[4 + col]! * d[1]! + m[8 + col]! * d[2]!);
  const k = f.intrinsics;
  return [(k.fx * c[0]!) / c[2]! + k.cx, (k.fy * c[1]!) / c[2]! + k.cy];
}

function worstReprojection(scan: Scan, points: FixturePoint[]): number {
  let worst = 0;
  for (const p of points) {
    const [u, v] = project(scan, p.frame, p.xyz);
    worst = Math.max(worst, Math.hypot(u - p.pixel[0], v - p.pixel[1]));
  }
  return worst;
}

describe.each([
  ['text', false],
  ['binary', true],
])('a PINHOLE model, %s', (_, binary) => {
  const colmap = toColmap(fixture, { binary });
  let scan: Scan;

  it('is detected and loads every frame, in the order of the image names', async () => {
    scan = await load(colmap.files);
    expect(scan.format).toBe('colmap');
    expect(scan.frames.map((f) => f.name)).toEqual([0, 1, 2, 3].map((i) => `images/${colmapImageName(i)}`));
    expect(scan.frames.map((f) => f.sourceIndex)).toEqual([0, 1, 2, 3]);
    expect(scan.hasDepth).toBe(false);
    expect(scan.warnings).toEqual([]);
  });

  it("has the scene's poses, converted from world-to-camera quaternions", () => {
    // The generator writes poses to 9 decimals: its rotations are orthonormal to 1e-9 only, and a
    // quaternion holds the rotation nearest to one. That, times camera positions of a few metres,
    // is the error allowed.
    scan.frames.forEach((f, i) => {
      const truth = fixture.world.cameras[i]!.c2w;
      for (let e = 0; e < 16; e++) expect(Math.abs(f.c2wSource[e]! - truth[e]!)).toBeLessThan(1e-8);
      const { offset, scale } = scan.normalisation;
      for (let a = 0; a < 3; a++) expect(Math.abs(f.c2w[a * 4 + 3]! - (truth[a * 4 + 3]! - offset[a]!) * scale)).toBeLessThan(1e-8);
    });
  });

  it("has the scene's intrinsics, pixel centres at +0.5 as COLMAP writes them", () => {
    const k = scan.frames[2]!.intrinsics;
    expect([k.fx, k.fy, k.cx, k.cy, k.width, k.height]).toEqual([K.fx, K.fy, K.cx, K.cy, 64, 48]);
  });

  it('projects every 3D point onto the pixel whose depth it came from', () => {
    expect(colmap.points.length).toBeGreaterThan(150);
    expect(worstReprojection(scan, colmap.points)).toBeLessThan(1e-6);
  });

  it('keeps the 3D points, and the bounds hold them (but for the 0.5% tails) and the cameras', () => {
    expect(scan.sparsePoints).toHaveLength(colmap.points.length * 3);
    colmap.points.forEach((p, i) => {
      for (let a = 0; a < 3; a++) expect(scan.sparsePoints![i * 3 + a]).toBeCloseTo(p.xyz[a]!, 5);
    });
    const inside = colmap.points.filter((p) => p.xyz.every((x, a) => x >= scan.bounds.min[a]! && x <= scan.bounds.max[a]!));
    expect(inside.length / colmap.points.length).toBeGreaterThan(0.97);
    for (const f of scan.frames)
      for (let a = 0; a < 3; a++) {
        expect(f.c2wSource[a * 4 + 3]).toBeGreaterThanOrEqual(scan.bounds.min[a]!);
        expect(f.c2wSource[a * 4 + 3]).toBeLessThanOrEqual(scan.bounds.max[a]!);
      }
  });

  it('gives each frame the depth of the 3D points it observes, at the pixels they came from, and no more', () => {
    for (const [i, f] of scan.frames.entries()) {
      expect(f.depth).toBeUndefined();
      const own = colmap.points.filter((p) => p.frame === i);
      expect(own.length).toBeGreaterThan(20);
      // Every 8th pixel: one point a pixel, none dropped, none from another frame's track.
      expect(f.sparseDepth!.filter((z) => z > 0).length).toBe(own.length);
      for (const p of own) {
        const at = Math.floor(p.pixel[1]) * f.width + Math.floor(p.pixel[0]);
        expect(f.sparseDepth![at]).toBeCloseTo(fixture.frames[i]!.depthMm[at]! / 1000, 3);
      }
    }
  });

  it('bounds from the cameras alone, without points3D, are a fraction of the scene', async () => {
    const noPoints = await load(new Map([...colmap.files].filter(([p]) => !p.startsWith('sparse/0/points3D'))));
    expect(noPoints.sparsePoints).toBeUndefined();
    expect(noPoints.warnings).toEqual(['no depth: scene bounds come from the camera positions only']);
    const volume = (s: Scan) => [0, 1, 2].reduce((v, a) => v * (s.bounds.max[a]! - s.bounds.min[a]!), 1);
    expect(volume(scan)).toBeGreaterThan(3 * volume(noPoints));
  });

  it('shows the original images', () => {
    expect(meanDifferenceToPinhole(scan.frames[1]!.rgba, 4, scan.frames[1]!.intrinsics, fixture.frames[1]!.rgb, K, 0)).toBe(0);
  });
});

/** A lens camera 30% longer in focal length than the renders, so that its frame lies within their view. */
const lensK = { ...K, fx: K.fx * 1.3, fy: K.fy * 1.3 };

describe.each<[string, ColmapCameraSpec, boolean]>([
  ['SIMPLE_RADIAL', { model: 'SIMPLE_RADIAL', intrinsics: K, extra: [-0.12], distortion: radialTangential({ k1: -0.12 })! }, false],
  ['RADIAL', { model: 'RADIAL', intrinsics: K, extra: [-0.15, 0.03], distortion: radialTangential({ k1: -0.15, k2: 0.03 })! }, true],
  [
    'OPENCV',
    {
      model: 'OPENCV',
      intrinsics: K,
      extra: [-0.2, 0.04, 0.004, -0.003],
      distortion: radialTangential({ k1: -0.2, k2: 0.04, p1: 0.004, p2: -0.003 })!,
    },
    false,
  ],
  [
    'FULL_OPENCV',
    {
      model: 'FULL_OPENCV',
      intrinsics: K,
      extra: [0.1, 0.04, 0.004, -0.003, 0.01, 0.4, 0.1, 0.05],
      distortion: radialTangential({ k1: 0.1, k2: 0.04, p1: 0.004, p2: -0.003, k3: 0.01, k4: 0.4, k5: 0.1, k6: 0.05 })!,
    },
    true,
  ],
  [
    'OPENCV_FISHEYE',
    {
      model: 'OPENCV_FISHEYE',
      intrinsics: lensK,
      extra: [0.05, -0.01, 0.002, -0.0005],
      distortion: fisheye({ k1: 0.05, k2: -0.01, k3: 0.002, k4: -0.0005 }),
    },
    true,
  ],
])('a distorted camera, %s', (model, camera, binary) => {
  it('is undistorted back to the original images, and its 3D points project where they came from', async () => {
    const colmap = toColmap(fixture, { binary, camera });
    const scan = await load(colmap.files);
    let undistorted = 0;
    let raw = 0;
    for (const [i, frame] of scan.frames.entries()) {
      undistorted += meanDifferenceToPinhole(frame.rgba, 4, frame.intrinsics, fixture.frames[i]!.rgb, K, 3) / 4;
      // The distorted image taken for a pinhole, for comparison.
      const distorted = decodePng(colmap.files.get(`images/${colmapImageName(i)}`)!);
      raw += meanDifferenceToPinhole(distorted.data, 3, camera.intrinsics!, fixture.frames[i]!.rgb, K, 3) / 4;
    }
    expect(undistorted).toBeLessThan(4);
    expect(raw).toBeGreaterThan(2 * undistorted);
    // The points were back-projected through the pinhole renders; they land at the same rays in
    // the undistorted pinhole (whose focal length differs for the fisheye).
    const worst = Math.max(
      ...colmap.points.map((p) => {
        const [u, v] = project(scan, p.frame, p.xyz);
        const k = scan.frames[p.frame]!.intrinsics;
        const x = ((p.pixel[0] - K.cx) / K.fx) * k.fx + k.cx;
        const y = ((p.pixel[1] - K.cy) / K.fy) * k.fy + k.cy;
        return Math.hypot(u - x, v - y);
      }),
    );
    expect(worst).toBeLessThan(1e-6);
    if (model === 'OPENCV_FISHEYE') expect(scan.frames[0]!.intrinsics.fx).toBeLessThan(lensK.fx);
    else expect(scan.frames[0]!.intrinsics.fx).toBe(K.fx);
  });
});

describe('where the model is', () => {
  const rows = toColmap(fixture).rows;
  const images = new Map([...toColmap(fixture).files].filter(([p]) => p.startsWith('images/')));

  it.each([
    ['sparse/ (image_undistorter output)', 'sparse/'],
    ['the top, beside images/', ''],
  ])('%s', async (_, folder) => {
    const scan = await load(new Map([...colmapText(rows, folder), ...images]));
    expect(scan.format).toBe('colmap');
    expect(scan.frames).toHaveLength(4);
  });

  it('a transforms.json at the top wins (ns-process-data writes colmap/sparse/0 and transforms.json)', async () => {
    const files = new Map([...toNerfstudio(fixture), ...colmapBinary(rows, 'colmap/sparse/0/'), ...images]);
    expect((await load(files)).format).toBe('nerfstudio');
    const beside = new Map([...toNerfstudio(fixture), ...colmapBinary(rows), ...images]);
    expect((await load(beside)).format).toBe('nerfstudio');
  });

  it('several models in sparse/: loads sparse/0 and says so', async () => {
    const scan = await load(new Map([...colmapText(rows), ...colmapText(rows, 'sparse/1/'), ...images]));
    expect(scan.warnings).toEqual(['sparse/ holds 2 models (COLMAP split the reconstruction); loaded sparse/0']);
  });

  it('cameras of two sizes: each frame keeps its own intrinsics', async () => {
    const two: ColmapRows = {
      ...rows,
      cameras: [...rows.cameras, { id: 2, model: 'SIMPLE_PINHOLE', width: 32, height: 24, params: [K.fx / 2, 16, 12] }],
      images: rows.images.map((im) => (im.name === colmapImageName(3) ? { ...im, cameraId: 2 } : im)),
    };
    const files = new Map([...colmapBinary(two), ...images]);
    const { encode } = await import('fast-png');
    const small = new Uint8Array(32 * 24 * 3);
    for (let y = 0; y < 24; y++)
      for (let x = 0; x < 32; x++)
        small.set(
          fixture.frames[3]!.rgb.subarray(((2 * y + 1) * 64 + 2 * x + 1) * 3, ((2 * y + 1) * 64 + 2 * x + 1) * 3 + 3),
          (y * 32 + x) * 3,
        );
    files.set(`images/${colmapImageName(3)}`, encode({ width: 32, height: 24, data: small, channels: 3 }));
    const scan = await load(files);
    expect(scan.frames).toHaveLength(4);
    expect(scan.frames[3]!.width).toBe(32);
    expect(scan.frames[3]!.intrinsics).toMatchObject({ fx: K.fx / 2, cx: 16, cy: 12 });
    expect(scan.frames[0]!.intrinsics.fx).toBe(K.fx);
  });
});

describe('broken models name the file and the problem', () => {
  const { rows, files } = toColmap(fixture);
  const bin = colmapBinary(rows);
  const images = new Map([...files].filter(([p]) => p.startsWith('images/')));
  const withFiles = (model: Files, change: (f: Files) => void = () => {}): Files => {
    const out = new Map([...model, ...images]);
    change(out);
    return out;
  };
  const textWith = (file: string, edit: (text: string) => string): Files =>
    withFiles(colmapText(rows), (f) => f.set(`sparse/0/${file}`, enc(edit(new TextDecoder().decode(f.get(`sparse/0/${file}`))))));
  const u64 = (n: number): Uint8Array => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
    return b;
  };

  it.each<[string, Files, RegExp]>([
    [
      'a truncated cameras.bin',
      withFiles(bin, (f) => f.set('sparse/0/cameras.bin', bin.get('sparse/0/cameras.bin')!.slice(0, 40))),
      /^sparse\/0\/cameras\.bin: is truncated: it ends at byte 40 inside camera 1 of 1/,
    ],
    [
      'a truncated images.bin',
      withFiles(bin, (f) => f.set('sparse/0/images.bin', bin.get('sparse/0/images.bin')!.slice(0, 300))),
      /^sparse\/0\/images\.bin: is truncated: it ends at byte 300 inside image \d of 4/,
    ],
    [
      'an images.bin whose count is too large',
      withFiles(bin, (f) => f.set('sparse/0/images.bin', new Uint8Array([...u64(1000), ...bin.get('sparse/0/images.bin')!.slice(8)]))),
      /^sparse\/0\/images\.bin: says it holds 1000 images, but its \d+ bytes hold at most \d+/,
    ],
    [
      'a points3D.bin whose count is too small',
      withFiles(bin, (f) =>
        f.set('sparse/0/points3D.bin', new Uint8Array([...u64(rows.points.length - 1), ...bin.get('sparse/0/points3D.bin')!.slice(8)])),
      ),
      new RegExp(`^sparse/0/points3D\\.bin: has \\d+ bytes after its last point \\(it says it holds ${rows.points.length - 1}\\)`),
    ],
    [
      'a truncated points3D.bin',
      withFiles(bin, (f) => f.set('sparse/0/points3D.bin', bin.get('sparse/0/points3D.bin')!.slice(0, -30))),
      new RegExp(
        `^sparse/0/points3D\\.bin: is truncated: it ends at byte \\d+ inside point ${rows.points.length} of ${rows.points.length}`,
      ),
    ],
    [
      'an unsupported camera model (text)',
      textWith('cameras.txt', (t) => t.replace(/^1 PINHOLE .*$/m, '1 THIN_PRISM_FISHEYE 64 48 1 2 3 4 5 6 7 8 9 10 11 12')),
      /^sparse\/0\/cameras\.txt: line 2: camera model THIN_PRISM_FISHEYE is not supported \(supported: SIMPLE_PINHOLE, PINHOLE, SIMPLE_RADIAL, RADIAL, OPENCV, OPENCV_FISHEYE, FULL_OPENCV\)/,
    ],
    [
      'an unsupported camera model (binary, by id)',
      withFiles(colmapBinary({ ...rows, cameras: [{ id: 1, model: 'FOV', width: 64, height: 48, params: [32, 32, 32, 24, 0.5] }] })),
      /^sparse\/0\/cameras\.bin: camera 1: camera model FOV is not supported/,
    ],
    [
      'a camera with too few parameters',
      textWith('cameras.txt', (t) => t.replace(/^(1 PINHOLE 64 48 \S+ \S+ \S+) \S+$/m, '$1')),
      /^sparse\/0\/cameras\.txt: line 2: camera 1 \(PINHOLE\) has 3 parameters, PINHOLE has 4/,
    ],
    [
      'an image with a camera id that does not exist',
      textWith('images.txt', (t) => t.replace(/^(2( \S+){7}) 1 /m, '$1 7 ')),
      /^sparse\/0\/images\.txt: line 4: image 2 \(frame_00003\.png\) has camera id 7, which sparse\/0\/cameras\.txt does not hold/,
    ],
    [
      'an image line that does not parse',
      textWith('images.txt', (t) => t.replace(/^3 \S+/m, '3 one')),
      /^sparse\/0\/images\.txt: line 6: qw 'one' is not a number/,
    ],
    [
      'an image line that is too short',
      textWith('images.txt', (t) => t.replace(/^4 .*$/m, '4 1 0 0 0')),
      /^sparse\/0\/images\.txt: line 8: has 5 fields, an image needs 10/,
    ],
    [
      'a points3D line that does not parse',
      textWith('points3D.txt', (t) => t.replace(/^5 \S+/m, '5 x')),
      /^sparse\/0\/points3D\.txt: line 6: x 'x' is not a number/,
    ],
    [
      'a points3D track with an image id but no point index',
      textWith('points3D.txt', (t) => t.replace(/^(5 .*)$/m, '$1 3')),
      /^sparse\/0\/points3D\.txt: line 6: its track has an image id without a point index/,
    ],
    [
      'a points3D track whose image id is not an integer',
      textWith('points3D.txt', (t) => t.replace(/^(5( \S+){7}) \S+/m, '$1 2.5')),
      /^sparse\/0\/points3D\.txt: line 6: track image id '2\.5' is not an integer/,
    ],
    [
      'a camera whose width is not an integer',
      textWith('cameras.txt', (t) => t.replace(/^1 PINHOLE 64 /m, '1 PINHOLE 64.5 ')),
      /^sparse\/0\/cameras\.txt: line 2: width '64\.5' is not an integer/,
    ],
    ['an images file without images', textWith('images.txt', (t) => t.split('\n')[0]!), /^sparse\/0\/images\.txt: holds no images/],
    [
      'no images/ folder',
      new Map([...colmapText(rows), ['database.db', enc('SQLite')]]),
      /^images\/: is missing: sparse\/0\/images\.txt names images in images\/, beside sparse\/: drop the folder that holds both/,
    ],
  ])('%s', async (_, broken, message) => {
    await expect(load(broken)).rejects.toThrow(message);
  });

  it('an image whose quaternion is zero is skipped with a warning naming the line', async () => {
    const scan = await load(textWith('images.txt', (t) => t.replace(/^3 \S+ \S+ \S+ \S+/m, '3 0 0 0 0')));
    expect(scan.frames).toHaveLength(3);
    expect(scan.warnings.join()).toMatch(/sparse\/0\/images\.txt: line 6: image 3's quaternion is zero or not finite/);
  });
});

describe('npm run inspect-scan on a COLMAP folder', () => {
  it('prints the format and the number of sparse points', async () => {
    const colmap = toColmap(fixture, { binary: true });
    const dir = writeFiles(colmap.files);
    const r = await runCli(['inspect-scan', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/format: +COLMAP sparse model \(colmap\)/);
    expect(r.stdout).toMatch(new RegExp(`sparse: +${colmap.points.length} points .*; depth prior in 4 frames`));
    const json = JSON.parse((await runCli(['inspect-scan', dir, '--json'])).stdout);
    expect(json).toMatchObject({
      format: 'colmap',
      frames: 4,
      sparse_points: colmap.points.length,
      sparse_depth_frames: 4,
      fx: K.fx,
      cx: 32,
    });
  });

  it('a broken model: one error line naming the file, exit 2', async () => {
    const { rows, files } = toColmap(fixture, { binary: true });
    files.set(
      'sparse/0/cameras.bin',
      colmapBinary({ ...rows, cameras: [{ ...rows.cameras[0]!, model: 'THIN_PRISM_FISHEYE' }] }).get('sparse/0/cameras.bin')!,
    );
    const r = await runCli(['inspect-scan', writeFiles(files)]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^error: sparse\/0\/cameras\.bin: camera 1: camera model THIN_PRISM_FISHEYE is not supported[^\n]*$/);
  });
});
