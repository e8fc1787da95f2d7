/**
 * Discovery's steps on small known inputs: sample pixels per segment, feature modulation, the
 * known/novel decision, ids that carry over between updates (and across frames by prototype),
 * labels filled in from segments, and the mapping of discovered labels onto a scan's classes.
 */
import { describe, expect, it } from 'vitest';
import { evaluatedClasses, scoreLabelMaps, segmenterToScanIds } from '../../src/eval/label-scoring.ts';
import { ClassDiscovery, DEFAULT_DISCOVERY, MAX_KNOWN_ENTROPY } from '../../src/discover/class-discovery.ts';
import type { PreSegmentation } from '../../src/discover/pre-segmentation.ts';
import { labelsFromSegments, nearestClasses, spreadFrames } from '../../src/discover/scene-discovery.ts';
import { sampleSegments } from '../../src/discover/segment-samples.ts';
import { affinity, segmentFeatures, type SegmentFeatures } from '../../src/discover/segment-features.ts';

/** A 6 x 4 map: segment 0 left half, segment 1 right half, one unsegmented pixel. */
function halves(): PreSegmentation {
  const width = 6;
  const height = 4;
  const segments = new Int32Array(width * height).map((_, p) => (p % width < 3 ? 0 : 1));
  segments[5] = -1;
  return { width, height, segments, count: 2, pixels: Uint32Array.of(12, 11) };
}

const NAMES = ['wall', 'floor', 'chair'];
// Tight groups of segments: HDBSCAN finds them exactly, so these tests are about what discovery
// does with clusters (MCL has its own tests in clustering.test.ts). The features below carry the
// entropy itself (entropy weight 1).
const HDBSCAN = { ...DEFAULT_DISCOVERY, algorithm: 'hdbscan', minClusterSize: 2, minSamples: 2, entropyWeight: 1 } as const;

/** Features of n segments: `kind` picks a confident known class or one of two novel "uncertainty shapes". */
function features(kinds: string[]): SegmentFeatures {
  const rows: Record<string, number[]> = {
    wall: [0.92, 0.04, 0.04, 0.1],
    floor: [0.05, 0.9, 0.05, 0.12],
    chair: [0.05, 0.05, 0.9, 0.12],
    novelA: [0.4, 0.35, 0.25, 0.85], // unsure between wall and floor (say, a ceiling)
    novelB: [0.1, 0.1, 0.8, 0.7], // leaning to chair but unsure (a TV): novel by its entropy
  };
  const data = new Float32Array(kinds.length * 4);
  kinds.forEach((kind, i) => {
    const jitter = ((i * 37) % 7) * 0.003;
    rows[kind]!.forEach((v, d) => (data[i * 4 + d] = v + jitter));
  });
  return { count: kinds.length, dims: 4, data };
}

const build2 = (rows: number[][]): SegmentFeatures => ({ count: rows.length, dims: 4, data: Float32Array.from(rows.flat()) });

describe('discovery steps', () => {
  it('clusters segments whose distributions are the same up to rounding (a confident real segmenter) without a negative distance', () => {
    // Two rows whose affinity rounds to 1 + 2.2e-16 (found by search): 1 - affinity was -2.2e-16,
    // which HDBSCAN refused, stopping discovery on a real ScanNet scan.
    const a = [0.0392000675201416, 0.42792102694511414, 0.874162495136261, 0.07178564369678497];
    const b = [0.016691815108060837, 0.1822134256362915, 0.37222790718078613, 0.046843137592077255];
    const data = new Float32Array([...a, ...b]);
    expect(1 - affinity(data, 0, data, 1, 4)).toBeLessThan(0);
    const rows = Array.from({ length: 16 }, (_, i) => (i % 2 ? b : a));
    const u = new ClassDiscovery(NAMES, HDBSCAN).update(build2(rows), new Float64Array(rows.length).fill(100));
    expect(new Set(u.classOfSegment).size).toBe(1);
  });

  it('samples interior pixels of each segment, spread over it', () => {
    const seg = halves();
    const s = sampleSegments(seg, 2);
    expect(Array.from(s.offsets)).toEqual([0, 2, 4]);
    // Interior: all four neighbours in the segment -> pixels 7, 8 (left) and 15, 16 (right; 10 has the -1 neighbour... 9, 10 are right-half interior too).
    for (let i = 0; i < 4; i++) {
      const p = s.pixels[i]!;
      const x = p % 6;
      const y = Math.floor(p / 6);
      expect(x > 0 && x < 5 && y > 0 && y < 3).toBe(true);
      expect(seg.segments[p]).toBe(i < 2 ? 0 : 1);
    }
    expect(new Set(s.pixels).size).toBe(4);
    expect(() => sampleSegments(seg, 0)).toThrow(/positive integer/);
  });

  it('weights pixels by confidence 1 - entropy and appends the mean entropy', () => {
    // Two pixels of one segment: confident (entropy 0.2) on class 0, unsure (0.8) on class 1.
    const data = Float32Array.of(0.9, 0.1, 0.2, 0.3, 0.7, 0.8);
    const f = segmentFeatures({ count: 2, k: 2, data, stride: 3, probsAt: 0, entropyAt: 2 }, Uint32Array.of(0, 2), 1);
    // weights 0.8 and 0.2: p0 = (0.8 * 0.9 + 0.2 * 0.3) / 1 = 0.78, p1 = 0.22; entropy (0.2 + 0.8) / 2.
    expect(Array.from(f.data).map((v) => +v.toFixed(6))).toEqual([0.78, 0.22, 0.5]);
  });

  it('takes confident clusters as known classes, the rest as numbered novel classes', () => {
    const kinds = [
      'wall',
      'wall',
      'wall',
      'floor',
      'floor',
      'floor',
      'chair',
      'chair',
      'novelA',
      'novelA',
      'novelA',
      'novelB',
      'novelB',
      'novelB',
    ];
    const d = new ClassDiscovery(NAMES, HDBSCAN);
    const u = d.update(features(kinds), new Float64Array(kinds.length).fill(100));
    expect(u.classes.map((c) => [c.name, c.known])).toEqual([
      ['wall', true],
      ['floor', true],
      ['chair', true],
      ['novel-1', false],
      ['novel-2', false],
    ]);
    const idOf = (name: string): number => u.classes.find((c) => c.name === name)!.id;
    const novelOf = (kind: string): number[] => kinds.flatMap((k, i) => (k === kind ? [u.classOfSegment[i]!] : []));
    expect(new Set(novelOf('novelA')).size).toBe(1);
    expect(new Set(novelOf('novelB')).size).toBe(1);
    expect(novelOf('novelA')[0]).not.toBe(novelOf('novelB')[0]);
    expect(novelOf('wall')).toEqual([idOf('wall'), idOf('wall'), idOf('wall')]);
    expect(u.classes.reduce((s, c) => s + c.share, 0)).toBeCloseTo(1, 6);
    // The default weighs the entropy entry 2 (features made with that weight): the same decisions.
    const weighted = features(kinds);
    for (let i = 0; i < kinds.length; i++) weighted.data[i * 4 + 3]! *= 2;
    const u2 = new ClassDiscovery(NAMES, { ...HDBSCAN, entropyWeight: 2 }).update(weighted, new Float64Array(kinds.length).fill(100));
    expect(u2.classes.map((c) => [c.name, c.known])).toEqual(u.classes.map((c) => [c.name, c.known]));
  });

  it('keeps a novel class id from one update to the next, and numbers a new one after it', () => {
    const kinds = ['wall', 'wall', 'floor', 'floor', 'novelA', 'novelA', 'novelA', 'novelB', 'novelB', 'novelB'];
    const d = new ClassDiscovery(NAMES, HDBSCAN);
    const weights = new Float64Array(kinds.length).fill(100);
    const first = d.update(features(kinds), weights);
    // The same segments, their order unchanged, features drifting a little as the field trains.
    const drifted = features(kinds);
    drifted.data.forEach((v, i) => (drifted.data[i] = v * (1 + 0.01 * (i % 3))));
    const second = d.update(drifted, weights);
    expect(Array.from(second.classOfSegment)).toEqual(Array.from(first.classOfSegment));
    expect(second.classes.map((c) => c.since)).toEqual(first.classes.map(() => 0));
    // Novel B's segments turn into a confident chair: its id is gone, novel A keeps its own.
    const third = d.update(features(kinds.map((k) => (k === 'novelB' ? 'chair' : k))), weights);
    const novelA = first.classOfSegment[4]!;
    expect(third.classOfSegment[4]).toBe(novelA);
    expect(third.classes.filter((c) => !c.known).map((c) => c.id)).toEqual([novelA]);
    // Novel B's segments turn novel again: a class the last update did not have gets the next
    // number, not a reused one.
    const fourth = d.update(features(kinds), weights);
    const fresh = fourth.classes.filter((c) => !c.known && c.id !== novelA);
    expect(fresh.map((c) => c.name)).toEqual(['novel-3']);
    expect(fresh[0]!.since).toBe(3);
  });

  it('matches classes across different segments (per-frame discovery) by their prototypes', () => {
    const d = new ClassDiscovery(NAMES, HDBSCAN);
    const a = d.update(
      features(['wall', 'wall', 'novelA', 'novelA', 'novelA', 'novelB', 'novelB', 'novelB']),
      new Float64Array(8).fill(10),
      { sameSegments: false },
    );
    const b = d.update(features(['novelB', 'novelB', 'novelB', 'floor', 'novelA', 'novelA', 'novelA']), new Float64Array(7).fill(10), {
      sameSegments: false,
    });
    expect(b.classOfSegment[0]).toBe(a.classOfSegment[5]);
    expect(b.classOfSegment[4]).toBe(a.classOfSegment[2]);
    // Nearest prototype for new segments.
    expect(Array.from(nearestClasses(features(['novelB', 'wall']), a.classes))).toEqual([a.classOfSegment[5], 0]);
  });

  it('compares distributions by the cosine of their square roots, so the tail counts', () => {
    // Mean field features of a picture (wall + book) and a window (wall + objects), classes
    // [wall, book, objects], then the normalised entropy.
    const f = Float32Array.of(0.6, 0.15, 0.25, 0.5, 0.6, 0.02, 0.38, 0.5);
    const root = [Math.sqrt(0.6), Math.sqrt(0.15), Math.sqrt(0.25), 0.5];
    const other = [Math.sqrt(0.6), Math.sqrt(0.02), Math.sqrt(0.38), 0.5];
    const dot = root.reduce((s, x, i) => s + x * other[i]!, 0);
    const norm = (v: number[]) => Math.hypot(...v);
    expect(affinity(f, 0, f, 1, 4)).toBeCloseTo(dot / (norm(root) * norm(other)), 6);
    // The plain cosine of the distributions calls them more alike.
    const a = Array.from(f.subarray(0, 4));
    const b = Array.from(f.subarray(4, 8));
    expect(affinity(f, 0, f, 1, 4)).toBeLessThan(a.reduce((s, x, i) => s + x * b[i]!, 0) / (norm(a) * norm(b)));
    expect(affinity(f, 0, f, 0, 4)).toBeCloseTo(1, 6);
  });

  it('keeps two known classes apart when they fall into one cluster: each segment takes its own class', () => {
    // Confident wall and chair segments clustered together by MCL at a low inflation: the
    // cluster's mean is still confidently wall (a known cluster), but two of its segments are
    // chairs by their own distribution, and stay chairs.
    const kinds = ['wall', 'wall', 'wall', 'wall', 'wall', 'chair', 'chair'];
    const d = new ClassDiscovery(NAMES, { ...DEFAULT_DISCOVERY, algorithm: 'mcl', inflation: 1.05, neighbours: 5, entropyWeight: 1 });
    const u = d.update(features(kinds), new Float64Array(kinds.length).fill(50));
    expect(u.clusters).toBe(1);
    expect(Array.from(u.classOfSegment)).toEqual([0, 0, 0, 0, 0, 2, 2]);
    expect(u.classes.map((c) => c.name)).toEqual(['wall', 'chair']);
  });

  it("decides novel by entropy relative to the scene's median, never known above MAX_KNOWN_ENTROPY", () => {
    // A chair-leaning group at normalised entropy 0.3: novel among confident segments (median
    // 0.1), known in a scene whose every segment is that unsure (median 0.3).
    const unsure = [0.1, 0.1, 0.8, 0.3];
    const build = (rows: number[][]): SegmentFeatures => ({
      count: rows.length,
      dims: 4,
      data: Float32Array.from(rows.flatMap((r, i) => r.map((v) => v + ((i * 37) % 7) * 0.002))),
    });
    const calm = [0.9, 0.05, 0.05, 0.1];
    const floor = [0.05, 0.9, 0.05, 0.3];
    const scene = (rest: number[]) => build([unsure, unsure, unsure, rest, rest, rest, rest, rest]);
    const inCalm = new ClassDiscovery(NAMES, HDBSCAN).update(scene(calm), new Float64Array(8).fill(10));
    expect(inCalm.classes.find((c) => c.id === inCalm.classOfSegment[0])!.known).toBe(false);
    const inUnsure = new ClassDiscovery(NAMES, HDBSCAN).update(scene(floor), new Float64Array(8).fill(10));
    expect(inUnsure.classes.find((c) => c.id === inUnsure.classOfSegment[0])!.name).toBe('chair');
    // However unsure the scene, a cluster above the cap is novel.
    const veryUnsure = [0.1, 0.1, 0.8, MAX_KNOWN_ENTROPY + 0.05];
    const high = build([veryUnsure, veryUnsure, veryUnsure, [0.05, 0.9, 0.05, 0.9], [0.05, 0.9, 0.05, 0.9], [0.05, 0.9, 0.05, 0.9]]);
    const capped = new ClassDiscovery(NAMES, HDBSCAN).update(high, new Float64Array(6).fill(10));
    expect(capped.classes.every((c) => !c.known)).toBe(true);
  });

  it('labels a segment near a known class by its own most probable known class', () => {
    const d = new ClassDiscovery(NAMES, HDBSCAN);
    const u = d.update(features(['wall', 'wall', 'chair', 'chair', 'novelA', 'novelA', 'novelA']), new Float64Array(7).fill(10));
    // Closest to the wall prototype, but its own argmax is chair (present): chair. Floor is not a
    // class of this update, so a floor-leaning segment takes the best known class present.
    const seg = build2([
      [0.5, 0.0, 0.5, 0.1],
      [0.45, 0.1, 0.45, 0.1],
    ]);
    seg.data[2] = 0.52;
    seg.data[5] = 0.5;
    seg.data[4] = 0.4;
    seg.data[6] = 0.1;
    expect(Array.from(nearestClasses(seg, u.classes))).toEqual([2, 0]);
    expect(Array.from(nearestClasses(features(['novelA']), u.classes))).toEqual([u.classOfSegment[4]]);
  });

  it('labels pixels from their segment, filling unsegmented pixels from the nearest segment', () => {
    const labels = labelsFromSegments(halves(), [7, 9]);
    expect(labels.classes[0]).toBe(7);
    expect(labels.classes[5]).toBe(9); // the unsegmented pixel, next to the right half
    expect(labels.classes[23]).toBe(9);
    expect(Array.from(labelsFromSegments(halves(), [-1, 4]).classes.slice(0, 3))).toEqual([4, 4, 4]);
  });

  it('spreads keyframes over the scan', () => {
    expect(spreadFrames(10, 4)).toEqual([0, 3, 6, 9]);
    expect(spreadFrames(3, 5)).toEqual([0, 1, 2]);
  });

  it("maps discovered labels onto the scan's classes by dataset id, novel ids to clusters", () => {
    const scanClasses = [
      { id: 1, name: 'wall', known: true },
      { id: 2, name: 'ceiling', known: false },
      { id: 3, name: 'tv', known: false },
    ];
    const segmenterClasses = [
      { name: 'wall', id: 1 },
      { name: 'floor', id: 5 },
    ];
    expect(Array.from(segmenterToScanIds(scanClasses, segmenterClasses))).toEqual([1, -1]);
    expect(
      evaluatedClasses(
        [
          { id: 1, name: 'wall' },
          { id: 4, name: 'lamp' },
        ],
        [{ name: 'wall' }],
      ).map((c) => c.known),
    ).toEqual([true, false]);
    // Ground truth: wall wall ceiling ceiling tv; predicted: wall, wall, novel (id 2 = K), novel, novel (id 3).
    const gt = Uint16Array.of(1, 1, 2, 2, 3);
    const r = scoreLabelMaps(
      { frames: [gt], classes: scanClasses },
      [{ frame: 0, classes: Int32Array.of(0, 0, 2, 2, 3) }],
      segmenterClasses,
      2,
    );
    expect([r.acc, r.miou, r.miou_novel]).toEqual([100, 100, 100]);
    expect(r.cluster_to_class.map((m) => m.name).sort()).toEqual(['ceiling', 'tv']);
  });

  it("matches by name where the segmenter's ids are not the scan's (NYUv2-13 ids on a ScanNet scan)", () => {
    const nyu13Model = [
      { name: 'bed', id: 1 },
      { name: 'chair', id: 4 },
      { name: 'table', id: 10 },
    ];
    const scannet = [
      { id: 1, name: 'cabinet' },
      { id: 3, name: 'chair' },
      { id: 4, name: 'sofa' },
      { id: 5, name: 'table' },
    ];
    expect(Array.from(segmenterToScanIds(scannet, nyu13Model))).toEqual([-1, 3, 5]);
    expect(evaluatedClasses(scannet, nyu13Model).map((c) => c.known)).toEqual([false, true, false, true]);
  });
});
