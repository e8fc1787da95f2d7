/**
 * Novel things hidden inside known classes. The segmenter can be confident and wrong: it calls a
 * window wall (the field agrees, both fairly sure), so the window's segments sit in the wall's
 * known cluster and the class distributions alone never call them novel. Its features still say
 * otherwise: measured against what its own training walls looked like (feature-statistics.ts),
 * a window is several spreads away, where this scene's walls sit well within one.
 *
 * A segment of known class c is atypical when its distance to c exceeds both an absolute floor
 * (beyond what 95% of c's training patches reach) and a multiple of the scene's own median
 * distance to c. The median makes it relative: classes the segmenter generalises less well to
 * in this scene (a chair of a shape it never saw) lie far from their training mean as a whole,
 * and only what stands out among them is taken. Settings replayed on features dumped from
 * discover runs (README, Discovery).
 */
import type { SegmentFeatures } from './segment-features.ts';

export interface AtypicalSettings {
  /** A segment's distance to its class, in the class's training spreads, must exceed this... */
  floor: number;
  /** ...and this multiple of the pixel-weighted median distance of the scene's segments of that class. */
  ratio: number;
}

export const ATYPICAL_SEGMENTS: AtypicalSettings = { floor: 1, ratio: 3 };

/**
 * `classOf[s]`: segment s's known class, or -1 (novel or unclustered, not tested); `distances`:
 * per segment, its distance to each class in spreads (classDistances()); `weights`: pixels per
 * segment. Returns, per segment, the class it is atypical of, or -1.
 */
export function atypicalSegments(
  classOf: Int32Array,
  distances: SegmentFeatures,
  weights: ArrayLike<number>,
  settings: AtypicalSettings = ATYPICAL_SEGMENTS,
): Int32Array {
  if (distances.count !== classOf.length)
    throw new RangeError(`atypical segments: ${distances.count} distance rows for ${classOf.length} segments`);
  const k = distances.dims;
  const members: number[][] = Array.from({ length: k }, () => []);
  classOf.forEach((c, s) => {
    if (c < 0) return;
    if (c >= k) throw new RangeError(`atypical segments: class ${c} of segment ${s}, but distances to ${k} classes`);
    members[c]!.push(s);
  });
  const out = new Int32Array(classOf.length).fill(-1);
  members.forEach((list, c) => {
    if (list.length === 0) return;
    const distance = (s: number): number => distances.data[s * k + c]!;
    const limit = Math.max(settings.floor, settings.ratio * weightedMedian(list, distance, weights));
    for (const s of list) if (distance(s) > limit) out[s] = c;
  });
  return out;
}

function weightedMedian(list: readonly number[], value: (s: number) => number, weights: ArrayLike<number>): number {
  const sorted = [...list].sort((a, b) => value(a) - value(b));
  let total = 0;
  for (const s of sorted) total += weights[s]!;
  let acc = 0;
  for (const s of sorted) {
    acc += weights[s]!;
    if (acc >= total / 2) return value(s);
  }
  return value(sorted[sorted.length - 1]!);
}
