/** The many ways transforms.json is written in the wild. */
import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { decodeImageNode } from '../../src/cli/node-image-decoder.ts';
import { loadScan } from '../../src/scan/load-scan.ts';
import { MemorySource } from '../../src/scan/scan-source.ts';
import { fisheye, radialTangential, type Fisheye } from '../../src/scan/lens-distortion.ts';
import { distortImage, idealRay, meanDifferenceToPinhole } from '../helpers/lens-images.ts';
import type { Scan } from '../../src/scan/scan.ts';
import { decodePng } from '../helpers/scan-files.ts';
import { decodeNpy } from '../../src/scan/npy-array.ts';
import { halfRedHalfBlue, jpegWithOrientation, makeFixture, npyOf, toNerfstudio, type Files } from '../helpers/scan-fixtures.ts';

const fixture = makeFixture(4, 64, 48, 13);
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
type Transforms = Record<string, unknown> & { frames: Record<string, unknown>[] };

function variant(change: (t: Transforms, files: Files) => void, name = 'transforms.json'): Files {
  const files = toNerfstudio(fixture);
  const t = JSON.parse(new TextDecoder().decode(files.get('transforms.json'))) as Transforms;
  files.delete('transforms.json');
  change(t, files);
  files.set(name, enc(JSON.stringify(t)));
  return files;
}

const load = (files: Files, background?: [number, number, number]) =>
  loadScan(new MemorySource('v', files), { decodeImage: decodeImageNode, ...(background ? { background } : {}) });

/** θ of a fisheye ray imaged at θd (through the test helper's own inversion). */
function fisheyeTheta(d: Fisheye, thetaD: number): number {
  return Math.atan(idealRay(d, thetaD, 0)![0]);
}

describe('transforms.json variants', () => {
  it('Blender: transforms_train.json, camera_angle_x, file_path without extension', async () => {
    const files = variant((t) => {
      for (const k of ['fl_x', 'fl_y', 'cx', 'cy', 'w', 'h']) delete t[k];
      t.camera_angle_x = Math.PI / 2;
      for (const f of t.frames) f.file_path = `./${String(f.file_path).replace(/\.png$/, '')}`;
    }, 'transforms_train.json');
    const scan = await load(files);
    expect(scan.format).toBe('nerfstudio');
    expect(scan.frames).toHaveLength(4);
    const k = scan.frames[0]!.intrinsics;
    expect([k.fx, k.fy, k.cx, k.cy]).toEqual([32, 32, 32, 24].map((v) => expect.closeTo(v, 9)));
  });

  it('per-frame intrinsics and images of different sizes', async () => {
    const files = variant((t, f) => {
      const half = decodePng(f.get('rgb/rgb_1.png')!);
      const small = new Uint8Array(32 * 24 * 3);
      for (let y = 0; y < 24; y++)
        for (let x = 0; x < 32; x++)
          small.set(half.data.subarray((2 * y * 64 + 2 * x) * 3, (2 * y * 64 + 2 * x) * 3 + 3), (y * 32 + x) * 3);
      f.set('rgb/rgb_1.png', encode({ width: 32, height: 24, data: small, channels: 3 }));
      Object.assign(t.frames[1]!, { w: 32, h: 24, fl_x: 16, fl_y: 16, cx: 16, cy: 12 });
      delete t.frames[1]!.depth_file_path;
    });
    const scan = await load(files);
    expect(scan.frames).toHaveLength(4);
    expect(scan.frames[1]!.width).toBe(32);
    expect(scan.frames[1]!.intrinsics.fx).toBe(16);
    expect(scan.frames[0]!.intrinsics.fx).toBe(32);
  });

  it('RGBA images are composited on the chosen background colour', async () => {
    const files = variant((_, f) => {
      const rgb = decodePng(f.get('rgb/rgb_0.png')!).data;
      const rgba = new Uint8Array(64 * 48 * 4);
      for (let p = 0; p < 64 * 48; p++) {
        rgba.set(rgb.subarray(p * 3, p * 3 + 3), p * 4);
        rgba[p * 4 + 3] = p < 64 ? 0 : 255; // first row transparent
      }
      f.set('rgb/rgb_0.png', encode({ width: 64, height: 48, data: rgba, channels: 4 }));
    });
    const scan = await load(files, [0, 1, 0]);
    expect(Array.from(scan.frames[0]!.rgba.subarray(0, 4))).toEqual([0, 255, 0, 255]);
    expect(scan.background).toEqual([0, 1, 0]);
    const original = decodePng(fixture.files.get('rgb/rgb_0.png')!).data;
    expect(scan.frames[0]!.rgba[64 * 4]).toBe(original[64 * 3]);
  });

  it('OPENCV_FISHEYE (k1..k4): images and depth are undistorted on load, depth by nearest sample', async () => {
    const d = fisheye({ k1: 0.05, k2: -0.01, k3: 0.002, k4: -0.0005 });
    // A longer focal length than the pinhole renders' so that the fisheye frame lies inside their view.
    const lensK = { fx: 42, fy: 42, cx: 32, cy: 24, width: 64, height: 48 };
    const distortedDepth: Uint16Array[] = [];
    const files = variant((t, f) => {
      Object.assign(t, { camera_model: 'OPENCV_FISHEYE', fl_x: 42, fl_y: 42, k1: d.k1, k2: d.k2, k3: d.k3, k4: d.k4 });
      fixture.frames.forEach((frame, i) => {
        const pinhole = fixture.world.cameras[i]!;
        const rgb = distortImage(frame.rgb, 3, pinhole, lensK, d, new Uint8Array(64 * 48 * 3));
        f.set(`rgb/rgb_${i}.png`, encode({ width: 64, height: 48, data: rgb, channels: 3 }));
        distortedDepth.push(distortImage(frame.depthMm, 1, pinhole, lensK, d, new Uint16Array(64 * 48)));
        f.set(`depth/depth_${i}.png`, encode({ width: 64, height: 48, data: distortedDepth[i]!, channels: 1, depth: 16 }));
      });
    });
    const scan = await load(files);
    expect(scan.warnings.join()).not.toMatch(/not undistorted/);
    const frame = scan.frames[1]!;
    // The pinhole it was undistorted to (lens-distortion.ts): the top edge, at θd = 24/42, limits.
    const theta = fisheyeTheta(d, 24 / 42);
    expect(frame.intrinsics.fx).toBeCloseTo(24 / Math.tan(theta), 6);
    const pinhole = fixture.world.cameras[1]!;
    const undistorted = meanDifferenceToPinhole(frame.rgba, 4, frame.intrinsics, fixture.frames[1]!.rgb, pinhole, 3);
    const raw = meanDifferenceToPinhole(decodePng(files.get('rgb/rgb_1.png')!).data, 3, pinhole, fixture.frames[1]!.rgb, pinhole, 3);
    expect(undistorted).toBeLessThan(6);
    expect(raw).toBeGreaterThan(2.5 * undistorted);
    // Depth: every value is one the distorted map holds (never blended), and comes from its own ray.
    const held = new Set(distortedDepth[1]);
    let same = 0;
    let valid = 0;
    const k = frame.intrinsics;
    for (let j = 0; j < 48; j++)
      for (let i = 0; i < 64; i++) {
        const mm = Math.round(frame.depth![j * 64 + i]! * 1000);
        expect(held.has(mm)).toBe(true);
        if (!mm) continue;
        valid++;
        const u = Math.floor(((i + 0.5 - k.cx) / k.fx) * pinhole.fx + pinhole.cx);
        const v = Math.floor(((j + 0.5 - k.cy) / k.fy) * pinhole.fy + pinhole.cy);
        // Two nearest-sample steps put each value within a pixel of its ray in the original.
        let near = false;
        for (let dv = -1; dv <= 1; dv++)
          for (let du = -1; du <= 1; du++) near ||= fixture.frames[1]!.depthMm[(v + dv) * 64 + u + du] === mm;
        if (near) same++;
      }
    expect(valid).toBeGreaterThan(0.9 * 64 * 48);
    expect(same / valid).toBeGreaterThan(0.97);
  });

  it('per-frame camera_model and distortion keys override the top-level ones', async () => {
    const files = variant((t) => Object.assign(t.frames[2]!, { camera_model: 'OPENCV_FISHEYE', fl_x: 42, fl_y: 42, k1: 0.1 }));
    const scan = await load(files);
    // Only frame 2 is a fisheye: its focal length changes on undistortion, the others keep theirs.
    expect(scan.frames[2]!.intrinsics.fx).toBeCloseTo(24 / Math.tan(fisheyeTheta(fisheye({ k1: 0.1 }), 24 / 42)), 6);
    expect(scan.frames[1]!.intrinsics.fx).toBe(32);
  });

  it('EQUIRECTANGULAR frames are skipped, naming the key; a scan of only such frames does not load', async () => {
    const some = await load(variant((t) => Object.assign(t.frames[3]!, { camera_model: 'EQUIRECTANGULAR' })));
    expect(some.frames).toHaveLength(3);
    expect(some.warnings.join()).toMatch(/transforms\.json: frames\[3\] camera_model EQUIRECTANGULAR is not supported/);
    await expect(load(variant((t) => Object.assign(t, { camera_model: 'EQUIRECTANGULAR' })))).rejects.toThrow(
      /^transforms\.json: camera_model EQUIRECTANGULAR is not supported: a pinhole camera cannot show its images/,
    );
  });

  it("warns that a perspective camera's k4 (nerfstudio's r⁸ term) is not undistorted", async () => {
    const scan = await load(variant((t) => Object.assign(t, { k1: 0.01, k4: 0.001 })));
    expect(scan.warnings.join()).toMatch(/transforms\.json: k4 of a perspective camera_model \(the r⁸ term\) is not undistorted/);
  });

  it('aabb_scale widens the bounds of a scan without depth', async () => {
    const plain = await load(
      variant((t) => {
        for (const f of t.frames) delete f.depth_file_path;
      }),
    );
    const wide = await load(
      variant((t) => {
        t.aabb_scale = 4;
        for (const f of t.frames) delete f.depth_file_path;
      }),
    );
    expect(plain.hasDepth).toBe(false);
    expect(plain.warnings.join()).toMatch(/no depth: scene bounds come from the camera positions only/);
    const size = (s: typeof plain) => s.bounds.max[0] - s.bounds.min[0];
    expect(size(wide)).toBeCloseTo(4 * size(plain), 9);
  });

  it('OpenCV distortion k1 k2 p1 p2 is removed on load', async () => {
    const d = { k1: -0.25, k2: 0.05, p1: 0.004, p2: -0.003 };
    // Forward model: each distorted pixel shows the undistorted image where the lens maps it from.
    const k = { fx: 32, fy: 32, cx: 32, cy: 24, width: 64, height: 48 };
    const clean = new Uint8ClampedArray(64 * 48 * 4);
    // A checkerboard of 8-pixel squares shows any misplacement.
    for (let p = 0; p < 64 * 48; p++) {
      const on = (Math.floor((p % 64) / 8) + Math.floor(Math.floor(p / 64) / 8)) % 2 === 1;
      clean.set(on ? [230, 230, 230, 255] : [20, 20, 20, 255], p * 4);
    }
    const distorted = distortImage(new Uint8Array(clean), 4, k, k, radialTangential(d)!, new Uint8Array(64 * 48 * 4));
    const files = variant((t, f) => {
      Object.assign(t, d);
      const out = new Uint8Array(64 * 48 * 3);
      for (let p = 0; p < 64 * 48; p++) out.set(distorted.subarray(p * 4, p * 4 + 3), p * 3);
      f.set('rgb/rgb_2.png', encode({ width: 64, height: 48, data: out, channels: 3 }));
    });
    const scan = await load(files);
    // Away from the border, where the round trip has data, the undistorted frame matches the original.
    let err = 0;
    let n = 0;
    for (let y = 8; y < 40; y++)
      for (let x = 10; x < 54; x++) {
        const p = (y * 64 + x) * 4;
        err += Math.abs(scan.frames[2]!.rgba[p]! - clean[p]!);
        n++;
      }
    expect(err / n).toBeLessThan(15);
    // And without undistortion it would not.
    let raw = 0;
    for (let y = 8; y < 40; y++) for (let x = 10; x < 54; x++) raw += Math.abs(distorted[(y * 64 + x) * 4]! - clean[(y * 64 + x) * 4]!);
    expect(raw / n).toBeGreaterThan(2.5 * (err / n));
  });
});

describe('JPEG EXIF orientation', () => {
  it('turns a JPEG whose EXIF says "rotate 90 degrees clockwise" (orientation 6) upright', async () => {
    const withExif = jpegWithOrientation(halfRedHalfBlue(4, 2), 4, 2, 6);
    const image = await decodeImageNode(withExif, 'photo.jpg');
    expect([image.width, image.height]).toEqual([2, 4]);
    // Rotated clockwise: the left (red) half is now on top.
    expect(image.data[0]).toBeGreaterThan(200);
    expect(image.data[2]).toBeLessThan(60);
    expect(image.data[3 * 2 * 4 + 2]).toBeGreaterThan(200);
  });
});

describe('depth as .npy (depth_file_path), times depth_unit_scale_factor as nerfstudio does', () => {
  const truth = (i: number): Float64Array => Float64Array.from(fixture.frames[i]!.depthMm, (mm) => mm / 1000);
  /** Every frame's depth as a .npy of `descr`, in the unit `scale` says (metres per value). */
  const npyDepth = (descr: '<f4' | '<f2' | '<f8' | '<u2', scale: number | undefined, hole = false) =>
    variant((t, f) => {
      if (scale !== undefined) t.depth_unit_scale_factor = scale;
      t.frames.forEach((frame, i) => {
        const values = truth(i).map((m) => (descr === '<u2' ? Math.round(m * 1000) : m));
        if (hole) values[5] = NaN;
        f.set(`depth/${i}.npy`, npyOf(descr, 48, 64, values));
        frame.depth_file_path = `depth/${i}.npy`;
      });
    });
  const worstError = (scan: Scan, i: number): number =>
    truth(i).reduce((worst, m, p) => Math.max(worst, Math.abs(scan.frames[i]!.depth![p]! - m)), 0);

  it.each<['<f4' | '<f2' | '<f8' | '<u2', number | undefined, number]>([
    ['<f4', 1, 1e-6],
    ['<f8', 1, 1e-6],
    // Half precision: 11 significant bits, about 2 mm at 4 m.
    ['<f2', 1, 2.5e-3],
    ['<u2', undefined, 1e-6],
  ])('%s with depth_unit_scale_factor %s', async (descr, scale, tolerance) => {
    const scan = await load(npyDepth(descr, scale));
    expect(scan.hasDepth).toBe(true);
    for (const i of [0, 3]) expect(worstError(scan, i)).toBeLessThanOrEqual(tolerance);
  });

  it('float metres read with the default scale would be a thousand times too small', async () => {
    const scan = await load(npyDepth('<f4', undefined));
    expect(scan.frames[1]!.depth![100]).toBeCloseTo(truth(1)[100]! / 1000, 9);
  });

  it('NaN is a hole (0), like a 0 in a PNG', async () => {
    const scan = await load(npyDepth('<f4', 1, true));
    expect(scan.frames[2]!.depth![5]).toBe(0);
    expect(scan.frames[2]!.depth![6]).toBeCloseTo(truth(2)[6]!, 6);
  });

  it('a bad .npy header: that frame keeps no depth, a warning names the file and the problem', async () => {
    const files = npyDepth('<f4', 1);
    const good = files.get('depth/1.npy')!;
    const text = new TextDecoder('latin1').decode(good);
    files.set('depth/1.npy', new Uint8Array(Array.from(text.replace("'<f4'", "'>f4'"), (c) => c.charCodeAt(0))));
    const scan = await load(files);
    expect(scan.frames).toHaveLength(4);
    expect(scan.frames[1]!.depth).toBeUndefined();
    expect(scan.warnings.join('\n')).toMatch(/depth\/1\.npy: is a \.npy array of dtype '>f4'; depth must be little-endian/);
  });
});

describe('decodeNpy: every malformed header is a ScanError naming the file', () => {
  const good = npyOf('<f4', 2, 3, [1, 2, 3, 4, 5, 6]);
  const edited = (from: string, to: string): Uint8Array => {
    const text = new TextDecoder('latin1').decode(good).replace(from, to);
    return Uint8Array.from(text, (c) => c.charCodeAt(0));
  };

  it('reads a good one: shape, C order', () => {
    const a = decodeNpy(good, 'd.npy');
    expect([a.width, a.height]).toEqual([3, 2]);
    expect(Array.from(a.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(decodeNpy(edited('(2, 3)', '(2, 3, 1)'), 'd.npy').width).toBe(3);
  });

  it.each<[string, Uint8Array, RegExp]>([
    ['no magic', enc('PK not numpy at all'), /^d\.npy: is not a \.npy array/],
    ['an unknown version', Uint8Array.from(good, (b, i) => (i === 6 ? 9 : b)), /^d\.npy: is a \.npy array of format version 9/],
    ['a cut header', good.slice(0, 30), /^d\.npy: is a truncated \.npy array \(its header is cut\)/],
    ['an integer dtype', edited("'<f4'", "'<i4'"), /^d\.npy: is a \.npy array of dtype '<i4'/],
    ['Fortran order', edited('False', 'True '), /^d\.npy: is a \.npy array in Fortran \(column-major\) order/],
    ['three channels', edited('(2, 3)', '(2, 1, 3)'), /^d\.npy: is a \.npy array of shape \(2, 1, 3\)/],
    ['no shape', edited("'shape'", "'shap_'"), /^d\.npy: is a \.npy array whose header has no readable 'shape'/],
    ['cut data', good.slice(0, good.length - 4), /^d\.npy: is a truncated \.npy array: 2x3 <f4 needs 24 bytes, it has 20/],
  ])('%s', (_, bytes, message) => {
    expect(() => decodeNpy(bytes, 'd.npy')).toThrow(message);
  });
});

describe('applied_transform and keys that are not supported', () => {
  const rotation = [
    [1, 0, 0, 0.5],
    [0, 0, 1, -2],
    [0, -1, 0, 3],
  ];

  it('applied_transform (3x4 or 4x4) is kept on the scan; the poses stay as the file has them', async () => {
    const plain = await load(variant(() => {}));
    for (const matrix of [rotation, [...rotation, [0, 0, 0, 1]]]) {
      const scan = await load(variant((t) => (t.applied_transform = matrix)));
      expect(Array.from(scan.appliedTransform!)).toEqual([...rotation.flat(), 0, 0, 0, 1]);
      scan.frames.forEach((f, i) => expect(Array.from(f.c2wSource)).toEqual(Array.from(plain.frames[i]!.c2wSource)));
    }
    expect(plain.appliedTransform).toBeUndefined();
  });

  it.each<[string, unknown, RegExp]>([
    ['not a matrix', 'identity', /^transforms\.json: "applied_transform" should be a 3x4 or 4x4 matrix of numbers/],
    ['2 rows', rotation.slice(0, 2), /^transforms\.json: "applied_transform" should be a 3x4 or 4x4 matrix/],
    ['a word in it', [[1, 0, 0, 'x'], ...rotation.slice(1)], /^transforms\.json: "applied_transform" should be a 3x4 or 4x4 matrix/],
    ['a scale', [[2, 0, 0, 0], ...rotation.slice(1)], /^transforms\.json: "applied_transform" is not rigid/],
  ])('a malformed applied_transform (%s) is an error naming the file and the key', async (_, matrix, message) => {
    await expect(load(variant((t) => (t.applied_transform = matrix)))).rejects.toThrow(message);
  });

  it('keys that change the meaning but are not applied are named in one warning', async () => {
    const scan = await load(
      variant((t) => {
        Object.assign(t, { ply_file_path: 'sparse_pc.ply', applied_scale: 0.5, train_filenames: ['rgb/rgb_0.png'] });
      }),
    );
    const named = scan.warnings.filter((w) => w.startsWith('transforms.json: not supported'));
    expect(named).toEqual([
      'transforms.json: not supported, ignored: ply_file_path (its point cloud is not used); ' +
        "applied_scale (only scales nerfstudio's point cloud, which is not used); " +
        'train_filenames (every frame is loaded, the app makes its own split)',
    ]);
    expect((await load(variant(() => {}))).warnings.join()).not.toMatch(/not supported/);
  });
});
