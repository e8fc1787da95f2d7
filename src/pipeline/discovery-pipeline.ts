/**
 * The pipeline on one scan, as a thing that can be stepped: segment every frame (its
 * distribution becomes the field's target), build the Embedding-NeRF, train it in slices, and
 * rerun discovery over pre-segmented keyframes whenever asked. `npm run discover` drives it to
 * the end in one go; the viewer drives it a few steps per animation frame, renders views between
 * slices, and may change the learning rate, λ or the discovery settings on the way.
 *
 * Pre-segmentation happens at the first discovery: scans without depth are pre-segmented on the
 * depth the field renders, which needs a field that has trained for a while.
 */
import { ClassDiscovery, type DiscoveredClass, type DiscoverySettings, type DiscoveryUpdate } from '../discover/class-discovery.ts';
import type { DepthView, PreSegmentation } from '../discover/pre-segmentation.ts';
import { PreSegmenter } from '../discover/presegment-in-worker.ts';
import { segmentAppearance } from '../discover/segment-appearance.ts';
import type { SegmentFeatures } from '../discover/segment-features.ts';
import { SceneDiscovery, type FrameLabels, type PixelSource } from '../discover/scene-discovery.ts';
import type { SegmentOverlap } from '../discover/view-overlaps.ts';
import { FieldEvaluator } from '../field/field-evaluator.ts';
import { FieldTrainer, type BatchLosses } from '../field/field-trainer.ts';
import { TrainerSnapshot } from '../field/trainer-snapshot.ts';
import { packLogitTargets, TARGET_WORDS_PER_PIXEL } from '../field/semantic-targets.ts';
import { uploadTrainingFrames, type TrainingFrames } from '../field/training-frames.ts';
import { defaultTrainerSettings } from '../field/training-settings.ts';
import { PIXEL_RECORD, pixelStride, resizedCamera, ViewRenderer, viewSettingsFor } from '../field/view-renderer.ts';
import type { GpuContext } from '../gpu/gpu-context.ts';
import { PipelineCache } from '../gpu/pipeline-cache.ts';
import type { Scan } from '../scan/scan.ts';
import type { FeatureMap } from '../segment/feature-query.ts';
import type { FeatureStatistics } from '../segment/feature-statistics.ts';
import { ManifestError } from '../segment/segmenter-manifest.ts';
import type { Segmenter } from '../segment/segmenter.ts';

export interface PipelineSettings {
  /** Frames whose segments form the clustered graph. */
  keyframes: number;
  samplesPerSegment: number;
  discovery: DiscoverySettings;
}

/** Progress of a stage that goes frame by frame. */
export type PipelineProgress = (stage: 'segmenting' | 'pre-segmenting', done: number, total: number) => void;

export interface ClassSummary {
  id: number;
  name: string;
  known: boolean;
  share: number;
  since: number;
}

export function summariseClasses(classes: readonly DiscoveredClass[]): ClassSummary[] {
  return classes.map((c) => ({ id: c.id, name: c.name, known: c.known, share: c.share, since: c.since }));
}

/** Segments of a lower-resolution map at full resolution (nearest). */
function upsampleSegments(seg: PreSegmentation, width: number, height: number): PreSegmentation {
  const segments = new Int32Array(width * height);
  const pixels = new Uint32Array(seg.count);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(seg.height - 1, Math.floor((y * seg.height) / height));
    for (let x = 0; x < width; x++) {
      const s = seg.segments[sy * seg.width + Math.min(seg.width - 1, Math.floor((x * seg.width) / width))]!;
      segments[y * width + x] = s;
      if (s >= 0) pixels[s]!++;
    }
  }
  return { width, height, segments, count: seg.count, pixels };
}

/** While training stays finite, the field is copied aside every this many steps (to roll back to if it diverges). */
const SNAPSHOT_EVERY = 100;

/** train() found the loss not finite; rollBack() puts the field back to its last sound state. */
export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError';
  constructor(readonly step: number) {
    super(`training diverged by step ${step} (the loss is not finite)`);
  }
}

export class DiscoveryPipeline {
  readonly classNames: string[];
  readonly k: number;
  trainer: FieldTrainer;
  renderer: ViewRenderer;
  private evaluator: FieldEvaluator;
  private snapshot: TrainerSnapshot;
  private discovery: ClassDiscovery;
  private scene: SceneDiscovery | null = null;
  private segmentationsMade: PreSegmentation[] | null = null;
  private overlapsMade: SegmentOverlap[][][] | null = null;
  /** Each segment's appearance, once pre-segmented (when the segmenter has a feature map). */
  private appearanceMade: SegmentFeatures[] | null = null;
  private destroyed = false;

  private constructor(
    private readonly ctx: GpuContext,
    readonly scan: Scan,
    /** The segmenter's distribution of every pixel of every frame, packed (semantic-targets.ts). */
    readonly packed: Uint32Array,
    /** Index of each frame's first pixel in `packed`. */
    readonly firstPixel: readonly number[],
    /** The segmenter's feature map of every frame, until pre-segmentation turns them into segment appearances; null without one. */
    private featureMaps: FeatureMap[] | null,
    /** What the feature map looks like per known class (the manifest's), or null. */
    private readonly featureStatistics: FeatureStatistics | null,
    classNames: string[],
    private settings: PipelineSettings,
    private readonly cache: PipelineCache,
    private readonly training: TrainingFrames,
  ) {
    this.classNames = classNames;
    this.k = classNames.length;
    this.discovery = new ClassDiscovery(classNames, settings.discovery);
    ({ trainer: this.trainer, renderer: this.renderer, evaluator: this.evaluator, snapshot: this.snapshot } = this.buildField());
  }

  /** Segments every frame with the loaded segmenter and builds an untrained field. */
  static async create(
    ctx: GpuContext,
    scan: Scan,
    segmenter: Segmenter,
    settings: PipelineSettings,
    progress?: PipelineProgress,
    signal?: AbortSignal,
  ): Promise<DiscoveryPipeline> {
    const info = segmenter.info;
    if (!info) throw new Error('no segmenter is loaded');
    const classNames = info.manifest.classes.map((c) => c.name);
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
    const cache = new PipelineCache(ctx.device);
    const training = uploadTrainingFrames(
      ctx.device,
      scan,
      frames.map((_, i) => i),
      { from: 'packed', classes: classNames.length, words: packed },
    );
    return new DiscoveryPipeline(ctx, scan, packed, firstPixel, maps, maps ? statistics : null, classNames, settings, cache, training);
  }

  private buildField(): { trainer: FieldTrainer; renderer: ViewRenderer; evaluator: FieldEvaluator; snapshot: TrainerSnapshot } {
    const { device, summary } = this.ctx;
    const settings = defaultTrainerSettings(
      { software: summary.software, maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize },
      this.k,
    );
    const trainer = new FieldTrainer(this.cache, settings, this.training);
    const evaluator = new FieldEvaluator(this.cache, trainer, this.training);
    const renderer = new ViewRenderer(
      this.cache,
      trainer.field,
      trainer.occupancy.bits,
      settings.occupancy.res,
      viewSettingsFor(settings, device),
    );
    return { trainer, renderer, evaluator, snapshot: new TrainerSnapshot(trainer) };
  }

  get steps(): number {
    return this.trainer.steps;
  }

  /** The last discovery update, or null before the first. */
  get lastUpdate(): DiscoveryUpdate | null {
    return this.discovery.last;
  }

  get discoverySettings(): DiscoverySettings {
    return this.settings.discovery;
  }

  get segmentations(): readonly PreSegmentation[] | null {
    return this.segmentationsMade;
  }

  /** Keyframes of the discovery graph (after the first discovery). */
  get keyframes(): readonly number[] {
    return this.scene?.keyframes ?? [];
  }

  /**
   * Trains `count` steps, reading the losses back once at the end (a read-back stalls the GPU
   * queue: the caller picks how often). Throws TrainingDivergedError when the loss is not finite,
   * leaving the field as it is (see rollBack()).
   */
  async train(count: number, stepsPerSync = 4): Promise<BatchLosses> {
    for (let done = 0; done < count;) {
      for (let i = 0; i < stepsPerSync && done < count; i++, done++) this.trainer.step();
      await this.trainer.rebalance();
    }
    const losses = await this.trainer.lastLosses();
    if (!Number.isFinite(losses.psnr)) throw new TrainingDivergedError(this.trainer.steps);
    const last = this.snapshot.steps;
    if (last === null || this.trainer.steps - last >= SNAPSHOT_EVERY) this.snapshot.take();
    return losses;
  }

  /**
   * After a divergence: the field as it was at the last snapshot (Adam restarted), or a fresh
   * field if training diverged before the first one. Returns the step training is back at.
   * Discovery's classes are kept; its next update sees the restored field.
   */
  rollBack(): number {
    if (this.snapshot.steps === null) {
      const { learningRate } = this.trainer.optimiser.settings;
      const { klWeight } = this.trainer.settings.render;
      this.replaceField();
      this.trainer.setLearningRate(learningRate);
      this.trainer.setKlWeight(klWeight);
      return 0;
    }
    return this.snapshot.restore();
  }

  /** rollBack(), then half the learning rate (the usual cause of a divergence is a step too large). */
  recoverFromDivergence(): { step: number; learningRate: number } {
    const learningRate = this.trainer.optimiser.settings.learningRate / 2;
    const step = this.rollBack();
    this.trainer.setLearningRate(learningRate);
    return { step, learningRate };
  }

  /** PSNR on random pixels of the training views. */
  async psnr(): Promise<number> {
    return (await this.evaluator.evaluate(4, 777)).psnr;
  }

  /** The field's distributions at listed pixels of a frame. */
  readonly fieldPixels: PixelSource = async (frameIndex, list) => {
    const r = await this.renderer.renderPixels(this.scan.frames[frameIndex]!, list);
    return {
      count: r.count,
      k: this.k,
      data: r.records,
      stride: pixelStride(this.k),
      probsAt: PIXEL_RECORD.probs,
      entropyAt: PIXEL_RECORD.entropyNormalised,
    };
  };

  /**
   * The field at training frame `f`'s camera at half resolution (a quarter of the rays): its
   * colour, and its depth in the scan's units where the field is opaque (0 elsewhere).
   */
  async renderFrameHalf(f: Scan['frames'][number]): Promise<DepthView & { rgb: Float32Array }> {
    const camera = resizedCamera(f, Math.max(1, Math.floor(f.width / 2)), Math.max(1, Math.floor(f.height / 2)));
    const view = await this.renderer.renderView(camera);
    const scale = this.scan.normalisation.scale;
    const depth = view.depth.map((d, p) => (view.opacity[p]! > 0.5 ? d / view.opacity[p]! / scale : 0));
    return { width: camera.width, height: camera.height, depth, intrinsics: camera.intrinsics, rgb: view.rgb };
  }

  /** Pre-segments every frame (once): sensor depth where the scan has it, else the field's rendered depth. */
  async presegment(progress?: PipelineProgress): Promise<readonly PreSegmentation[]> {
    if (this.segmentationsMade) return this.segmentationsMade;
    const presegmenter = new PreSegmenter();
    const made: PreSegmentation[] = [];
    const maps = this.featureMaps;
    // Each frame's appearance as soon as its segments exist: tens of ms a frame on the page's
    // thread, between the worker's answers rather than in one block at the end.
    const appearance: SegmentFeatures[] = [];
    try {
      const frames = this.scan.frames;
      for (const [i, f] of frames.entries()) {
        const view = f.depth
          ? { width: f.width, height: f.height, depth: f.depth, intrinsics: f.intrinsics }
          : await this.renderFrameHalf(f);
        const seg = await presegmenter.segment(view, undefined, f.c2wSource);
        made.push(seg.width === f.width ? seg : upsampleSegments(seg, f.width, f.height));
        if (maps) appearance.push(segmentAppearance(maps[i]!, made[i]!));
        progress?.('pre-segmenting', made.length, frames.length);
      }
      this.overlapsMade = await presegmenter.overlaps();
    } finally {
      presegmenter.dispose();
    }
    this.appearanceMade = maps ? appearance : null;
    this.featureMaps = null;
    this.segmentationsMade = made;
    this.scene = this.newScene();
    return made;
  }

  /** Graph size of the discovery (after pre-segmentation). */
  get graph(): { segments: number; keyframes: number; samplesPerUpdate: number } | null {
    return this.scene
      ? { segments: this.scene.graphSize, keyframes: this.scene.keyframes.length, samplesPerUpdate: this.scene.samplesPerUpdate }
      : null;
  }

  /** Reruns discovery on the field as it is now; classes keep their ids from the last update. */
  async discover(progress?: PipelineProgress): Promise<DiscoveryUpdate> {
    if (!this.scene) await this.presegment(progress);
    return this.scene!.update(this.fieldPixels);
  }

  /**
   * New discovery settings from the next update on. Ids carry over (the same keyframe segments
   * are clustered), but a changed algorithm may find other classes.
   */
  setDiscoverySettings(discovery: DiscoverySettings): void {
    this.discovery.reconfigure(discovery);
    this.settings = { ...this.settings, discovery };
  }

  /** A segment's distance to each known class in the segmenter's feature statistics, in spreads (null without them, or before pre-segmentation). */
  segmentClassDistances(frameIndex: number, segment: number): Float32Array | null {
    return this.scene?.segmentClassDistances(frameIndex, segment) ?? null;
  }

  /** Labels one frame with the last update's classes. */
  labelFrame(frameIndex: number): Promise<FrameLabels> {
    if (!this.scene) throw new Error('discovery has not run yet');
    return this.scene.labelFrame(this.fieldPixels, frameIndex);
  }

  /** A fresh, untrained field (the segmenter's targets and the pre-segmentation are kept); discovery starts over. */
  reset(): void {
    this.replaceField();
    this.discovery = new ClassDiscovery(this.classNames, this.settings.discovery);
    if (this.scene) this.scene = this.newScene();
  }

  private newScene(): SceneDiscovery {
    const { keyframes, samplesPerSegment } = this.settings;
    return new SceneDiscovery(this.segmentationsMade!, this.discovery, {
      keyframes,
      samplesPerSegment,
      overlaps: this.overlapsMade ?? undefined,
      appearance: this.appearanceMade ?? undefined,
      featureStatistics: this.featureStatistics ?? undefined,
    });
  }

  private replaceField(): void {
    this.releaseField();
    ({ trainer: this.trainer, renderer: this.renderer, evaluator: this.evaluator, snapshot: this.snapshot } = this.buildField());
  }

  private releaseField(): void {
    this.renderer.destroy();
    this.evaluator.destroy();
    this.snapshot.destroy();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.releaseField();
    this.training.destroy();
  }
}
