/**
 * COLMAP sparse models for tests, written the way COLMAP's read_write_model.py writes them (text
 * and little-endian binary), and the generated fixture converted to one: world-to-camera
 * quaternions from the fixture's poses, 3D points back-projected from its depth, its images in
 * images/ (distorted through the camera's lens model where it has one).
 */
import { encode } from 'fast-png';
import type { ColmapCamera, ColmapImage } from '../../src/scan/colmap-model.ts';
import type { LensDistortion } from '../../src/scan/lens-distortion.ts';
import type { Intrinsics } from '../../src/scan/scan.ts';
import { distortImage } from './lens-images.ts';
import type { Files, Fixture } from './scan-fixtures.ts';

export const COLMAP_MODEL_IDS: Record<string, number> = {
  SIMPLE_PINHOLE: 0,
  PINHOLE: 1,
  SIMPLE_RADIAL: 2,
  RADIAL: 3,
  OPENCV: 4,
  OPENCV_FISHEYE: 5,
  FULL_OPENCV: 6,
  FOV: 7,
  THIN_PRISM_FISHEYE: 10,
};

/** A camera as COLMAP stores it (the loader's own type: the fields are COLMAP's). */
export type CameraRow = Omit<ColmapCamera, 'where'>;

/** An image as COLMAP stores it, with its 2D points: x, y, point3D id. */
export type ImageRow = Omit<ColmapImage, 'where'> & { points2D: [number, number, number][] };

export interface PointRow {
  id: number;
  xyz: [number, number, number];
  rgb: [number, number, number];
  /** image id, point2D index. */
  track: [number, number][];
}

export interface ColmapRows {
  cameras: CameraRow[];
  images: ImageRow[];
  points: PointRow[];
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

export function colmapText(m: ColmapRows, folder = 'sparse/0/'): Files {
  const cameras = m.cameras.map((c) => [c.id, c.model, c.width, c.height, ...c.params].join(' '));
  const images = m.images.flatMap((im) => [
    [im.id, ...im.q, ...im.t, im.cameraId, im.name].join(' '),
    im.points2D.map((p) => p.join(' ')).join(' '),
  ]);
  const points = m.points.map((p) => [p.id, ...p.xyz, ...p.rgb, 0.5, ...p.track.flat()].join(' '));
  return new Map([
    [`${folder}cameras.txt`, enc(`# Camera list with one line of data per camera:\n${cameras.join('\n')}\n`)],
    [`${folder}images.txt`, enc(`# Image list with two lines of data per image:\n${images.join('\n')}\n`)],
    [`${folder}points3D.txt`, enc(`# 3D point list with one line of data per point:\n${points.join('\n')}\n`)],
  ]);
}

/** Little-endian binary writing, growing as needed. */
class BinaryWriter {
  private bytes = new Uint8Array(256);
  private view = new DataView(this.bytes.buffer);
  private at = 0;
  private room(n: number): number {
    if (this.at + n > this.bytes.length) {
      const grown = new Uint8Array(Math.max(2 * this.bytes.length, this.at + n));
      grown.set(this.bytes);
      this.bytes = grown;
      this.view = new DataView(grown.buffer);
    }
    const p = this.at;
    this.at += n;
    return p;
  }
  i32(v: number): this {
    const at = this.room(4);
    this.view.setInt32(at, v, true);
    return this;
  }
  u64(v: number): this {
    const at = this.room(8);
    this.view.setBigUint64(at, BigInt(v), true);
    return this;
  }
  i64(v: number): this {
    const at = this.room(8);
    this.view.setBigInt64(at, BigInt(v), true);
    return this;
  }
  f64(...vs: number[]): this {
    for (const v of vs) {
      const at = this.room(8);
      this.view.setFloat64(at, v, true);
    }
    return this;
  }
  u8(...vs: number[]): this {
    for (const v of vs) this.bytes[this.room(1)] = v;
    return this;
  }
  str(s: string): this {
    const b = enc(s);
    const at = this.room(b.length + 1);
    this.bytes.set(b, at);
    this.bytes[at + b.length] = 0;
    return this;
  }
  done(): Uint8Array {
    return this.bytes.slice(0, this.at);
  }
}

export function colmapBinary(m: ColmapRows, folder = 'sparse/0/'): Files {
  const cameras = new BinaryWriter().u64(m.cameras.length);
  for (const c of m.cameras)
    cameras
      .i32(c.id)
      .i32(COLMAP_MODEL_IDS[c.model]!)
      .u64(c.width)
      .u64(c.height)
      .f64(...c.params);
  const images = new BinaryWriter().u64(m.images.length);
  for (const im of m.images) {
    images
      .i32(im.id)
      .f64(...im.q, ...im.t)
      .i32(im.cameraId)
      .str(im.name)
      .u64(im.points2D.length);
    for (const [x, y, id] of im.points2D) images.f64(x, y).i64(id);
  }
  const points = new BinaryWriter().u64(m.points.length);
  for (const p of m.points) {
    points
      .u64(p.id)
      .f64(...p.xyz)
      .u8(...p.rgb)
      .f64(0.5)
      .u64(p.track.length);
    for (const [image, index] of p.track) points.i32(image).i32(index);
  }
  return new Map([
    [`${folder}cameras.bin`, cameras.done()],
    [`${folder}images.bin`, images.done()],
    [`${folder}points3D.bin`, points.done()],
  ]);
}

/** The unit quaternion (w, x, y, z) of a row-major 3x3 rotation (Shepperd's method). */
export function quaternionOf(r: ArrayLike<number>): [number, number, number, number] {
  const [m00, m01, m02, m10, m11, m12, m20, m21, m22] = Array.from(r);
  const trace = m00! + m11! + m22!;
  if (trace > 0) {
    const s = 2 * Math.sqrt(1 + trace);
    return [s / 4, (m21! - m12!) / s, (m02! - m20!) / s, (m10! - m01!) / s];
  }
  if (m00! > m11! && m00! > m22!) {
    const s = 2 * Math.sqrt(1 + m00! - m11! - m22!);
    return [(m21! - m12!) / s, s / 4, (m01! + m10!) / s, (m02! + m20!) / s];
  }
  if (m11! > m22!) {
    const s = 2 * Math.sqrt(1 + m11! - m00! - m22!);
    return [(m02! - m20!) / s, (m01! + m10!) / s, s / 4, (m12! + m21!) / s];
  }
  const s = 2 * Math.sqrt(1 + m22! - m00! - m11!);
  return [(m10! - m01!) / s, (m02! + m20!) / s, (m12! + m21!) / s, s / 4];
}

/** A sparse point of the fixture: where it came from, to check that it projects back there. */
export interface FixturePoint {
  xyz: [number, number, number];
  frame: number;
  /** Continuous pixel coordinates of the pinhole pixel centre it was back-projected from. */
  pixel: [number, number];
}

export interface ColmapCameraSpec {
  model: string;
  /** Intrinsics of the distorted camera (the fixture's pinhole when not given). */
  intrinsics?: Intrinsics;
  /** Parameters after the focal length(s) and principal point. */
  extra?: number[];
  /** The lens the images are distorted with (as `extra` says, in the loader's terms). */
  distortion?: LensDistortion;
}

export const colmapImageName = (i: number): string => `frame_${String(i + 1).padStart(5, '0')}.png`;

/**
 * The fixture as a COLMAP model: one camera, image ids in the reverse of the name order (so that
 * the loader must sort), a 3D point for every 8th pixel of each frame's depth.
 */
export function fixtureColmapRows(
  f: Fixture,
  camera: ColmapCameraSpec = { model: 'PINHOLE' },
): { rows: ColmapRows; points: FixturePoint[] } {
  const n = f.frames.length;
  const k = camera.intrinsics ?? f.world.cameras[0]!;
  const oneFocal = ['SIMPLE_PINHOLE', 'SIMPLE_RADIAL', 'RADIAL'].includes(camera.model);
  const cameraRow: CameraRow = {
    id: 1,
    model: camera.model,
    width: k.width,
    height: k.height,
    params: [...(oneFocal ? [k.fx] : [k.fx, k.fy]), k.cx, k.cy, ...(camera.extra ?? [])],
  };
  const points: FixturePoint[] = [];
  const pointRows: PointRow[] = [];
  const images: ImageRow[] = f.world.cameras.map((c, i) => {
    const m = c.c2w;
    // World-to-camera: R = (c2w rotation)ᵀ, t = -R c.
    const r = [0, 1, 2].flatMap((row) => [0, 1, 2].map((col) => m[col * 4 + row]!));
    const t = [0, 1, 2].map((row) => -(r[row * 3]! * m[3]! + r[row * 3 + 1]! * m[7]! + r[row * 3 + 2]! * m[11]!)) as [
      number,
      number,
      number,
    ];
    const image: ImageRow = { id: n - i, q: quaternionOf(r), t, cameraId: 1, name: colmapImageName(i), points2D: [] };
    const frame = f.frames[i]!;
    for (let v = 4; v < c.height; v += 8)
      for (let u = 4; u < c.width; u += 8) {
        const z = frame.depthMm[v * c.width + u]! / 1000;
        if (!(z > 0)) continue;
        const px = u + 0.5;
        const py = v + 0.5;
        const cam = [((px - c.cx) / c.fx) * z, ((py - c.cy) / c.fy) * z, z];
        const xyz = [0, 1, 2].map((a) => m[a * 4]! * cam[0]! + m[a * 4 + 1]! * cam[1]! + m[a * 4 + 2]! * cam[2]! + m[a * 4 + 3]!) as [
          number,
          number,
          number,
        ];
        const id = pointRows.length + 1;
        // 2D observations are pinhole pixel positions: written only for an undistorted camera.
        const track: [number, number][] = camera.distortion ? [] : [[image.id, image.points2D.length]];
        if (!camera.distortion) image.points2D.push([px, py, id]);
        pointRows.push({ id, xyz, rgb: [frame.rgb[(v * c.width + u) * 3]!, 0, 0], track });
        points.push({ xyz, frame: i, pixel: [px, py] });
      }
    return image;
  });
  // Rows in id order, as COLMAP writes them.
  images.sort((a, b) => a.id - b.id);
  return { rows: { cameras: [cameraRow], images, points: pointRows }, points };
}

/** The fixture's images under images/, PNG, distorted through `camera`'s lens where it has one. */
export function fixtureColmapImages(f: Fixture, camera: ColmapCameraSpec = { model: 'PINHOLE' }): Files {
  const out: Files = new Map();
  f.frames.forEach((frame, i) => {
    const pinhole = f.world.cameras[i]!;
    if (!camera.distortion) {
      out.set(`images/${colmapImageName(i)}`, f.files.get(`rgb/rgb_${i}.png`)!);
      return;
    }
    const k = camera.intrinsics ?? pinhole;
    const rgb = distortImage(frame.rgb, 3, pinhole, k, camera.distortion, new Uint8Array(k.width * k.height * 3));
    out.set(`images/${colmapImageName(i)}`, encode({ width: k.width, height: k.height, data: rgb, channels: 3 }));
  });
  return out;
}

/** The whole fixture as a COLMAP folder: the model (text or binary) in `folder`, the images in images/. */
export function toColmap(
  f: Fixture,
  options: { binary?: boolean; folder?: string; camera?: ColmapCameraSpec } = {},
): { files: Files; points: FixturePoint[]; rows: ColmapRows } {
  const { rows, points } = fixtureColmapRows(f, options.camera);
  const model = options.binary ? colmapBinary(rows, options.folder) : colmapText(rows, options.folder);
  return { files: new Map([...model, ...fixtureColmapImages(f, options.camera)]), points, rows };
}
