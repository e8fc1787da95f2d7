/**
 * How a pre-segmentation of one frame compares with the frame's class labels (0 = void), for
 * tools/presegment/measure.ts and the tests on real frames. Labels are classes, not instances,
 * so a segment spanning two chairs counts as pure: purity shows whether segments mix classes
 * (chair with table, object with floor where floor is labelled), never whether they merge two
 * objects of one class.
 */
import type { PreSegmentation } from '../../src/discover/pre-segmentation.ts';

export interface SegmentScores {
  /** Pixels with depth. */
  validPixels: number;
  /** Pixels with depth that are in a segment. */
  segmentedPixels: number;
  segments: number;
  /** Labelled pixels (label != 0) that are in a segment. */
  labelledInSegments: number;
  /** Of those, how many carry their segment's majority label (the majority over its labelled pixels). */
  labelledInMajority: number;
  /** Of those, how many lie in segments whose labelled pixels are more than 90% one label. */
  labelledInPureSegments: number;
  /** Segments that hold labelled pixels, and their total pixels (labelled or not). */
  labelledSegments: number;
  labelledSegmentPixels: number;
  /** Labelled pixels in object segments (more than half their pixels labelled), and of those how many carry its majority label. */
  labelledInObjectSegments: number;
  labelledInObjectMajority: number;
  /** Segmented pixels (holes filled into a segment included), and how many carry their segment's majority label, void a label of its own. */
  allSegmentedPixels: number;
  segmentedInMajorityWithVoid: number;
}

export function scoreSegments(seg: PreSegmentation, depth: ArrayLike<number>, labels: ArrayLike<number>): SegmentScores {
  const n = seg.width * seg.height;
  let validPixels = 0;
  let segmentedPixels = 0;
  const perSegment = new Map<number, Map<number, number>>();
  for (let p = 0; p < n; p++) {
    const d = depth[p]!;
    const s = seg.segments[p]!;
    if (d > 0 && d < Infinity) {
      validPixels++;
      if (s >= 0) segmentedPixels++;
    }
    const l = labels[p]!;
    if (s < 0 || l === 0) continue;
    let counts = perSegment.get(s);
    if (!counts) perSegment.set(s, (counts = new Map()));
    counts.set(l, (counts.get(l) ?? 0) + 1);
  }
  let labelledInSegments = 0;
  let labelledInMajority = 0;
  let labelledInPureSegments = 0;
  let labelledSegmentPixels = 0;
  let labelledInObjectSegments = 0;
  let labelledInObjectMajority = 0;
  let segmentedInMajorityWithVoid = 0;
  for (let s = 0; s < seg.count; s++) {
    const counts = perSegment.get(s);
    const labelled = counts ? [...counts.values()].reduce((a, c) => a + c, 0) : 0;
    const largest = counts ? Math.max(...counts.values()) : 0;
    segmentedInMajorityWithVoid += Math.max(largest, seg.pixels[s]! - labelled);
  }
  for (const [s, counts] of perSegment) {
    let total = 0;
    let majority = 0;
    for (const c of counts.values()) {
      total += c;
      majority = Math.max(majority, c);
    }
    labelledInSegments += total;
    labelledInMajority += majority;
    if (majority > 0.9 * total) labelledInPureSegments += total;
    labelledSegmentPixels += seg.pixels[s]!;
    if (total > seg.pixels[s]! / 2) {
      labelledInObjectSegments += total;
      labelledInObjectMajority += majority;
    }
  }
  return {
    validPixels,
    segmentedPixels,
    segments: seg.count,
    labelledInSegments,
    labelledInMajority,
    labelledInPureSegments,
    labelledSegments: perSegment.size,
    labelledSegmentPixels,
    labelledInObjectSegments,
    labelledInObjectMajority,
    allSegmentedPixels: seg.pixels.reduce((a, c) => a + c, 0),
    segmentedInMajorityWithVoid,
  };
}

export interface ScoreSummary {
  frames: number;
  /** Share of pixels with depth that are in a segment. */
  coverage: number;
  segmentsPerFrame: number;
  /** Pixel-weighted over segments: share of a segment's labelled pixels in its majority label. */
  purity: number;
  /** Share of labelled (segmented) pixels in segments more than 90% one label. */
  pureShare: number;
  /** Mean size in pixels of the segments that hold labelled pixels (fragmentation: smaller is more fragmented). */
  labelledSegmentSize: number;
  /**
   * Purity over object segments only (more than half their pixels labelled): a box-derived label
   * also marks the floor inside an object's box, which a floor segment rightly holds.
   */
  objectPurity: number;
  /** Pixel-weighted purity over all segmented pixels, void a label of its own: low when objects merge into void surfaces. */
  purityWithVoid: number;
}

/** Sums over frames (pixel-weighted, so large frames and segments weigh more). */
export function summarise(scores: readonly SegmentScores[]): ScoreSummary {
  const sum = (key: keyof SegmentScores): number => scores.reduce((a, s) => a + s[key], 0);
  const ratio = (a: number, b: number): number => (b > 0 ? a / b : Number.NaN);
  return {
    frames: scores.length,
    coverage: ratio(sum('segmentedPixels'), sum('validPixels')),
    segmentsPerFrame: ratio(sum('segments'), scores.length),
    purity: ratio(sum('labelledInMajority'), sum('labelledInSegments')),
    pureShare: ratio(sum('labelledInPureSegments'), sum('labelledInSegments')),
    labelledSegmentSize: ratio(sum('labelledSegmentPixels'), sum('labelledSegments')),
    objectPurity: ratio(sum('labelledInObjectMajority'), sum('labelledInObjectSegments')),
    purityWithVoid: ratio(sum('segmentedInMajorityWithVoid'), sum('allSegmentedPixels')),
  };
}
