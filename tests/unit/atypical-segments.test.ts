/**
 * Novel things hidden in known classes: which segments count as atypical of their class (known
 * answers for the floor and the median rule), and discovery as a whole turning a window that the
 * segmenter calls wall with confidence into a novel class, only when the distances say so.
 */
import { describe, expect, it } from 'vitest';
import { ATYPICAL_SEGMENTS, atypicalSegments } from '../../src/discover/atypical-segments.ts';
import { ClassDiscovery, DEFAULT_DISCOVERY } from '../../src/discover/class-discovery.ts';
import type { SegmentFeatures } from '../../src/discover/segment-features.ts';

const repeat = <T>(v: T, n: number): T[] => Array.from({ length: n }, () => v);

/** Distance rows to 2 classes: segment i's distance to its own class is `own[i]`, to the other 5. */
function distances(classOf: number[], own: number[]): SegmentFeatures {
  const data = new Float32Array(classOf.length * 2).fill(5);
  classOf.forEach((c, i) => c >= 0 && (data[i * 2 + c] = own[i]!));
  return { count: classOf.length, dims: 2, data };
}

describe('atypical segments', () => {
  it('are those beyond both the floor and three times the class median', () => {
    expect(ATYPICAL_SEGMENTS).toEqual({ floor: 1, ratio: 3 });
    // Class 0 (a wall): median 0.2, so the limit is the floor, 1: only 1.6 is out.
    // Class 1 (a chair unlike its training chairs): median 1.5, limit 4.5: 2.0 and 4.0 stay.
    const classOf = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, -1];
    const own = [0.2, 0.15, 0.25, 0.9, 1.6, 1.5, 1.4, 1.6, 2.0, 4.0, 0];
    const r = atypicalSegments(Int32Array.from(classOf), distances(classOf, own), new Float64Array(11).fill(10));
    expect(Array.from(r)).toEqual([-1, -1, -1, -1, 0, -1, -1, -1, -1, -1, -1]);
  });

  it('weigh the median by pixels', () => {
    // Two big segments at 0.4 outweigh three small ones at 0.1: median 0.4, limit 1.2.
    const classOf = [0, 0, 0, 0, 0, 0];
    const own = [0.4, 0.4, 0.1, 0.1, 0.1, 1.3];
    const weights = [1000, 1000, 1, 1, 1, 1];
    expect(Array.from(atypicalSegments(Int32Array.from(classOf), distances(classOf, own), weights))).toEqual([-1, -1, -1, -1, -1, 0]);
    // Unweighted (all 1), the median is 0.1 and the limit the floor: 1.3 is still out, 0.4 is not.
    expect(Array.from(atypicalSegments(Int32Array.from(classOf), distances(classOf, own), repeat(1, 6)))).toEqual([-1, -1, -1, -1, -1, 0]);
    expect(Array.from(atypicalSegments(Int32Array.from(classOf), distances(classOf, own), weights, { floor: 1, ratio: 3.5 }))).toEqual(
      repeat(-1, 6),
    );
  });

  it('say which input is wrong', () => {
    expect(() => atypicalSegments(new Int32Array(3), distances([0, 0], [0, 0]), [1, 1, 1])).toThrow(/2 distance rows for 3 segments/);
    expect(() => atypicalSegments(Int32Array.from([0, 2]), distances([0, 0], [0, 0]), [1, 1])).toThrow(
      /class 2 of segment 1, but distances to 2 classes/,
    );
  });
});

describe('discovery with class distances', () => {
  const names = ['wall', 'floor', 'chair'];
  const settings = { ...DEFAULT_DISCOVERY, minClusterSize: 4, minSamples: 3 };
  // The window's distribution is the wall's, a little less sure: confidently wall, never novel by itself.
  const rows: Record<string, number[]> = {
    wall: [0.9, 0.05, 0.05, 0.2],
    window: [0.87, 0.065, 0.065, 0.22],
    floor: [0.05, 0.9, 0.05, 0.2],
    chair: [0.05, 0.05, 0.9, 0.2],
  };
  const kinds = [...repeat('wall', 20), ...repeat('window', 10), ...repeat('floor', 20), ...repeat('chair', 12)];
  const feats: SegmentFeatures = {
    count: kinds.length,
    dims: 4,
    data: Float32Array.from(kinds.flatMap((k, i) => rows[k]!.map((v) => v + (i % 3) * 0.002))),
  };
  const weights = Float64Array.from(kinds, () => 1000);
  // Distances to wall, floor, chair: each segment within its own class's spread, the window far from wall.
  const own: Record<string, number[]> = { wall: [0.2, 3, 3], window: [2.4, 3, 3], floor: [3, 0.3, 3], chair: [3, 3, 0.6] };
  const dist: SegmentFeatures = { count: kinds.length, dims: 3, data: Float32Array.from(kinds.flatMap((k) => own[k]!)) };

  it('leave the window with the wall without them', () => {
    const u = new ClassDiscovery(names, settings).update(feats, weights);
    expect(u.classes.filter((c) => !c.known)).toEqual([]);
    expect(new Set(u.classOfSegment.subarray(0, 30))).toEqual(new Set([0]));
  });

  it('make the window a novel class of its own with them, and keep the rest as they were', () => {
    const u = new ClassDiscovery(names, settings).update(feats, weights, { classDistances: dist });
    const novel = u.classes.filter((c) => !c.known);
    expect(novel.map((c) => c.name)).toEqual(['novel-1']);
    expect(Array.from(u.classOfSegment.subarray(20, 30))).toEqual(repeat(novel[0]!.id, 10));
    expect(Array.from(u.classOfSegment.subarray(0, 20))).toEqual(repeat(0, 20));
    expect(Array.from(u.classOfSegment.subarray(30, 50))).toEqual(repeat(1, 20));
    expect(Array.from(u.classOfSegment.subarray(50))).toEqual(repeat(2, 12));
    expect(novel[0]!.share).toBeCloseTo(10 / 62, 5);
  });

  it('take no class from a handful of pixels', () => {
    // One atypical wall segment of 0.1% of the pixels: under the novel-class floor, it stays wall.
    const w = Float64Array.from(kinds, (k, i) => (k === 'window' ? (i === 20 ? 50 : 0) : 1000));
    const u = new ClassDiscovery(names, settings).update(feats, w, { classDistances: dist });
    expect(u.classes.filter((c) => !c.known)).toEqual([]);
  });

  it('must have one entry per class', () => {
    const bad = { count: kinds.length, dims: 2, data: new Float32Array(kinds.length * 2) };
    expect(() => new ClassDiscovery(names, settings).update(feats, weights, { classDistances: bad })).toThrow(
      /class distances have 2 entries, expected 3/,
    );
  });
});
