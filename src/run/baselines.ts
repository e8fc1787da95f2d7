/**
 * What discovery is measured against (`discover --baselines`): the segmenter alone (its argmax on
 * every pixel, which never names a novel class), and per-frame discovery without the field (each
 * frame's segments clustered on the segmenter's own distributions, one frame at a time, ids
 * carried from frame to frame by prototype). Both come from the segmenter's output and the
 * pre-segmentation only: training does not change them.
 */
import { ClassDiscovery } from '../discover/class-discovery.ts';
import { frameFeatures, labelsFromSegments } from '../discover/scene-discovery.ts';
import { sampleSegments } from '../discover/segment-samples.ts';
import type { PredictedFrame } from '../eval/label-scoring.ts';
import type { DiscoveryPipeline } from '../pipeline/discovery-pipeline.ts';
import type { RunSettings } from './run-settings.ts';

export function segmenterAlone(pipeline: DiscoveryPipeline): PredictedFrame[] {
  return pipeline.scan.frames.map((_, frame) => ({ frame, classes: pipeline.segmenterArgmax(frame) }));
}

export async function perFrameDiscovery(
  pipeline: DiscoveryPipeline,
  settings: Pick<RunSettings, 'keyframes' | 'samplesPerSegment' | 'discovery'>,
): Promise<PredictedFrame[]> {
  const segmentations = await pipeline.presegment();
  const { discovery, keyframes, samplesPerSegment } = settings;
  // One frame's graph holds about one keyframe's share of the segments: the smallest cluster
  // scales with it (an object is one or two segments of a frame).
  const minClusterSize = Math.max(2, Math.round(discovery.minClusterSize / keyframes));
  const perFrame = new ClassDiscovery(pipeline.classNames, {
    ...discovery,
    minClusterSize,
    minSamples: Math.min(discovery.minSamples, minClusterSize),
    neighbours: Math.max(2, Math.round(discovery.neighbours / 4)),
  });
  const out: PredictedFrame[] = [];
  for (let i = 0; i < segmentations.length; i++) {
    const samples = sampleSegments(segmentations[i]!, samplesPerSegment);
    const features = await frameFeatures(pipeline.segmenterPixels, i, samples, discovery.entropyWeight);
    const update = perFrame.update(features, segmentations[i]!.pixels, { sameSegments: false });
    out.push({ frame: i, classes: labelsFromSegments(segmentations[i]!, update.classOfSegment).classes });
  }
  return out;
}
