/** The many ways transforms.json is written in the wild. */
import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { decodeImageNode } from '../../src/cli/node-image-decoder.ts';
import { loadScan } from '../../src/scan/load-scan.ts';
import { MemorySource } from '../../src/scan/scan-source.ts';
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

  it('warns that fisheye distortion is not undone', async () => {
    const scan = await load(variant((t) => Object.assign(t, { camera_model: 'OPENCV_FISHEYE', k1: 0.01, k3: 0.001 })));
    expect(scan.warnings.join()).toMatch(/camera_model OPENCV_FISHEYE \(or k3\/k4\) is not undistorted/);
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
    const distorted = distortByInversion(clean, k, d);
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

/** Distorts an image: for each distorted pixel, finds (by fixed-point iteration) the ideal ray it shows. */
function distortByInversion(
  src: Uint8ClampedArray,
  k: { fx: number; fy: number; cx: number; cy: number; width: number; height: number },
  d: { k1: number; k2: number; p1: number; p2: number },
): Uint8ClampedArray {
  const out = new Uint8ClampedArray(src.length);
  for (let j = 0; j < k.height; j++)
    for (let i = 0; i < k.width; i++) {
      const xd = (i + 0.5 - k.cx) / k.fx;
      const yd = (j + 0.5 - k.cy) / k.fy;
      let x = xd;
      let y = yd;
      for (let it = 0; it < 20; it++) {
        const r2 = x * x + y * y;
        const radial = 1 + d.k1 * r2 + d.k2 * r2 * r2;
        x = (xd - (2 * d.p1 * x * y + d.p2 * (r2 + 2 * x * x))) / radial;
        y = (yd - (d.p1 * (r2 + 2 * y * y) + 2 * d.p2 * x * y)) / radial;
      }
      const u = Math.round(x * k.fx + k.cx - 0.5);
      const v = Math.round(y * k.fy + k.cy - 0.5);
      if (u >= 0 && v >= 0 && u < k.width && v < k.height)
        out.set(src.subarray((v * k.width + u) * 4, (v * k.width + u) * 4 + 4), (j * k.width + i) * 4);
    }
  return out;
}

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
