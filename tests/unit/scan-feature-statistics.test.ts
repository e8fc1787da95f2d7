/**
 * Feature statistics measured on a scan's own confident segments: means per class from the
 * segments the segmenter is sure of, a shared covariance that stays invertible with few segments,
 * spreads that hold 95% of each class's own segments, and a segment of another kind far outside
 * its class's spread; in scene discovery, measured on the keyframes' segments.
 */
import { describe, expect, it } from 'vitest';
import { invertSymmetric, measureFeatureStatistics } from '../../src/discover/scan-feature-statistics.ts';
import { classDistances } from '../../src/segment/feature-statistics.ts';
import { ClassDiscovery } from '../../src/discover/class-discovery.ts';
import type { PreSegmentation } from '../../src/discover/pre-segmentation.ts';
import { SceneDiscovery } from '../../src/discover/scene-discovery.ts';
import type { SegmentFeatures } from '../../src/discover/segment-features.ts';

/** Segments with a distribution over 2 classes (+ entropy) and a 3-D appearance. */
function frame(rows: { probs: [number, number]; entropy: number; look: number[]; pixels?: number }[]) {
  return {
    distribution: { count: rows.length, dims: 3, data: Float32Array.from(rows.flatMap((r) => [...r.probs, r.entropy])) },
    appearance: { count: rows.length, dims: 3, data: Float32Array.from(rows.flatMap((r) => r.look)) },
    pixels: rows.map((r) => r.pixels ?? 100),
  };
}

let seed = 3;
const noise = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.2;

describe('scan feature statistics', () => {
  const walls = Array.from({ length: 12 }, () => ({
    probs: [0.95, 0.05] as [number, number],
    entropy: 0.2,
    look: [1 + noise(), noise(), noise()],
  }));
  const chairs = Array.from({ length: 12 }, () => ({
    probs: [0.05, 0.95] as [number, number],
    entropy: 0.2,
    look: [noise(), 1 + noise(), noise()],
  }));
  // Unsure segments and a confident "wall" that looks like nothing the scan's walls look like
  // (a window the segmenter calls wall) must not shape the statistics much.
  const unsure = [{ probs: [0.55, 0.45] as [number, number], entropy: 0.9, look: [5, 5, 5] }];
  const window = { probs: [0.92, 0.08] as [number, number], entropy: 0.3, look: [1, 0, 4] };
  const stats = measureFeatureStatistics([frame([...walls, ...unsure]), frame([...chairs, window])], 2)!;

  it('take each class’s mean from its confident segments', () => {
    expect(stats.classes).toBe(2);
    expect(stats.dims).toBe(3);
    expect(stats.mean[0]).toBeCloseTo(1, 0);
    expect(stats.mean[4]).toBeCloseTo(1, 0);
  });

  it('put most of a class’s own segments within its spread, and a stranger far out', () => {
    const own = classDistances(stats, frame(walls).appearance);
    const inside = Array.from({ length: own.count }, (_, s) => own.data[s * 2]!).filter((d) => d <= 1).length;
    expect(inside).toBeGreaterThanOrEqual(10);
    const far = classDistances(stats, frame([window]).appearance);
    expect(far.data[0]).toBeGreaterThan(3);
  });

  it('give no spread to a class with too few confident segments, and nothing without any', () => {
    const few = measureFeatureStatistics([frame([...walls, chairs[0]!])], 2)!;
    expect(few.spread[1]).toBe(Infinity);
    expect(measureFeatureStatistics([frame(unsure)], 2)).toBeNull();
  });

  it('invert a symmetric matrix', () => {
    const m = Float64Array.from([4, 1, 0, 1, 3, 1, 0, 1, 2]);
    const inv = invertSymmetric(m, 3);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let v = 0;
        for (let k = 0; k < 3; k++) v += m[i * 3 + k]! * inv[k * 3 + j]!;
        expect(v).toBeCloseTo(i === j ? 1 : 0, 10);
      }
  });
});

describe('scan feature statistics in scene discovery', () => {
  // Five views split into a wall half (segment 0) and a chair half (segment 1); keyframes 0, 2, 4.
  const halves = (): PreSegmentation => ({
    width: 8,
    height: 4,
    segments: new Int32Array(32).map((_, p) => (p % 8 < 4 ? 0 : 1)),
    count: 2,
    pixels: Uint32Array.of(16, 16),
  });
  const segmentations = Array.from({ length: 5 }, halves);
  // The segmenter is sure of both halves everywhere.
  const sure = (): SegmentFeatures => ({ count: 2, dims: 3, data: Float32Array.from([0.95, 0.05, 0.1, 0.05, 0.95, 0.1]) });
  // Frame 1, no keyframe, has a wall that looks like nothing else; the keyframes' walls look alike.
  const look = (f: number): SegmentFeatures => ({
    count: 2,
    dims: 3,
    data: Float32Array.from(f === 1 ? [9, 9, 9, 0, 1, 0] : [1 + 0.1 * f, 0, 0, 0, 1, 0.1 * f]),
  });
  const appearance = segmentations.map((_, f) => look(f));

  it('are measured on the keyframes’ segments, the rows atypical segments are judged on', () => {
    const scene = new SceneDiscovery(segmentations, new ClassDiscovery(['wall', 'chair']), {
      keyframes: 3,
      samplesPerSegment: 2,
      appearance,
      segmenterDistributions: () => sure(),
    });
    expect(scene.keyframes).toEqual([0, 2, 4]);
    const stats = scene.featureStatistics!;
    expect(Array.from(stats.mean.subarray(0, 3), (v) => +v.toFixed(4))).toEqual([1.2, 0, 0]);
    expect(Array.from(stats.mean.subarray(3, 6), (v) => +v.toFixed(4))).toEqual([0, 1, 0.2]);
  });

  it('give way to the statistics the segmenter came with, and need a feature map', () => {
    const given = measureFeatureStatistics([{ distribution: sure(), appearance: look(1), pixels: [16, 16] }], 2)!;
    const options = { keyframes: 3, samplesPerSegment: 2, segmenterDistributions: () => sure() };
    expect(
      new SceneDiscovery(segmentations, new ClassDiscovery(['wall', 'chair']), { ...options, appearance, featureStatistics: given })
        .featureStatistics,
    ).toBe(given);
    expect(new SceneDiscovery(segmentations, new ClassDiscovery(['wall', 'chair']), options).featureStatistics).toBeNull();
  });
});
