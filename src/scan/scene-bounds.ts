/**
 * The box the field is fitted into, in the scan's own units, from what the scan tells of its
 * geometry, best first:
 * - depth maps: the camera centres and the depth points (every 4th pixel of every frame), the
 *   0.5% tails of the points dropped as outliers (a room seen from inside holds its cameras);
 * - a sparse point cloud (COLMAP's points3D) without depth: the points alone, tails dropped; the
 *   cameras of an object capture stand far outside the object, and rays enter the box from outside;
 * - instant-ngp's `aabb_scale`: the camera centres' box scaled about its centre;
 * - what the cameras look at, for an object capture (images with transparent pixels) whose optical
 *   axes all point towards one place: the point nearest to all axes, and around it the largest
 *   sphere that every camera sees whole (distance times the sine of the camera's narrower half
 *   field of view);
 * - else (a room or a forward-facing capture without depth): the camera centres' box.
 * The occupancy grid then shrinks the box to what holds density as the field learns.
 */
import { backProjectPixel, type Mat4 } from '../math/camera-convention.ts';
import { ScanError } from './scan-error.ts';
import type { Intrinsics, Scan } from './scan.ts';

export interface BoundedFrame {
  /** Camera-to-world, OpenCV axes, the scan's units. */
  c2wSource: Mat4;
  intrinsics: Intrinsics;
  depth?: Float32Array;
}

export type BoundsSource = 'depth' | 'sparse points' | 'aabb_scale' | 'camera axes' | 'camera centres';

export interface BoundsHints {
  /** A reconstruction's sparse points (COLMAP's points3D), xyz in the scan's units. */
  points?: Float64Array | undefined;
  /** instant-ngp's `aabb_scale`. */
  aabbScale?: number | undefined;
  /**
   * The images show an object on no background (transparent pixels). Only then are converging
   * axes taken as an object capture: cameras along a room's walls looking inwards converge as well,
   * and a sphere all of them see whole would cut the room.
   */
  objectCapture?: boolean;
}

export function sceneBounds(frames: readonly BoundedFrame[], hints: BoundsHints = {}): Scan['bounds'] & { from: BoundsSource } {
  const { points, aabbScale } = hints;
  const centres = frames.map((f) => [f.c2wSource[3]!, f.c2wSource[7]!, f.c2wSource[11]!] as const);
  const xs: number[][] = [[], [], []];
  {
    const world = new Float64Array(3);
    for (const f of frames) {
      if (!f.depth) continue;
      const { width, height } = f.intrinsics;
      for (let j = 2; j < height; j += 4) {
        for (let i = 2; i < width; i += 4) {
          const z = f.depth[j * width + i]!;
          if (!(z > 0)) continue;
          backProjectPixel(f.c2wSource, f.intrinsics, i, j, z, world);
          for (let a = 0; a < 3; a++) xs[a]!.push(world[a]!);
        }
      }
    }
  }
  if (xs[0]!.length > 0) {
    const box = trimmedBox(xs);
    const cameras = boxOf(centres);
    for (let a = 0; a < 3; a++) {
      box.min[a] = Math.min(box.min[a]!, cameras.min[a]!);
      box.max[a] = Math.max(box.max[a]!, cameras.max[a]!);
    }
    return { ...box, from: 'depth' };
  }
  if (points && points.length >= 3 * 8) {
    for (let p = 0; p < points.length; p += 3) for (let a = 0; a < 3; a++) xs[a]!.push(points[p + a]!);
    return { ...trimmedBox(xs), from: 'sparse points' };
  }
  const cameras = boxOf(centres);
  if (aabbScale && aabbScale > 1) {
    for (let a = 0; a < 3; a++) {
      const c = (cameras.min[a]! + cameras.max[a]!) / 2;
      const h = ((cameras.max[a]! - cameras.min[a]!) / 2) * aabbScale;
      cameras.min[a] = c - h;
      cameras.max[a] = c + h;
    }
    return { ...cameras, from: 'aabb_scale' };
  }
  const looked = hints.objectCapture ? lookedAtSphere(frames) : null;
  if (looked) {
    const { centre: c, radius: r } = looked;
    return { min: [c[0] - r, c[1] - r, c[2] - r], max: [c[0] + r, c[1] + r, c[2] + r], from: 'camera axes' };
  }
  return { ...cameras, from: 'camera centres' };
}

/**
 * p_normalised = (p - offset) * scale: the scene into the unit cube, centred, its longest side
 * with a 10% margin. Bounds too large for that to be a number (an overflowing aabb_scale, sparse
 * points near the float limit) are a ScanError on `scan`, naming where the bounds came from.
 */
export function unitCubeNormalisation(bounds: Scan['bounds'], from: BoundsSource, scan: string): Scan['normalisation'] {
  const extent = Math.max(...[0, 1, 2].map((a) => bounds.max[a] - bounds.min[a]), 1e-6) * 1.1;
  const offset = [0, 1, 2].map((a) => (bounds.min[a]! + bounds.max[a]!) / 2 - extent / 2) as [number, number, number];
  const scale = 1 / extent;
  if (!(scale > 0 && scale < Infinity) || !offset.every(Number.isFinite)) {
    throw new ScanError(
      scan,
      `its scene bounds (from ${from}) run from (${bounds.min.join(', ')}) to (${bounds.max.join(', ')}): too large to scale into the unit cube`,
    );
  }
  return { offset, scale };
}

/**
 * The point nearest (least squares) to every camera's optical axis, when it lies in front of
 * every camera, and the radius of the sphere around it that each camera sees whole; null when the
 * axes do not meet in front of the cameras (they look outwards, or are parallel).
 */
export function lookedAtSphere(frames: readonly BoundedFrame[]): { centre: [number, number, number]; radius: number } | null {
  if (frames.length < 2) return null;
  // Sum over cameras of (I - d dᵀ) x = (I - d dᵀ) o, d the unit axis (third column), o the centre.
  const a = new Float64Array(9);
  const b = new Float64Array(3);
  const axes = frames.map((f) => {
    const m = f.c2wSource;
    const d = [m[2]!, m[6]!, m[10]!];
    const n = Math.hypot(d[0]!, d[1]!, d[2]!);
    return { o: [m[3]!, m[7]!, m[11]!], d: d.map((v) => v / n) };
  });
  for (const { o, d } of axes) {
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const p = (i === j ? 1 : 0) - d[i]! * d[j]!;
        a[i * 3 + j] += p;
        b[i] += p * o[j]!;
      }
    }
  }
  const centre = solve3(a, b);
  if (!centre) return null;
  let radius = Infinity;
  for (const [i, { o, d }] of axes.entries()) {
    const to = [0, 1, 2].map((k) => centre[k]! - o[k]!);
    const along = to[0]! * d[0]! + to[1]! * d[1]! + to[2]! * d[2]!;
    if (!(along > 0)) return null;
    const k = frames[i]!.intrinsics;
    const halfFov = Math.min(Math.atan(k.width / 2 / k.fx), Math.atan(k.height / 2 / k.fy));
    radius = Math.min(radius, Math.hypot(to[0]!, to[1]!, to[2]!) * Math.sin(halfFov));
  }
  return { centre, radius };
}

/** x with a x = b for a symmetric 3x3 `a` (row-major), or null when `a` is near singular. */
function solve3(a: Float64Array, b: Float64Array): [number, number, number] | null {
  const [a0, a1, a2, a3, a4, a5, a6, a7, a8] = a as unknown as number[];
  const c0 = a4! * a8! - a5! * a7!;
  const c1 = a5! * a6! - a3! * a8!;
  const c2 = a3! * a7! - a4! * a6!;
  const det = a0! * c0 + a1! * c1 + a2! * c2;
  const scale = ((a0! + a4! + a8!) / 3) ** 3;
  // Parallel axes (a forward-facing sweep along a line) leave one direction unconstrained.
  if (!(Math.abs(det) > 1e-6 * scale)) return null;
  const inv = [
    c0,
    a2! * a7! - a1! * a8!,
    a1! * a5! - a2! * a4!,
    c1,
    a0! * a8! - a2! * a6!,
    a2! * a3! - a0! * a5!,
    c2,
    a1! * a6! - a0! * a7!,
    a0! * a4! - a1! * a3!,
  ];
  return [0, 1, 2].map((i) => (inv[i * 3]! * b[0]! + inv[i * 3 + 1]! * b[1]! + inv[i * 3 + 2]! * b[2]!) / det) as [number, number, number];
}

function boxOf(points: readonly (readonly number[])[]): { min: [number, number, number]; max: [number, number, number] } {
  const min: [number, number, number] = [Infinity, Infinity, Infinity];
  const max: [number, number, number] = [-Infinity, -Infinity, -Infinity];
  for (const p of points) {
    for (let a = 0; a < 3; a++) {
      min[a] = Math.min(min[a]!, p[a]!);
      max[a] = Math.max(max[a]!, p[a]!);
    }
  }
  return { min, max };
}

/** Per axis, the 0.5% and 99.5% quantiles: a few stray points do not stretch the box. */
function trimmedBox(xs: number[][]): { min: [number, number, number]; max: [number, number, number] } {
  const min: [number, number, number] = [0, 0, 0];
  const max: [number, number, number] = [0, 0, 0];
  for (let a = 0; a < 3; a++) {
    const v = Float64Array.from(xs[a]!).sort();
    min[a] = v[Math.floor(v.length * 0.005)]!;
    max[a] = v[Math.ceil(v.length * 0.995) - 1]!;
  }
  return { min, max };
}
