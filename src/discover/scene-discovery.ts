/**
 * Discovery over a whole scan while (and after) the field trains. Every frame is pre-segmented
 * once; the segments of a fixed set of keyframes, spread over the scan, form the graph that is
 * clustered at each update (the same nodes each time, so class ids carry over by shared pixels).
 * Labelling a frame then costs a few rendered pixels per segment: keyframe segments take their
 * cluster's class, other segments the class whose prototype their feature is closest to. Since
 * the features come from the fused field, one object gets one class from every view. Where the
 * views' overlaps are known (view-overlaps.ts), each segment's feature is also fused with those
 * of the keyframe segments that cover the same surface before it is clustered or classified, and
 * a segment the keyframes cover takes the class they have (classesFromOverlaps).
 *
 * The field is reached through `PixelSource` only: this module knows nothing of the GPU.
 */
import { classDistances, type FeatureStatistics } from '../segment/feature-statistics.ts';
import { measureFeatureStatistics } from './scan-feature-statistics.ts';
import type { ClassDiscovery, DiscoveredClass, DiscoveryUpdate } from './class-discovery.ts';
import type { PreSegmentation } from './pre-segmentation.ts';
import { sampleSegments, type SegmentSamples } from './segment-samples.ts';
import { affinity, cosine, segmentFeatures, type PixelDistributions, type SegmentFeatures } from './segment-features.ts';
import { fuseAcrossViews } from './view-fused-features.ts';
import type { SegmentOverlap } from './view-overlaps.ts';

/** Class distributions at listed pixels of a frame (the field rendered there, or a segmenter's output). */
export type PixelSource = (frameIndex: number, pixels: Uint32Array) => Promise<PixelDistributions>;

export interface FrameLabels {
  width: number;
  height: number;
  /** Class id per pixel (DiscoveredClass.id), -1 where nothing could be said. */
  classes: Int32Array;
}

/** Frames spread evenly over the scan (first and last included when there are enough). */
export function spreadFrames(frames: number, wanted: number): number[] {
  if (wanted >= frames) return Array.from({ length: frames }, (_, i) => i);
  if (wanted <= 1) return [0];
  return Array.from({ length: wanted }, (_, i) => Math.round((i * (frames - 1)) / (wanted - 1)));
}

/** Labels every pixel from its segment's class; pixels outside any segment take the nearest labelled pixel's (two-pass chamfer). */
export function labelsFromSegments(seg: PreSegmentation, classOfSegment: ArrayLike<number>): FrameLabels {
  const { width, height, segments } = seg;
  const n = width * height;
  const classes = new Int32Array(n).fill(-1);
  const dist = new Float32Array(n).fill(Infinity);
  for (let p = 0; p < n; p++) {
    const s = segments[p]!;
    if (s >= 0 && classOfSegment[s]! >= 0) {
      classes[p] = classOfSegment[s]!;
      dist[p] = 0;
    }
  }
  const relax = (p: number, q: number, d: number): void => {
    if (dist[q]! + d < dist[p]!) {
      dist[p] = dist[q]! + d;
      classes[p] = classes[q]!;
    }
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      if (x > 0) relax(p, p - 1, 1);
      if (y > 0) relax(p, p - width, 1);
      if (x > 0 && y > 0) relax(p, p - width - 1, Math.SQRT2);
      if (x < width - 1 && y > 0) relax(p, p - width + 1, Math.SQRT2);
    }
  }
  for (let y = height - 1; y >= 0; y--) {
    for (let x = width - 1; x >= 0; x--) {
      const p = y * width + x;
      if (x < width - 1) relax(p, p + 1, 1);
      if (y < height - 1) relax(p, p + width, 1);
      if (x < width - 1 && y < height - 1) relax(p, p + width + 1, Math.SQRT2);
      if (x > 0 && y < height - 1) relax(p, p + width - 1, Math.SQRT2);
    }
  }
  return { width, height, classes };
}

/** Segment features of one frame from a pixel source. */
export async function frameFeatures(
  source: PixelSource,
  frameIndex: number,
  samples: SegmentSamples,
  entropyWeight: number,
): Promise<SegmentFeatures> {
  const pixels = await source(frameIndex, samples.pixels);
  return segmentFeatures(pixels, samples.offsets, entropyWeight);
}

export interface SceneDiscoveryOptions {
  keyframes: number;
  samplesPerSegment: number;
  /** `overlaps[frame][segment]`, from viewOverlaps(); without them features are not fused across views. */
  overlaps?: readonly (readonly (readonly SegmentOverlap[])[])[];
  /** Per frame, each segment's appearance (segment-appearance.ts); with it novel clusters are split on appearance. */
  appearance?: readonly SegmentFeatures[];
  /**
   * The segmenter's feature statistics (its manifest's): with the appearance, segments of known
   * classes that look unlike their class become novel (atypical-segments.ts).
   */
  featureStatistics?: FeatureStatistics;
  /**
   * Without `featureStatistics`: a frame's segments as the segmenter alone sees them (rows: mean
   * class distribution, then mean normalised entropy: segmentDistributions()). The statistics are
   * then measured on the scan (scan-feature-statistics.ts), on the keyframes' segments with their
   * fused appearance: the rows atypical segments are judged on. Measured on every frame's unfused
   * appearance instead, they described noisier rows than the ones judged, and a ceiling the
   * segmenter called wall sat within the wall's spread (room 3501 with ADE20K: docs/results.md).
   */
  segmenterDistributions?: (frame: number) => SegmentFeatures;
}

export class SceneDiscovery {
  readonly keyframes: number[];
  private readonly samples: SegmentSamples[];
  private readonly keyWeights: Float64Array;
  /** Per keyframe, the graph's row of its first segment. */
  private readonly keyRow = new Map<number, number>();
  /** Per frame and segment, its overlaps with keyframe segments (null: no fusion). */
  private readonly keyOverlaps: SegmentOverlap[][][] | null;
  /** The keyframes' unfused features at the last update. */
  private keyFeatures = new Map<number, SegmentFeatures>();
  /** Per frame, its segments' appearance fused with the keyframes' (as the features are), or null. */
  private readonly appearance: SegmentFeatures[] | null;
  private readonly keyAppearance: SegmentFeatures | null;
  /** The keyframe segments' distances to each class, measured on their fused appearance (which training does not change). */
  private readonly keyClassDistances: SegmentFeatures | null;
  /** The statistics atypical segments are judged on: the given ones, or measured on the keyframes (null: none). */
  readonly featureStatistics: FeatureStatistics | null;

  constructor(
    readonly segmentations: readonly PreSegmentation[],
    readonly discovery: ClassDiscovery,
    options: SceneDiscoveryOptions,
  ) {
    this.keyframes = spreadFrames(segmentations.length, options.keyframes);
    this.samples = segmentations.map((s) => sampleSegments(s, options.samplesPerSegment));
    this.keyWeights = Float64Array.from(this.keyframes.flatMap((f) => Array.from(segmentations[f]!.pixels)));
    let row = 0;
    for (const f of this.keyframes) {
      this.keyRow.set(f, row);
      row += segmentations[f]!.count;
    }
    const overlaps = options.overlaps;
    if (overlaps) {
      if (overlaps.length !== segmentations.length || overlaps.some((o, f) => o.length !== segmentations[f]!.count)) {
        throw new RangeError('scene discovery: the overlaps do not match the pre-segmentation');
      }
      const isKey = new Set(this.keyframes);
      this.keyOverlaps = overlaps.map((perSegment) => perSegment.map((list) => list.filter((o) => isKey.has(o.frame))));
    } else {
      this.keyOverlaps = null;
    }
    const own = options.appearance;
    if (own) {
      if (own.length !== segmentations.length || own.some((a, f) => a.count !== segmentations[f]!.count)) {
        throw new RangeError('scene discovery: the segment appearances do not match the pre-segmentation');
      }
      const isKey = new Set(this.keyframes);
      const keyOverlaps = this.keyOverlaps;
      this.appearance = own.map((a, f) =>
        keyOverlaps ? fuseAcrossViews(a, keyOverlaps[f]!, (g) => (isKey.has(g) ? own[g] : undefined)) : a,
      );
      this.keyAppearance = concatFeatures(this.keyframes.map((f) => this.appearance![f]!));
      const measureOn = options.segmenterDistributions;
      this.featureStatistics =
        options.featureStatistics ??
        (measureOn
          ? measureFeatureStatistics(
              this.keyframes.map((f) => ({
                distribution: measureOn(f),
                appearance: this.appearance![f]!,
                pixels: segmentations[f]!.pixels,
              })),
              discovery.classNames.length,
            )
          : null);
      this.keyClassDistances = this.featureStatistics ? classDistances(this.featureStatistics, this.keyAppearance) : null;
    } else {
      this.appearance = null;
      this.keyAppearance = null;
      this.keyClassDistances = null;
      this.featureStatistics = null;
    }
  }

  /** A frame's features fused with the keyframes' of the last update. */
  private fused(frameIndex: number, own: SegmentFeatures): SegmentFeatures {
    return this.keyOverlaps ? fuseAcrossViews(own, this.keyOverlaps[frameIndex]!, (f) => this.keyFeatures.get(f)) : own;
  }

  /** Segments in the clustered graph. */
  get graphSize(): number {
    return this.keyWeights.length;
  }

  /** Samples rendered per update. */
  get samplesPerUpdate(): number {
    return this.keyframes.reduce((n, f) => n + this.samples[f]!.pixels.length, 0);
  }

  /** Renders the keyframes' samples and clusters their segments. */
  async update(source: PixelSource): Promise<DiscoveryUpdate> {
    const raw = new Map<number, SegmentFeatures>();
    for (const f of this.keyframes) raw.set(f, await frameFeatures(source, f, this.samples[f]!, this.discovery.settings.entropyWeight));
    this.keyFeatures = raw;
    const features = concatFeatures(this.keyframes.map((f) => this.fused(f, raw.get(f)!)));
    return this.discovery.update(features, this.keyWeights, {
      appearance: this.keyAppearance ?? undefined,
      classDistances: this.keyClassDistances ?? undefined,
    });
  }

  /**
   * How far a segment's (fused) appearance is from each class in the segmenter's feature
   * statistics, in spreads; null without statistics or appearance.
   */
  segmentClassDistances(frameIndex: number, segment: number): Float32Array | null {
    const look = this.appearance?.[frameIndex];
    if (!look || !this.featureStatistics || !(segment >= 0 && segment < look.count)) return null;
    return classDistances(this.featureStatistics, {
      count: 1,
      dims: look.dims,
      data: look.data.subarray(segment * look.dims, (segment + 1) * look.dims),
    }).data;
  }

  /** Labels one frame with the last update's classes (keyframes from the clustering itself). */
  async labelFrame(source: PixelSource, frameIndex: number): Promise<FrameLabels> {
    const last = this.discovery.last;
    if (!last) throw new Error('discovery has not run yet');
    const seg = this.segmentations[frameIndex]!;
    const first = this.keyRow.get(frameIndex);
    let classOfSegment: ArrayLike<number>;
    if (first !== undefined) {
      classOfSegment = last.classOfSegment.subarray(first, first + seg.count);
    } else {
      const f = await frameFeatures(source, frameIndex, this.samples[frameIndex]!, this.discovery.settings.entropyWeight);
      const nearest = nearestClasses(this.fused(frameIndex, f), last.classes, this.appearance?.[frameIndex]);
      if (this.keyOverlaps) {
        const covered = classesFromOverlaps(
          this.keyOverlaps[frameIndex]!,
          (o) => last.classOfSegment[this.keyRow.get(o.frame)! + o.segment]!,
        );
        covered.forEach((c, s) => c >= 0 && (nearest[s] = c));
      }
      classOfSegment = nearest;
    }
    return labelsFromSegments(seg, classOfSegment);
  }
}

/**
 * A segment is labelled from the keyframes when they cover at least this share of it (fractions
 * summed over the keyframe segments that overlap it).
 */
export const TRANSFER_COVERAGE = 0.5;

/**
 * Each segment's class as the keyframe segments covering the same surface have it: the class
 * with most of the covered share, where they cover at least TRANSFER_COVERAGE of the segment and
 * that class holds more than half of it; else -1. Clustering decides a keyframe segment's class
 * with what the whole graph says (its cluster, its appearance against the class's statistics); a
 * prototype holds only the class's mean distribution, and a segment the clustering would have
 * called atypical of its class (a ceiling the segmenter calls wall) is as close to that class's
 * prototype as any wall.
 */
export function classesFromOverlaps(
  overlaps: readonly (readonly SegmentOverlap[])[],
  classOf: (overlap: SegmentOverlap) => number,
): Int32Array {
  return Int32Array.from(overlaps, (list) => {
    const share = new Map<number, number>();
    let total = 0;
    for (const o of list) {
      const c = classOf(o);
      if (c < 0) continue;
      share.set(c, (share.get(c) ?? 0) + o.fraction);
      total += o.fraction;
    }
    if (total < TRANSFER_COVERAGE) return -1;
    for (const [c, v] of share) if (v > total / 2) return c;
    return -1;
  });
}

/** Rows of several frames' features, one after the other. */
function concatFeatures(parts: readonly SegmentFeatures[]): SegmentFeatures {
  const dims = parts[0]?.dims ?? 0;
  const data = new Float32Array(parts.reduce((n, p) => n + p.count, 0) * dims);
  let at = 0;
  for (const p of parts) {
    data.set(p.data, at);
    at += p.data.length;
  }
  return { count: dims > 0 ? data.length / dims : 0, dims, data };
}

/**
 * Each segment's class, as in the clustering: the class whose prototype is most similar; where
 * that is a known class, the segment's own most probable class among the known classes present;
 * where it is a novel class split on appearance, the one of its family the segment's
 * `appearance` is most like.
 */
export function nearestClasses(f: SegmentFeatures, classes: readonly DiscoveredClass[], appearance?: SegmentFeatures): Int32Array {
  const out = new Int32Array(f.count).fill(-1);
  const known = classes.filter((c) => c.known);
  for (let s = 0; s < f.count; s++) {
    let best: DiscoveredClass | null = null;
    let bestSim = -Infinity;
    for (const c of classes) {
      const sim = affinity(f.data, s, c.prototype, 0, f.dims);
      if (sim > bestSim) [best, bestSim] = [c, sim];
    }
    if (!best) continue;
    if (!best.known) {
      out[s] = appearance && best.family ? closestInFamily(best, classes, appearance, s).id : best.id;
      continue;
    }
    let p = -Infinity;
    for (const c of known) if (f.data[s * f.dims + c.id]! > p) [p, out[s]] = [f.data[s * f.dims + c.id]!, c.id];
  }
  return out;
}

/**
 * Each pixel's class in a view no pre-segmentation covers (the viewer's free camera): every
 * pixel is its own segment, classified as segments are.
 */
export function pixelClasses(
  view: { k: number; probs: Float32Array; entropyNormalised: Float32Array },
  classes: readonly DiscoveredClass[],
  entropyWeight: number,
): Int32Array {
  const { k } = view;
  const count = view.entropyNormalised.length;
  const dims = k + 1;
  const data = new Float32Array(count * dims);
  for (let p = 0; p < count; p++) {
    data.set(view.probs.subarray(p * k, (p + 1) * k), p * dims);
    data[p * dims + k] = entropyWeight * view.entropyNormalised[p]!;
  }
  return nearestClasses({ count, dims, data }, classes);
}

function closestInFamily(
  of: DiscoveredClass,
  classes: readonly DiscoveredClass[],
  appearance: SegmentFeatures,
  s: number,
): DiscoveredClass {
  let best = of;
  let bestSim = -Infinity;
  for (const c of classes) {
    if (c.known || !c.appearance || !c.family?.some((p) => of.family!.includes(p))) continue;
    const sim = cosine(appearance.data, s * appearance.dims, c.appearance, 0, appearance.dims);
    if (sim > bestSim) [best, bestSim] = [c, sim];
  }
  return best;
}
