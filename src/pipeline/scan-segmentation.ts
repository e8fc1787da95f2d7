/**
 * The segment stage of the pipeline: the segmenter's output for every frame of a scan, in the
 * form the rest of the pipeline takes it. Its class distribution per pixel is packed in the
 * field's target format (field/semantic-targets.ts), so that a whole scan's supervision is one
 * upload; its feature map, when the model has one, waits for pre-segmentation to become segment
 * appearances.
 */
import { packLogitTargets, TARGET_WORDS_PER_PIXEL } from '../field/semantic-targets.ts';
import type { Scan } from '../scan/scan.ts';
import type { FeatureMap } from '../segment/feature-query.ts';
import type { FeatureStatistics } from '../segment/feature-statistics.ts';
import { ManifestError } from '../segment/segmenter-manifest.ts';
import type { Segmenter } from '../segment/segmenter.ts';

export interface ScanSegmentation {
  /** The segmenter's classes, in channel order. */
  classNames: string[];
  /** Every pixel of every frame, frames in order, TARGET_WORDS_PER_PIXEL words each. */
  packed: Uint32Array;
  /** Index of each frame's first pixel in `packed`. */
  firstPixel: number[];
  /** The model's feature map of every frame, or null when it has none. */
  featureMaps: FeatureMap[] | null;
  /** What the feature map looks like per known class (the manifest's), or null. */
  featureStatistics: FeatureStatistics | null;
}

/** Progress of a stage that goes frame by frame. */
export type FrameProgress = (stage: 'segmenting' | 'pre-segmenting', done: number, total: number) => void;

/** Segments every frame at its training resolution with the loaded model. */
export async function segmentScan(
  segmenter: Segmenter,
  scan: Scan,
  progress?: FrameProgress,
  signal?: AbortSignal,
): Promise<ScanSegmentation> {
  const info = segmenter.info;
  if (!info) throw new Error('no segmenter is loaded');
  const frames = scan.frames;
  const packed = new Uint32Array(frames.reduce((n, f) => n + f.width * f.height, 0) * TARGET_WORDS_PER_PIXEL);
  const firstPixel: number[] = [];
  const featureMaps: FeatureMap[] = [];
  const statistics = info.manifest.featureStatistics;
  let at = 0;
  for (let i = 0; i < frames.length; i++) {
    signal?.throwIfAborted();
    const f = frames[i]!;
    const { frame } = await segmenter.segmentImage(
      { width: f.width, height: f.height, rgba: f.rgba },
      { outputSize: { width: f.width, height: f.height } },
    );
    packLogitTargets(frame.logits, packed, at);
    if (i === 0 && statistics && frame.features && statistics.dims !== frame.features.channels) {
      throw new ManifestError(
        `${info.manifest.name}'s manifest`,
        'featureStatistics',
        `are of ${statistics.dims} channels, but the model's '${info.manifest.featureOutput}' output has ${frame.features.channels}`,
      );
    }
    if (frame.features) featureMaps.push(frame.features);
    firstPixel.push(at);
    at += f.width * f.height;
    progress?.('segmenting', i + 1, frames.length);
  }
  signal?.throwIfAborted();
  const maps = featureMaps.length === frames.length ? featureMaps : null;
  return {
    classNames: info.manifest.classes.map((c) => c.name),
    packed,
    firstPixel,
    featureMaps: maps,
    featureStatistics: maps ? (statistics ?? null) : null,
  };
}
