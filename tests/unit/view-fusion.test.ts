/**
 * Segments of different views that cover the same surface (voxel overlaps of back-projected
 * depth), and features fused across them: on small scenes with known geometry and known answers.
 */
import { describe, expect, it } from 'vitest';
import { ClassDiscovery, DEFAULT_DISCOVERY } from '../../src/discover/class-discovery.ts';
import type { PreSegmentation } from '../../src/discover/pre-segmentation.ts';
import {
  classesFromOverlaps,
  frameFeatures,
  nearestClasses,
  SceneDiscovery,
  TRANSFER_COVERAGE,
  type PixelSource,
} from '../../src/discover/scene-discovery.ts';
import { sampleSegments } from '../../src/discover/segment-samples.ts';
import type { SegmentFeatures } from '../../src/discover/segment-features.ts';
import { fuseAcrossViews } from '../../src/discover/view-fused-features.ts';
import { PreSegmenter } from '../../src/discover/presegment-in-worker.ts';
import { viewOverlaps, type PlacedSegmentation, type SegmentOverlap } from '../../src/discover/view-overlaps.ts';

const W = 40;
const H = 20;

/** Left half of the image is segment 0, right half segment 1. */
function halves(width = W, height = H): PreSegmentation {
  const segments = new Int32Array(width * height).map((_, p) => (p % width < width / 2 ? 0 : 1));
  return { width, height, segments, count: 2, pixels: Uint32Array.of((width * height) / 2, (width * height) / 2) };
}

/**
 * A camera at (tx, 0, 0) looking down +z at a wall 2 units away: with fx = 20 over 40 pixels it
 * sees x from tx - 2 to tx + 2, its left half [tx - 2, tx), its right half [tx, tx + 2).
 */
function wallView(tx: number): PlacedSegmentation {
  const c2w = [1, 0, 0, tx, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
  return {
    segmentation: halves(),
    depth: { width: W, height: H, depth: new Float32Array(W * H).fill(2), intrinsics: { fx: 20, fy: 20, cx: 20, cy: 10 } },
    c2w,
  };
}

const find = (list: readonly SegmentOverlap[], frame: number, segment: number) =>
  list.find((o) => o.frame === frame && o.segment === segment);

describe('view overlaps', () => {
  it('finds the segments of two views that see the same stretch of wall, and no others', () => {
    // View 0 at x = 0 sees [-2, 2); view 1 at x = 2 sees [0, 4): view 0's right half is view 1's left half.
    // The voxel (0.0123 x the median depth 2) is not a divisor of the 0.1 point spacing, so no
    // point sits on a voxel border where rounding could tell the two views' copies apart.
    const o = viewOverlaps([wallView(0), wallView(2)], { voxelFraction: 0.0123, stride: 1 });
    expect(o).toHaveLength(2);
    expect(o[0]![0]).toEqual([]);
    expect(o[1]![1]).toEqual([]);
    expect(o[0]![1]!).toHaveLength(1);
    expect(find(o[0]![1]!, 1, 0)!.fraction).toBeGreaterThan(0.95);
    expect(find(o[1]![0]!, 0, 1)!.fraction).toBeGreaterThan(0.95);
  });

  it('measures a partial overlap as the share of the segment covered', () => {
    // View 1 at x = 1: its left half [-1, 1) covers half of view 0's left half [-2, 0) and half of its right half [0, 2).
    const o = viewOverlaps([wallView(0), wallView(1)], { voxelFraction: 0.0123, stride: 1 });
    expect(find(o[0]![0]!, 1, 0)!.fraction).toBeCloseTo(0.5, 1);
    expect(find(o[0]![1]!, 1, 0)!.fraction).toBeCloseTo(0.5, 1);
    expect(find(o[0]![1]!, 1, 1)!.fraction).toBeCloseTo(0.5, 1);
    expect(find(o[1]![0]!, 0, 0)!.fraction).toBeCloseTo(0.5, 1);
  });

  it('never pairs segments of one view, drops slivers below minFraction, and skips pixels without depth', () => {
    const a = wallView(0);
    const b = wallView(3.8); // its left half [1.8, 3.8) shares a tenth of view 0's right half [0, 2)
    expect(find(viewOverlaps([a, b], { voxelFraction: 0.0123, stride: 1 })[0]![1]!, 1, 0)!.fraction).toBeCloseTo(0.1, 1);
    expect(viewOverlaps([a, b], { voxelFraction: 0.0123, stride: 1, minFraction: 0.2 })[0]![1]).toEqual([]);
    const holes = wallView(2);
    holes.depth.depth.fill(0);
    expect(viewOverlaps([a, holes], { stride: 1 })[0]![1]).toEqual([]);
    expect(viewOverlaps([a], { stride: 1 })).toEqual([[[], []]]);
  });

  it("gives the same overlaps from views kept as they are pre-segmented (the pipeline's way), then forgets them", async () => {
    const presegmenter = new PreSegmenter();
    const views = [wallView(0), wallView(2)];
    const placed: PlacedSegmentation[] = [];
    for (const v of views) placed.push({ ...v, segmentation: await presegmenter.segment(v.depth, undefined, v.c2w) });
    // A flat wall is one segment per view; the two views share half of it.
    expect(placed.map((p) => p.segmentation.count)).toEqual([1, 1]);
    const kept = await presegmenter.overlaps();
    expect(kept).toEqual(viewOverlaps(placed));
    expect(kept[0]![0]![0]!.fraction).toBeCloseTo(0.5, 1);
    expect(await presegmenter.overlaps()).toEqual([]);
    presegmenter.dispose();
  });

  it('refuses a segmentation and a depth map of different sizes', () => {
    const v = wallView(0);
    v.segmentation = halves(20, 10);
    expect(() => viewOverlaps([v])).toThrow(/segments are 20x10 but the depth is 40x20/);
  });
});

describe('features fused across views', () => {
  const own: SegmentFeatures = { count: 2, dims: 3, data: Float32Array.of(1, 0, 0.2, 0, 1, 0.4) };
  const other: SegmentFeatures = { count: 1, dims: 3, data: Float32Array.of(0, 1, 0.8) };

  it("averages a segment's feature with the segments covering it, weighted by the share covered", () => {
    const fused = fuseAcrossViews(own, [[{ frame: 7, segment: 0, fraction: 0.5 }], []], (f) => (f === 7 ? other : undefined));
    // (1·[1, 0, 0.2] + 0.5·[0, 1, 0.8]) / 1.5; segment 1 has no overlaps and stays as it is.
    expect(Array.from(fused.data.slice(0, 3))).toEqual([1 / 1.5, 0.5 / 1.5, 0.6 / 1.5].map(Math.fround));
    expect(Array.from(fused.data.slice(3))).toEqual(Array.from(own.data.slice(3)));
  });

  it('skips views whose features are not at hand, and refuses overlaps that do not fit', () => {
    const fused = fuseAcrossViews(own, [[{ frame: 3, segment: 0, fraction: 1 }], []], () => undefined);
    expect(Array.from(fused.data)).toEqual(Array.from(own.data));
    expect(() => fuseAcrossViews(own, [[]], () => other)).toThrow(/1 overlap lists for 2 segments/);
    expect(() => fuseAcrossViews(own, [[{ frame: 1, segment: 4, fraction: 1 }], []], () => other)).toThrow(/frame 1 has no segment 4/);
  });
});

describe('scene discovery with overlaps', () => {
  // Three views of one scene, each split into a wall half (segment 0) and a half showing an
  // object the segmenter does not know (segment 1). Frames 0 and 2 are the keyframes.
  const NAMES = ['wall', 'floor', 'chair'];
  const WALL = [0.1, 0.92, 0.04, 0.04];
  const NOVEL = [0.85, 0.4, 0.35, 0.25];
  // Frame 1 sees the object from a grazing angle: on its own it leans to the wall, fairly surely.
  const GRAZING = [0.3, 0.8, 0.12, 0.08];
  const rows = [
    [WALL, NOVEL],
    [WALL, GRAZING],
    [WALL, NOVEL],
  ];
  const source: PixelSource = async (frame, pixels) => {
    const seg = halves(8, 4);
    const data = new Float32Array(pixels.length * 4);
    pixels.forEach((p, i) => data.set(rows[frame]![seg.segments[p]!]!, i * 4));
    return { count: pixels.length, k: 3, data, stride: 4, probsAt: 1, entropyAt: 0 };
  };
  // Each half of each view is covered wholly by the same half of the two other views.
  const overlaps = [0, 1, 2].map((f) =>
    [0, 1].map((s) => [0, 1, 2].filter((g) => g !== f).map((g) => ({ frame: g, segment: s, fraction: 1 }))),
  );
  const settings = { ...DEFAULT_DISCOVERY, minClusterSize: 2, minSamples: 2, entropyWeight: 1 };
  const segmentations = [halves(8, 4), halves(8, 4), halves(8, 4)];

  it("labels a frame's segment by what the keyframes covering the same surface say, not by its own view alone", async () => {
    const fused = new SceneDiscovery(segmentations, new ClassDiscovery(NAMES, settings), { keyframes: 2, samplesPerSegment: 4, overlaps });
    expect(fused.keyframes).toEqual([0, 2]);
    const update = await fused.update(source);
    const novel = update.classes.find((c) => !c.known)!;
    expect(novel).toBeDefined();
    expect(Array.from((await fused.labelFrame(source, 1)).classes.slice(0, 8))).toEqual([
      0,
      0,
      0,
      0,
      novel.id,
      novel.id,
      novel.id,
      novel.id,
    ]);

    // Without the overlaps the grazing view's half is taken for wall.
    const alone = new SceneDiscovery(segmentations, new ClassDiscovery(NAMES, settings), { keyframes: 2, samplesPerSegment: 4 });
    await alone.update(source);
    expect(Array.from((await alone.labelFrame(source, 1)).classes.slice(4, 8))).toEqual([0, 0, 0, 0]);
  });

  it('gives a frame’s segment the class of the keyframe segments that cover most of it, whatever its own view says', async () => {
    // Frame 1 takes the object for wall outright, and the keyframes cover only a quarter of each
    // of its halves each (half in all): too little for the fused feature to outweigh its own view,
    // enough to take the keyframes' class.
    const surelyWall: PixelSource = async (frame, pixels) => {
      const out = await source(frame, pixels);
      if (frame === 1) pixels.forEach((_, i) => out.data.set(WALL, i * 4));
      return out;
    };
    const partly = overlaps.map((perSegment, f) => perSegment.map((list) => list.map((o) => ({ ...o, fraction: f === 1 ? 0.25 : 1 }))));
    const scene = new SceneDiscovery(segmentations, new ClassDiscovery(NAMES, settings), {
      keyframes: 2,
      samplesPerSegment: 4,
      overlaps: partly,
    });
    const update = await scene.update(surelyWall);
    const novel = update.classes.find((c) => !c.known)!;
    expect(Array.from((await scene.labelFrame(surelyWall, 1)).classes.slice(0, 8))).toEqual([
      0,
      0,
      0,
      0,
      novel.id,
      novel.id,
      novel.id,
      novel.id,
    ]);
    // By its fused feature alone (the classes' prototypes) the object's half is wall.
    const own = (f: number): Promise<SegmentFeatures> =>
      frameFeatures(surelyWall, f, sampleSegments(segmentations[f]!, 4), settings.entropyWeight);
    const keyFeatures = new Map([
      [0, await own(0)],
      [2, await own(2)],
    ]);
    const fused = fuseAcrossViews(await own(1), partly[1]!, (f) => keyFeatures.get(f));
    expect(Array.from(nearestClasses(fused, update.classes))).toEqual([0, 0]);
  });

  it('takes a class from the keyframes only where they cover enough of a segment and mostly agree', () => {
    const classOf = (o: SegmentOverlap): number => o.segment;
    const cover = (...parts: [number, number][]): SegmentOverlap[] => parts.map(([segment, fraction]) => ({ frame: 0, segment, fraction }));
    expect(
      Array.from(
        classesFromOverlaps(
          [cover([3, 0.4], [3, 0.3]), cover([3, 0.3], [4, 0.3]), cover([3, TRANSFER_COVERAGE / 2]), cover([3, 0.6], [-1, 1]), cover()],
          classOf,
        ),
      ),
    ).toEqual([3, -1, -1, 3, -1]);
  });

  it('refuses overlaps that do not match the pre-segmentation', () => {
    expect(
      () =>
        new SceneDiscovery(segmentations, new ClassDiscovery(NAMES, settings), {
          keyframes: 2,
          samplesPerSegment: 4,
          overlaps: overlaps.slice(1),
        }),
    ).toThrow(/do not match/);
  });
});
