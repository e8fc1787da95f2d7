/**
 * A segment's appearance: the mean over its pixels of the segmenter's feature map (the manifest's
 * featureOutput: what the network's last layer sees, at the network's own resolution). Two
 * things the segmenter maps to the same classes (a picture and a window both lean to wall) share
 * their class distributions but not their appearance; novel-cluster-split.ts splits on it.
 */
import { resizeFeatureMap, type FeatureMap } from '../segment/feature-query.ts';
import type { PreSegmentation } from './pre-segmentation.ts';
import type { SegmentFeatures } from './segment-features.ts';

export function segmentAppearance(map: FeatureMap, seg: PreSegmentation): SegmentFeatures {
  // Bilinear to the segments' resolution, as the logits are resized for training.
  const full = map.width === seg.width && map.height === seg.height ? map : resizeFeatureMap(map, seg.width, seg.height);
  const dims = map.channels;
  const plane = seg.width * seg.height;
  const data = new Float32Array(seg.count * dims);
  const pixels = new Float64Array(seg.count);
  for (let p = 0; p < plane; p++) {
    const s = seg.segments[p]!;
    if (s < 0) continue;
    pixels[s]!++;
    for (let c = 0; c < dims; c++) data[s * dims + c]! += full.data[c * plane + p]!;
  }
  for (let s = 0; s < seg.count; s++) if (pixels[s]! > 0) for (let c = 0; c < dims; c++) data[s * dims + c]! /= pixels[s]!;
  return { count: seg.count, dims, data };
}
