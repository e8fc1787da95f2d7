/**
 * Novel clusters split on appearance: two objects the segmenter mixes up come apart, one object
 * spread over two clusters comes together, a sliver is no class, known clusters stay as they
 * are; and discovery as a whole finds two novel classes where the distributions alone see one.
 */
import { describe, expect, it } from 'vitest';
import { ClassDiscovery, DEFAULT_DISCOVERY } from '../../src/discover/class-discovery.ts';
import { APPEARANCE_SPLIT, splitNovelClusters } from '../../src/discover/novel-cluster-split.ts';
import type { PreSegmentation } from '../../src/discover/pre-segmentation.ts';
import { nearestClasses, SceneDiscovery } from '../../src/discover/scene-discovery.ts';
import { segmentAppearance } from '../../src/discover/segment-appearance.ts';
import type { SegmentFeatures } from '../../src/discover/segment-features.ts';

/** Appearance rows near a few directions of a 4-d space, with a deterministic wobble. */
function looks(kinds: number[]): SegmentFeatures {
  const data = new Float32Array(kinds.length * 4);
  kinds.forEach((k, i) => {
    for (let d = 0; d < 4; d++) data[i * 4 + d] = (d === k ? 1 : 0.05) + ((i * 13 + d * 7) % 11) * 0.004;
  });
  return { count: kinds.length, dims: 4, data };
}

const repeat = <T>(v: T, n: number): T[] => Array.from({ length: n }, () => v);

describe('novel clusters split on appearance', () => {
  it('splits one novel cluster holding two different-looking objects, and leaves known clusters alone', () => {
    // Cluster 0 known (30 segments), cluster 1 novel: 20 segments that look like 0, 20 like 1.
    const labels = Int32Array.from([...repeat(0, 30), ...repeat(1, 40)]);
    const look = looks([...repeat(2, 30), ...repeat(0, 20), ...repeat(1, 20)]);
    const r = splitNovelClusters(labels, 2, [false, true], look, new Float64Array(70).fill(10));
    expect(Array.from(r.labels.subarray(0, 30))).toEqual(repeat(0, 30));
    const a = new Set(r.labels.subarray(30, 50));
    const b = new Set(r.labels.subarray(50, 70));
    expect(a.size).toBe(1);
    expect(b.size).toBe(1);
    expect([...a][0]).not.toBe([...b][0]);
    expect([...a, ...b].every((l) => l >= 2)).toBe(true);
    expect(r.parents).toEqual([[1], [1]]);
    // Each sub-cluster's appearance is its members' mean: dominated by its own direction.
    const subA = [...a][0]! - 2;
    expect(r.appearance[subA]![0]).toBeGreaterThan(0.9);
    expect(r.appearance[subA]![1]).toBeLessThan(0.2);
  });

  it('joins two novel clusters that look alike into one, with both as its parents', () => {
    const labels = Int32Array.from([...repeat(1, 8), ...repeat(2, 8)]);
    const r = splitNovelClusters(labels, 3, [false, true, true], looks(repeat(3, 16)), new Float64Array(16).fill(10));
    expect(new Set(r.labels).size).toBe(1);
    expect(r.labels[0]).toBe(3);
    expect(r.parents).toEqual([[1, 2]]);
  });

  it('dissolves a sub-cluster with too small a share of the pixels into the one it looks most like', () => {
    // 20 big segments that look like 0, 10 tiny ones like 1 (1 pixel each, well under 0.2%), 20 like 2.
    const kinds = [...repeat(0, 20), ...repeat(1, 10), ...repeat(2, 20)];
    const weights = Float64Array.from(kinds, (k) => (k === 1 ? 1 : 1000));
    const tinyLook = looks(kinds);
    // The tiny ones lean to 2 as well, so 2 is where they belong.
    for (let i = 20; i < 30; i++) tinyLook.data[i * 4 + 2] = 0.6;
    const r = splitNovelClusters(
      Int32Array.from(kinds, () => 0),
      1,
      [true],
      tinyLook,
      weights,
    );
    expect(r.parents.length).toBe(2);
    expect(new Set(r.labels.subarray(20, 30))).toEqual(new Set([r.labels[30]]));
    expect(r.labels[0]).not.toBe(r.labels[30]);
    expect(APPEARANCE_SPLIT.minShare * (40 * 1000 + 10)).toBeGreaterThan(10); // the tiny group really is below the floor
  });

  it('says which input is wrong when the appearance does not match the segments', () => {
    expect(() => splitNovelClusters(new Int32Array(5), 1, [true], looks([0, 0, 0]), new Float64Array(5))).toThrow(
      /3 appearance rows for 5 segments/,
    );
  });
});

describe('discovery with appearance', () => {
  // Three known-class segments and two novel objects with the very same distribution (unsure
  // between wall and floor), told apart only by appearance.
  const names = ['wall', 'floor', 'chair'];
  const settings = { ...DEFAULT_DISCOVERY, minClusterSize: 4, minSamples: 3 };
  const rows: Record<string, number[]> = { wall: [0.92, 0.04, 0.04, 0.1], floor: [0.05, 0.9, 0.05, 0.12], novel: [0.45, 0.35, 0.2, 0.85] };
  const kinds = [...repeat('wall', 16), ...repeat('floor', 16), ...repeat('novel', 32)];
  // Exactly equal within a kind: the distributions really cannot tell the two novel objects apart.
  const feats: SegmentFeatures = { count: kinds.length, dims: 4, data: Float32Array.from(kinds.flatMap((k) => rows[k]!)) };
  const look = looks([...repeat(3, 32), ...repeat(0, 16), ...repeat(1, 16)]);
  const weights = new Float64Array(kinds.length).fill(500);

  it('finds two novel classes where the distributions alone find one', () => {
    const without = new ClassDiscovery(names, settings).update(feats, weights);
    expect(without.classes.filter((c) => !c.known).length).toBe(1);

    const u = new ClassDiscovery(names, settings).update(feats, weights, { appearance: look });
    const novel = u.classes.filter((c) => !c.known);
    expect(novel.map((c) => c.name)).toEqual(['novel-1', 'novel-2']);
    expect(new Set(u.classOfSegment.subarray(32, 48)).size).toBe(1);
    expect(new Set(u.classOfSegment.subarray(48, 64)).size).toBe(1);
    expect(u.classOfSegment[32]).not.toBe(u.classOfSegment[48]);
    expect(u.classes.find((c) => c.name === 'wall')!.appearance).toBeUndefined();
    for (const c of novel) expect(c.family).toEqual(novel[0]!.family);

    // A segment of another frame: novel by its distribution, placed by how it looks.
    const other: SegmentFeatures = { count: 2, dims: 4, data: Float32Array.from([...rows.novel!, ...rows.novel!]) };
    const placed = nearestClasses(other, u.classes, looks([1, 0]));
    expect(placed[0]).toBe(u.classOfSegment[48]);
    expect(placed[1]).toBe(u.classOfSegment[32]);
  });

  it('keeps the split classes and their ids from one update to the next', () => {
    const d = new ClassDiscovery(names, settings);
    const first = d.update(feats, weights, { appearance: look });
    const second = d.update(feats, weights, { appearance: look });
    expect(Array.from(second.classOfSegment)).toEqual(Array.from(first.classOfSegment));
  });
});

describe('segment appearance', () => {
  /** 4 x 2: segment 0 the left column pair, segment 1 the right, one pixel outside any segment. */
  const seg: PreSegmentation = {
    width: 4,
    height: 2,
    segments: Int32Array.from([0, 0, 1, 1, 0, 0, 1, -1]),
    count: 2,
    pixels: Uint32Array.of(4, 3),
  };

  it('averages the feature map over each segment', () => {
    // Channel 0 = x, channel 1 = 10 * y, at the segments' own resolution.
    const data = new Float32Array(2 * 8);
    for (let p = 0; p < 8; p++) {
      data[p] = p % 4;
      data[8 + p] = 10 * Math.floor(p / 4);
    }
    const a = segmentAppearance({ channels: 2, width: 4, height: 2, data }, seg);
    expect(a.dims).toBe(2);
    [0.5, 5, 2 + 1 / 3, 10 / 3].forEach((v, i) => expect(a.data[i]).toBeCloseTo(v, 5));
  });

  it('reads a coarser map at the segments resolution', () => {
    const a = segmentAppearance({ channels: 1, width: 2, height: 1, data: Float32Array.of(1, 3) }, seg);
    // Bilinear: x centres 0.5..3.5 map to 0.25..1.75 in the map: columns 1, 1.5, 2.5, 3.
    expect(a.data[0]).toBeCloseTo(1.25, 6);
    expect(a.data[1]).toBeCloseTo((2.5 + 3 + 2.5) / 3, 6);
  });

  it('must match the frames: scene discovery says so when it does not', () => {
    const d = new ClassDiscovery(['wall', 'floor', 'chair']);
    expect(
      () =>
        new SceneDiscovery([seg], d, {
          keyframes: 1,
          samplesPerSegment: 2,
          appearance: [{ count: 3, dims: 2, data: new Float32Array(6) }],
        }),
    ).toThrow(/appearances do not match/);
  });
});
