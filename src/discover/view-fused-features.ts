/**
 * A segment's feature fused with the features of the segments of other views that cover the same
 * surface (view-overlaps.ts): the mean of its own feature (weight 1) and theirs, each weighted by
 * the share of the segment it covers. Within one view, how much of a window's distribution goes
 * to wall and how much to objects drifts with the viewpoint; averaged over the views that see the
 * same panes it settles, so segments of one class gather more tightly and two classes that a
 * single view mixes up (picture and window, which both lean to wall) come apart. Measured in the
 * README (Discovery).
 */
import type { SegmentFeatures } from './segment-features.ts';
import type { SegmentOverlap } from './view-overlaps.ts';

/**
 * `overlaps[s]`: the overlaps of segment s of this view; `featuresOf(frame)`: the unfused
 * features of another view, or undefined where they are not at hand (its overlaps are skipped).
 */
export function fuseAcrossViews(
  own: SegmentFeatures,
  overlaps: readonly (readonly SegmentOverlap[])[],
  featuresOf: (frame: number) => SegmentFeatures | undefined,
): SegmentFeatures {
  if (overlaps.length !== own.count) throw new RangeError(`fuse: ${overlaps.length} overlap lists for ${own.count} segments`);
  const { dims } = own;
  const data = new Float32Array(own.data.length);
  for (let s = 0; s < own.count; s++) {
    const out = data.subarray(s * dims, (s + 1) * dims);
    out.set(own.data.subarray(s * dims, (s + 1) * dims));
    let weight = 1;
    for (const o of overlaps[s]!) {
      const other = featuresOf(o.frame);
      if (!other) continue;
      if (other.dims !== dims) throw new RangeError(`fuse: features of frame ${o.frame} have ${other.dims} entries, expected ${dims}`);
      if (o.segment >= other.count) throw new RangeError(`fuse: frame ${o.frame} has no segment ${o.segment}`);
      const w = Math.min(o.fraction, 1);
      for (let d = 0; d < dims; d++) out[d]! += w * other.data[o.segment * dims + d]!;
      weight += w;
    }
    for (let d = 0; d < dims; d++) out[d]! /= weight;
  }
  return { count: own.count, dims, data };
}
