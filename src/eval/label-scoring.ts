/**
 * Discovery's labels against a scan's ground truth. Discovery names classes by the segmenter's
 * class index (known) or a novel id (≥ K); the scan names them by its dataset's ids. A segmenter
 * class is the scan class with the same id (when the manifest gives dataset ids, as the default
 * model's NYU ids, and they are the scan's ids: see classMatcher) or else the same name; novel ids become clusters that the metrics match to the
 * scan's novel classes (Hungarian over the whole sequence).
 */
import { NO_PREDICTION, novelLabel, SegmentationScore, type EvaluatedClass, type SegmentationResult } from './segmentation-metrics.ts';
import type { ClassName } from '../scan/scan.ts';
import type { SegmenterClass } from '../segment/segmenter-manifest.ts';

export type LabelScore = SegmentationResult;

/** One frame's prediction: class id per pixel (segmenter index < K, novel ≥ K, -1 none). */
export interface PredictedFrame {
  frame: number;
  classes: Int32Array;
}

/**
 * Whether a segmenter class is a scan class: by dataset id where the segmenter's ids are the
 * scan's, else by name. The ids are the same ids when every id both use names the same class in
 * both, as the project's model (NYUv2-13 ids) on its generated rooms; not on a ScanNet scan (NYU40
 * ids, or its classes.json's own), where the model's id 4, chair, is a bed or a sofa.
 */
function classMatcher(
  scanClasses: readonly ClassName[],
  segmenterClasses: readonly SegmenterClass[],
): (s: SegmenterClass, c: ClassName) => boolean {
  const nameOfId = new Map(scanClasses.map((c) => [c.id, c.name]));
  const sameIds = segmenterClasses.every((s) => s.id === undefined || !nameOfId.has(s.id) || nameOfId.get(s.id) === s.name);
  return (s, c) => (sameIds && s.id !== undefined ? s.id === c.id : s.name === c.name);
}

export function evaluatedClasses(scanClasses: readonly ClassName[], segmenterClasses: readonly SegmenterClass[]): EvaluatedClass[] {
  const same = classMatcher(scanClasses, segmenterClasses);
  return scanClasses
    .filter((c) => c.id > 0)
    .map((c) => ({ id: c.id, name: c.name, known: c.known ?? segmenterClasses.some((s) => same(s, c)) }));
}

/** Scan class id of each segmenter class, or -1 when the scan has no such class. */
export function segmenterToScanIds(scanClasses: readonly ClassName[], segmenterClasses: readonly SegmenterClass[]): Int32Array {
  const same = classMatcher(scanClasses, segmenterClasses);
  return Int32Array.from(segmenterClasses, (s) => scanClasses.find((c) => same(s, c))?.id ?? NO_PREDICTION);
}

export function scoreLabelMaps(
  gt: { frames: readonly Uint16Array[]; classes: readonly ClassName[] },
  predicted: readonly PredictedFrame[],
  segmenterClasses: readonly SegmenterClass[],
  k: number,
): LabelScore {
  const score = new SegmentationScore(evaluatedClasses(gt.classes, segmenterClasses));
  const toScan = segmenterToScanIds(gt.classes, segmenterClasses);
  for (const p of predicted) {
    const mapped = Int32Array.from(p.classes, (c) => (c < 0 ? NO_PREDICTION : c < k ? toScan[c]! : novelLabel(c - k)));
    score.add(gt.frames[p.frame]!, mapped);
  }
  return score.result();
}
