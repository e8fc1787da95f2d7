/**
 * Pre-segmentation on depth a user can reason about: scenes ray-cast analytically here (a room
 * corner, a box on a floor, a picture on a wall, a step), then frames of the synthetic room
 * generator scored against their ground-truth class labels.
 */
import { rayBoxHit } from '../helpers/ray-box.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { presegment, type DepthView, type PreSegmentation } from '../../src/discover/pre-segmentation.ts';
import { PreSegmenter } from '../../src/discover/presegment-in-worker.ts';
import { RoomTracer } from '../../src/synth/render-frame.ts';
import { buildWorld } from '../../src/synth/synthetic-scan.ts';

const W = 320;
const H = 240;
/** 90 degrees horizontal field of view, as the synthetic scans use. */
const INTRINSICS = { fx: 160, fy: 160, cx: W / 2, cy: H / 2 };

type Vec3 = [number, number, number];

/** A surface of the test scenes: the ray parameter of its nearest hit in front of the origin, or Infinity. */
interface Shape {
  hit(o: Vec3, d: Vec3): number;
}

/** The infinite plane n·x = c (world units: metres, y up). */
function plane(n: Vec3, c: number): Shape {
  return {
    hit(o, d) {
      const nd = n[0] * d[0] + n[1] * d[1] + n[2] * d[2];
      if (Math.abs(nd) < 1e-12) return Infinity;
      const t = (c - (n[0] * o[0] + n[1] * o[1] + n[2] * o[2])) / nd;
      return t > 1e-9 ? t : Infinity;
    },
  };
}

/** An axis-aligned box from corner lo to corner hi, seen from outside. */
function box(lo: Vec3, hi: Vec3): Shape {
  return {
    hit: (o, d) => rayBoxHit(o, d, lo, hi),
  };
}

/**
 * Ray-casts z-depth and the index of the shape seen (-1: nothing) through every pixel centre, for
 * a pinhole camera at `eye` looking at `target` (OpenCV camera axes; world y is up).
 */
function castScene(shapes: Shape[], eye: Vec3, target: Vec3): { view: DepthView; shapeOf: Int32Array } {
  const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
  const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
  const unit = (a: Vec3): Vec3 => {
    const l = Math.hypot(...a);
    return [a[0] / l, a[1] / l, a[2] / l];
  };
  const forward = unit(sub(target, eye));
  const right = unit(cross(forward, [0, 1, 0]));
  const down = cross(forward, right);
  const depth = new Float32Array(W * H);
  const shapeOf = new Int32Array(W * H).fill(-1);
  for (let j = 0; j < H; j++) {
    for (let i = 0; i < W; i++) {
      const x = (i + 0.5 - INTRINSICS.cx) / INTRINSICS.fx;
      const y = (j + 0.5 - INTRINSICS.cy) / INTRINSICS.fy;
      // Camera-space direction (x, y, 1), so the ray parameter of a hit is its z-depth.
      const d: Vec3 = [0, 1, 2].map((a) => right[a]! * x + down[a]! * y + forward[a]!) as Vec3;
      let nearest = Infinity;
      shapes.forEach((shape, k) => {
        const t = shape.hit(eye, d);
        if (t < nearest) {
          nearest = t;
          shapeOf[j * W + i] = k;
        }
      });
      if (nearest < Infinity) depth[j * W + i] = nearest;
    }
  }
  return { view: { width: W, height: H, depth, intrinsics: INTRINSICS }, shapeOf };
}

/** How the pixels of one true region fall into segments. */
function regionStats(seg: PreSegmentation, truth: ArrayLike<number>, region: number): { segment: number; share: number; purity: number } {
  const inRegion = new Map<number, number>();
  let total = 0;
  for (let p = 0; p < seg.segments.length; p++) {
    if (truth[p] !== region) continue;
    total++;
    const s = seg.segments[p]!;
    inRegion.set(s, (inRegion.get(s) ?? 0) + 1);
  }
  let segment = -1;
  let best = 0;
  for (const [s, c] of inRegion) {
    if (s >= 0 && c > best) {
      best = c;
      segment = s;
    }
  }
  return { segment, share: best / total, purity: segment >= 0 ? best / seg.pixels[segment]! : 0 };
}

/** Share of segmented pixels that carry their segment's majority label, over all segments. */
function labelPurity(seg: PreSegmentation, labels: ArrayLike<number>): number {
  const counts = new Map<number, number>();
  for (let p = 0; p < seg.segments.length; p++) {
    const s = seg.segments[p]!;
    if (s < 0) continue;
    const key = s * 256 + labels[p]!;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const majority = new Uint32Array(seg.count);
  for (const [key, c] of counts) majority[Math.floor(key / 256)] = Math.max(majority[Math.floor(key / 256)]!, c);
  const segmented = seg.pixels.reduce((a, b) => a + b, 0);
  return majority.reduce((a, b) => a + b, 0) / segmented;
}

describe('pre-segmentation of analytic scenes', () => {
  it('splits a room corner into floor, back wall and side wall at its concave edges', () => {
    const floor = plane([0, 1, 0], 0);
    const back = plane([0, 0, 1], 4);
    const side = plane([1, 0, 0], -2);
    const { view, shapeOf } = castScene([floor, back, side], [0.5, 1.5, 0.5], [-1, 0.6, 3]);
    const seg = presegment(view);
    const large = Array.from(seg.pixels).filter((c) => c >= 0.01 * W * H);
    expect(large).toHaveLength(3);
    const planes = [0, 1, 2].map((k) => regionStats(seg, shapeOf, k));
    for (const s of planes) {
      expect(s.share).toBeGreaterThanOrEqual(0.95);
      expect(s.purity).toBeGreaterThanOrEqual(0.99);
    }
    expect(new Set(planes.map((s) => s.segment)).size).toBe(3);
  });

  it('keeps a box seen from outside whole (its edges are convex) and apart from the floor it stands on', () => {
    const floor = plane([0, 1, 0], 0);
    const back = plane([0, 0, 1], 5);
    const crate = box([-0.4, 0, 2.2], [0.4, 0.6, 3]);
    const { view, shapeOf } = castScene([floor, back, crate], [1.2, 1.6, 0.3], [0, 0.3, 2.6]);
    const seg = presegment(view);
    const onBox = regionStats(seg, shapeOf, 2);
    const onFloor = regionStats(seg, shapeOf, 0);
    expect(onBox.share).toBeGreaterThanOrEqual(0.95);
    expect(onBox.purity).toBeGreaterThanOrEqual(0.99);
    expect(onFloor.share).toBeGreaterThanOrEqual(0.95);
    expect(onFloor.segment).not.toBe(onBox.segment);
  });

  it.each([
    ['head-on at 1.5 m', 1.5, 0],
    ['head-on at 3 m', 3, 0],
    ['at 40 degrees at 3 m', 3, 40],
  ])('separates a slab 3 cm proud of a wall from the wall (%s)', (_, distance, angle) => {
    const wall = plane([0, 0, 1], distance);
    const slab = box([-0.3, 1.3, distance - 0.03], [0.3, 1.7, distance]);
    const a = (angle * Math.PI) / 180;
    const eye: Vec3 = [-Math.sin(a) * distance, 1.5, distance - Math.cos(a) * distance];
    const { view, shapeOf } = castScene([wall, slab], eye, [0, 1.5, distance]);
    const seg = presegment(view);
    const onSlab = regionStats(seg, shapeOf, 1);
    const onWall = regionStats(seg, shapeOf, 0);
    expect(onSlab.share).toBeGreaterThanOrEqual(0.95);
    expect(onSlab.purity).toBeGreaterThanOrEqual(0.95);
    expect(onWall.share).toBeGreaterThanOrEqual(0.95);
    expect(onWall.segment).not.toBe(onSlab.segment);
  });

  it('splits at a depth step and leaves pixels without depth unsegmented', () => {
    const depth = new Float32Array(W * H);
    const missing = (i: number, j: number): boolean => i >= 40 && i < 80 && j >= 100 && j < 140;
    for (let j = 0; j < H; j++) for (let i = 0; i < W; i++) depth[j * W + i] = missing(i, j) ? 0 : i < W / 2 ? 2 : 2.1;
    const nan = 5;
    const infinite = W * 3 + 7;
    depth[nan] = Number.NaN;
    depth[infinite] = Infinity;
    const view: DepthView = { width: W, height: H, depth, intrinsics: INTRINSICS };
    const seg = presegment(view);
    expect(seg.count).toBe(2);
    expect(seg.segments[W * 10 + W / 2 - 1]).not.toBe(seg.segments[W * 10 + W / 2]);
    const wrong: string[] = [];
    for (let j = 0; j < H; j++) {
      for (let i = 0; i < W; i++) {
        const p = j * W + i;
        const expected = missing(i, j) || p === nan || p === infinite ? -1 : i < W / 2 ? 0 : 1;
        if (seg.segments[p] !== expected) wrong.push(`(${i}, ${j}): ${seg.segments[p]} not ${expected}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(Array.from(seg.pixels)).toEqual([(W / 2) * H - 40 * 40 - 2, (W / 2) * H]);
    // The columns either side of the step are edge pixels, segmented only by absorption.
    const unabsorbed = presegment(view, { absorbSteps: 0 });
    expect(unabsorbed.segments[W * 10 + W / 2 - 1]).toBe(-1);
    expect(unabsorbed.segments[W * 10 + W / 2]).toBe(-1);
    expect(unabsorbed.segments[W * 10 + W / 2 - 2]).toBe(0);
  });
});

describe('pre-segmentation of generated room frames', () => {
  interface Scored {
    purity: number;
    coverage: number;
    count: number;
  }
  const scored: Scored[] = [];
  let firstView: DepthView;

  beforeAll(() => {
    for (const seed of [1, 3]) {
      const world = buildWorld({ preset: 'tiny', seed, frames: 8, width: W, height: H });
      const tracer = new RoomTracer(world.scene);
      for (const index of [0, 3, 6]) {
        const camera = world.cameras[index]!;
        const frame = tracer.render(camera);
        const view: DepthView = {
          width: frame.width,
          height: frame.height,
          depth: Float32Array.from(frame.depthMm, (mm) => mm / 1000),
          intrinsics: { fx: camera.fx, fy: camera.fy, cx: camera.cx, cy: camera.cy },
        };
        firstView ??= view;
        const seg = presegment(view);
        const segmented = seg.pixels.reduce((a, b) => a + b, 0);
        scored.push({ purity: labelPurity(seg, frame.label), coverage: segmented / (W * H), count: seg.count });
      }
    }
  });

  it('puts one class in each segment, covers the frame and keeps segments few', () => {
    for (const s of scored) {
      expect(s.purity).toBeGreaterThanOrEqual(0.9);
      expect(s.coverage).toBeGreaterThanOrEqual(0.85);
      expect(s.count).toBeGreaterThanOrEqual(5);
      expect(s.count).toBeLessThanOrEqual(400);
    }
  });

  it('gives the same segments for the same depth, in place or through PreSegmenter', async () => {
    const once = presegment(firstView);
    const again = presegment({ ...firstView, depth: firstView.depth.slice() });
    expect(again).toEqual(once);
    // Node has no Worker: PreSegmenter runs presegment() in place.
    expect(await new PreSegmenter().segment(firstView)).toEqual(once);
  });
});

describe('pre-segmentation input checks', () => {
  const view = (depthLength: number): DepthView => ({
    width: 16,
    height: 8,
    depth: new Float32Array(depthLength).fill(1),
    intrinsics: { fx: 10, fy: 10, cx: 8, cy: 4 },
  });

  it('names a depth map of the wrong length', async () => {
    expect(() => presegment(view(100))).toThrow('the depth map has 100 values, but 16x8 needs 128');
    await expect(new PreSegmenter().segment(view(100))).rejects.toThrow('the depth map has 100 values, but 16x8 needs 128');
  });

  it('names bad intrinsics and settings', () => {
    expect(() => presegment({ ...view(128), intrinsics: { fx: 0, fy: 10, cx: 8, cy: 4 } })).toThrow(
      /intrinsics must be finite with fx, fy > 0, got fx=0/,
    );
    expect(() => presegment(view(128), { normalRadius: 0 })).toThrow(/normalRadius must be a whole number >= 1, got 0/);
    expect(() => presegment(view(128), { concaveAngleDegrees: -5 })).toThrow(/concaveAngleDegrees/);
  });
});
