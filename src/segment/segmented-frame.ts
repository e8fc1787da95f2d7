/**
 * One frame's segmentation at training resolution, as the rest of the app reads it: logits (the
 * semantic embedding the field fuses), entropy, argmax, the optional feature map, and
 * probabilities computed on demand from the logits - storing them too would double the memory of
 * a cache that holds every frame of a scan.
 */
import { softmax } from './class-distribution.ts';
import { sampleFeatures, type FeatureMap } from './feature-query.ts';
import type { SegmentOutput } from './segment-worker.ts';

export class SegmentedFrame {
  readonly logits: FeatureMap;
  readonly entropy: Float32Array;
  readonly argmax: Uint16Array;
  readonly features: FeatureMap | null;
  readonly timings: SegmentOutput['timings'];

  constructor(output: SegmentOutput) {
    this.logits = { channels: output.classes, width: output.width, height: output.height, data: output.logits };
    this.entropy = output.entropy;
    this.argmax = output.argmax;
    this.features = output.features;
    this.timings = output.timings;
  }

  get width(): number {
    return this.logits.width;
  }

  get height(): number {
    return this.logits.height;
  }

  /** Softmax of the logits, K x H x W (a new array each call). */
  probabilities(): FeatureMap {
    return softmax(this.logits);
  }

  /** The logits at a continuous pixel position of the frame (bilinear, see feature-query.ts). */
  logitsAt(x: number, y: number, out?: Float32Array): Float32Array {
    return sampleFeatures(this.logits, x, y, out);
  }

  /** The feature map at a continuous pixel position of the frame, whatever the map's resolution. */
  featuresAt(x: number, y: number, out?: Float32Array): Float32Array | null {
    return this.features ? sampleFeatures(this.features, x, y, out, this) : null;
  }
}
