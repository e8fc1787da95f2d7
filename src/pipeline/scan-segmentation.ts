/**
 * The segment stage of the pipeline: the segmenter's output for every frame of a scan, in the
 * form the rest of the pipeline takes it. Its class distribution per pixel, over the classes the
 * user counts as known (class-selection.ts), is packed in the field's target format
 * (field/semantic-targets.ts), so that a whole scan's supervision is one upload; its feature map,
 * when the model has one, is made small enough to keep (feature-compaction.ts) and waits for
 * pre-segmentation to become segment appearances.
 */
import type { PreSegmentation } from '../discover/pre-segmentation.ts';
import type { SegmentFeatures } from '../discover/segment-features.ts';
import { EMBEDDING_MAX_CLASSES } from '../field/embedding-field.ts';
import { narrowPackedTargets, packedClassMass, packLogitTargets, TARGET_WORDS_PER_PIXEL, unpackTarget } from '../field/semantic-targets.ts';
import type { Scan } from '../scan/scan.ts';
import type { FeatureMap } from '../segment/feature-query.ts';
import type { FeatureStatistics } from '../segment/feature-statistics.ts';
import {
  isIdentitySelection,
  keepKnownClasses,
  selectClasses,
  selectLogits,
  type ClassChoice,
  type ClassSelection,
} from '../segment/class-selection.ts';
import { compactFeatureMap, featureBudgetFor } from '../segment/feature-compaction.ts';
import { ManifestError, type SegmenterClass } from '../segment/segmenter-manifest.ts';
import type { Segmenter } from '../segment/segmenter.ts';

export interface ScanSegmentation {
  /** The known classes, in the order of the field's embedding channels (names, and dataset ids where the segmenter gives them). */
  classes: SegmenterClass[];
  /** Their names. */
  classNames: string[];
  /** Which of the segmenter's classes are known, and how they are grouped. */
  selection: ClassSelection;
  /** Every pixel of every frame, frames in order, TARGET_WORDS_PER_PIXEL words each. */
  packed: Uint32Array;
  /** Index of each frame's first pixel in `packed`. */
  firstPixel: number[];
  /** The model's feature map of every frame, or null when it has none. */
  featureMaps: FeatureMap[] | null;
  /**
   * What the feature map looks like per known class: the manifest's, where its classes are the
   * known ones and the map was kept as the model gave it; else null (discovery measures them on
   * the scan).
   */
  featureStatistics: FeatureStatistics | null;
}

/** Progress of a stage that goes frame by frame. */
export type FrameProgress = (stage: 'segmenting' | 'pre-segmenting', done: number, total: number) => void;

/** Segments every frame at its training resolution with the loaded model, under the user's choice of known classes. */
export async function segmentScan(
  segmenter: Segmenter,
  scan: Scan,
  choice: ClassChoice = {},
  progress?: FrameProgress,
  signal?: AbortSignal,
): Promise<ScanSegmentation> {
  const info = segmenter.info;
  if (!info) throw new Error('no segmenter is loaded');
  const manifest = info.manifest;
  let selection = selectClasses(manifest, choice);
  const identity = isIdentitySelection(selection, manifest.classes.length);
  const budget = featureBudgetFor(scan.frames.length);
  const frames = scan.frames;
  const packed = new Uint32Array(frames.reduce((n, f) => n + f.width * f.height, 0) * TARGET_WORDS_PER_PIXEL);
  const firstPixel: number[] = [];
  const featureMaps: FeatureMap[] = [];
  const statistics = manifest.featureStatistics;
  let mapsKeptAsGiven = true;
  let at = 0;
  for (let i = 0; i < frames.length; i++) {
    signal?.throwIfAborted();
    const f = frames[i]!;
    const { frame } = await segmenter.segmentImage(
      { width: f.width, height: f.height, rgba: f.rgba },
      { outputSize: { width: f.width, height: f.height } },
    );
    packLogitTargets(identity ? frame.logits : selectLogits(frame.logits, selection), packed, at);
    if (i === 0 && statistics && frame.features && statistics.dims !== frame.features.channels) {
      throw new ManifestError(
        `${manifest.name}'s manifest`,
        'featureStatistics',
        `are of ${statistics.dims} channels, but the model's '${manifest.featureOutput}' output has ${frame.features.channels}`,
      );
    }
    if (frame.features) {
      const kept = compactFeatureMap(frame.features, budget);
      if (kept !== frame.features) mapsKeptAsGiven = false;
      featureMaps.push(kept);
    }
    firstPixel.push(at);
    at += f.width * f.height;
    progress?.('segmenting', i + 1, frames.length);
  }
  signal?.throwIfAborted();
  const maps = featureMaps.length === frames.length ? featureMaps : null;
  if (selection.known.length > EMBEDDING_MAX_CLASSES) {
    // ADE20K knows 150 classes; a room shows a few dozen. The field keeps those that carry the
    // most of the scan's probability.
    const k = selection.known.length;
    const mass = packedClassMass(packed, k);
    const keep = Array.from(mass.keys())
      .sort((a, b) => mass[b]! - mass[a]! || a - b)
      .slice(0, EMBEDDING_MAX_CLASSES)
      .sort((a, b) => a - b);
    narrowPackedTargets(packed, k, keep);
    selection = keepKnownClasses(selection, keep);
  }
  const classes = selection.known.map((k) => ({ name: k.name, ...(k.id !== undefined && { id: k.id }) }));
  return {
    classes,
    classNames: classes.map((c) => c.name),
    selection,
    packed,
    firstPixel,
    featureMaps: maps,
    featureStatistics: maps && identity && selection.absent.length === 0 && mapsKeptAsGiven ? (statistics ?? null) : null,
  };
}

/**
 * Per segment of a frame, what the segmenter said of its pixels: their mean class distribution
 * (the known classes, as packed for the field) and then their mean normalised entropy.
 */
export function segmentDistributions(segmentation: ScanSegmentation, frameIndex: number, seg: PreSegmentation): SegmentFeatures {
  const k = segmentation.classNames.length;
  const dims = k + 1;
  const data = new Float32Array(seg.count * dims);
  const norm = k > 1 ? 1 / Math.log(k) : 0;
  const first = segmentation.firstPixel[frameIndex]!;
  for (let p = 0; p < seg.segments.length; p++) {
    const s = seg.segments[p]!;
    if (s < 0) continue;
    const dist = unpackTarget(segmentation.packed, first + p, k);
    let h = 0;
    for (let c = 0; c < k; c++) {
      const q = dist[c]!;
      data[s * dims + c]! += q;
      if (q > 0) h -= q * Math.log(q);
    }
    data[s * dims + k]! += h * norm;
  }
  for (let s = 0; s < seg.count; s++) {
    const n = seg.pixels[s]!;
    if (n > 0) for (let c = 0; c < dims; c++) data[s * dims + c]! /= n;
  }
  return { count: seg.count, dims, data };
}
