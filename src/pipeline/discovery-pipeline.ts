/**
 * The pipeline on one scan, as a thing that can be stepped: given the segmenter's output for
 * every frame (scan-segmentation.ts; its distribution becomes the field's target), it builds the
 * Embedding-NeRF, trains it in slices, and reruns discovery over pre-segmented keyframes whenever
 * asked. The run loop (run/run-loop.ts) decides when; the viewer and the command line both drive
 * it through that loop, and read the field through the methods here, never through the trainer.
 *
 * Every method that touches the GPU runs after the one before it has finished (one queue per
 * pipeline): a training slice, a view for the viewer, an export's frames and a checkpoint share
 * the renderer's buffers, and a read-back must not see them change under it.
 *
 * Pre-segmentation happens at the first discovery: scans without depth are pre-segmented on the
 * depth the field renders, which needs a field that has trained for a while.
 */
import { ClassDiscovery, type DiscoverySettings, type DiscoveryUpdate } from '../discover/class-discovery.ts';
import {
  DEFAULT_PRESEGMENTATION,
  RENDERED_DEPTH_PRESEGMENTATION,
  SENSOR_DEPTH_PRESEGMENTATION,
  type DepthView,
  type PreSegmentation,
  type PreSegmentationSettings,
} from '../discover/pre-segmentation.ts';
import { PreSegmenter } from '../discover/presegment-in-worker.ts';
import { pixelClasses, SceneDiscovery, type FrameLabels, type PixelSource } from '../discover/scene-discovery.ts';
import { segmentAppearance } from '../discover/segment-appearance.ts';
import type { SegmentFeatures } from '../discover/segment-features.ts';
import type { SegmentOverlap } from '../discover/view-overlaps.ts';
import { CheckpointError, loadCheckpoint, restoreCheckpoint, saveCheckpoint } from '../field/checkpoint.ts';
import { FieldEvaluator } from '../field/field-evaluator.ts';
import { FieldTrainer, type BatchLosses, type TrainerSettings } from '../field/field-trainer.ts';
import { packedArgmax, unpackTarget } from '../field/semantic-targets.ts';
import { uploadTrainingFrames, type TrainingFrames } from '../field/training-frames.ts';
import { defaultTrainerSettings, fieldBackground } from '../field/training-settings.ts';
import { TrainerSnapshot } from '../field/trainer-snapshot.ts';
import {
  PIXEL_RECORD,
  pixelStride,
  resizedCamera,
  ViewRenderer,
  viewSettingsFor,
  type RenderedView,
  type ViewCamera,
} from '../field/view-renderer.ts';
import type { GpuContext } from '../gpu/gpu-context.ts';
import { PipelineCache } from '../gpu/pipeline-cache.ts';
import type { RunSettings } from '../run/run-settings.ts';
import { PROJECT_GENERATOR, type Scan } from '../scan/scan.ts';
import { segmentDistributions, type FrameProgress, type ScanSegmentation } from './scan-segmentation.ts';

/** What the pipeline takes from the run settings. */
export type PipelineSettings = Pick<
  RunSettings,
  'keyframes' | 'samplesPerSegment' | 'discovery' | 'learningRate' | 'klWeight' | 'featureStatistics'
>;

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

/**
 * With PipelineOptions.keepCopies, the field is also read back to memory (as a checkpoint) this
 * often while it trains, and after every discovery update: what a lost GPU device costs
 * (moveTo()). A read-back of the software adapter's field (~50 MB with Adam's moments) takes well
 * under a second; a hardware one's (~200 MB) about as long, every half minute.
 */
const DEVICE_LOSS_COPY_EVERY_MS = 30_000;

/** train() found the loss or parameters not finite; recoverFromDivergence() puts the field back to its last sound state. */
export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError';
  constructor(
    readonly step: number,
    losses: BatchLosses,
  ) {
    super(
      `training diverged by step ${step} (${losses.nonFiniteParameters > 0 ? `${losses.nonFiniteParameters} parameter values are not finite` : 'the loss is not finite'})`,
    );
  }
}

/** Every frame of the scan, with the segmenter's distributions as targets. */
function uploadFrames(device: GPUDevice, scan: Scan, segmentation: ScanSegmentation): TrainingFrames {
  const frames = scan.frames.map((_, i) => i);
  return uploadTrainingFrames(device, scan, frames, {
    from: 'packed',
    classes: segmentation.classNames.length,
    words: segmentation.packed,
  });
}

interface Field {
  trainer: FieldTrainer;
  renderer: ViewRenderer;
  evaluator: FieldEvaluator;
  snapshot: TrainerSnapshot;
}

export interface PipelineOptions {
  /** The trainer's settings; by default the adapter's (field/training-settings.ts). */
  trainerSettings?: TrainerSettings;
  /**
   * Read the field back to memory while it trains (DEVICE_LOSS_COPY_EVERY_MS, and after each
   * discovery update), for a caller that goes on after a lost device (moveTo()) or saves it. A
   * headless run, which ends with its device, does not pay for the read-backs.
   */
  keepCopies?: boolean;
}

export class DiscoveryPipeline {
  readonly classNames: string[];
  readonly k: number;
  private field: Field;
  private discovery: ClassDiscovery;
  private scene: SceneDiscovery | null = null;
  private segmentationsMade: PreSegmentation[] | null = null;
  /** The training step at which they were made (their depth was the field's then, for a scan without depth). */
  private presegmentedAt: number | null = null;
  private overlapsMade: SegmentOverlap[][][] | null = null;
  /** Each segment's appearance, once pre-segmented (when the segmenter has a feature map). */
  private appearanceMade: SegmentFeatures[] | null = null;
  /** The segmenter's feature maps, until pre-segmentation turns them into segment appearances. */
  private featureMaps: ScanSegmentation['featureMaps'];
  private settings: PipelineSettings;
  /** The GPU work asked for so far, one after another. */
  private queue: Promise<unknown> = Promise.resolve();
  private destroyed = false;

  /** The field as last read back to memory (a checkpoint), kept to go on from if the device is lost. */
  private copy: { bytes: Uint8Array; steps: number; at: number } | null = null;

  private constructor(
    private ctx: GpuContext,
    readonly scan: Scan,
    private readonly segmentation: ScanSegmentation,
    settings: PipelineSettings,
    private readonly trainerSettings: TrainerSettings,
    private cache: PipelineCache,
    private training: TrainingFrames,
    private readonly keepCopies: boolean,
  ) {
    this.classNames = segmentation.classNames;
    this.k = this.classNames.length;
    this.settings = settings;
    this.featureMaps = segmentation.featureMaps;
    this.discovery = new ClassDiscovery(this.classNames, settings.discovery);
    this.field = this.buildField(settings.learningRate, settings.klWeight);
  }

  /** An untrained field on the scan, supervised by the segmenter's output for every frame. */
  static create(
    ctx: GpuContext,
    scan: Scan,
    segmentation: ScanSegmentation,
    settings: PipelineSettings,
    options: PipelineOptions = {},
  ): DiscoveryPipeline {
    const k = segmentation.classNames.length;
    const { device, summary } = ctx;
    const trainerSettings =
      options.trainerSettings ??
      defaultTrainerSettings(
        { software: summary.software, maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize },
        k,
        1,
        fieldBackground(scan),
      );
    const cache = new PipelineCache(device);
    const training = uploadFrames(device, scan, segmentation);
    return new DiscoveryPipeline(ctx, scan, segmentation, settings, trainerSettings, cache, training, options.keepCopies ?? false);
  }

  private buildField(learningRate: number, klWeight: number): Field {
    // Each field gets its own copy: the trainer keeps λ in its settings.
    const settings = structuredClone(this.trainerSettings);
    const trainer = new FieldTrainer(this.cache, settings, this.training);
    trainer.setLearningRate(learningRate);
    trainer.setKlWeight(klWeight);
    const evaluator = new FieldEvaluator(this.cache, trainer, this.training);
    const renderer = new ViewRenderer(
      this.cache,
      trainer.field,
      trainer.occupancy.bits,
      settings.occupancy.res,
      viewSettingsFor(settings, this.ctx.device),
    );
    return { trainer, renderer, evaluator, snapshot: new TrainerSnapshot(trainer) };
  }

  /** Runs `work` once the GPU work asked for before it has finished. */
  private serial<T>(work: () => Promise<T> | T): Promise<T> {
    const run = this.queue.then(() => {
      if (this.destroyed) throw new Error('the pipeline was closed');
      return work();
    });
    this.queue = run.catch(() => {});
    return run;
  }

  get steps(): number {
    return this.field.trainer.steps;
  }

  get learningRate(): number {
    return this.field.trainer.optimiser.settings.learningRate;
  }

  get klWeight(): number {
    return this.field.trainer.settings.render.klWeight;
  }

  /** The trainer's settings (what the adapter got: grid, batch, networks). */
  get fieldSettings(): Readonly<TrainerSettings> {
    return this.field.trainer.settings;
  }

  /** Adam's learning rate from the next step on (moments are kept). */
  setLearningRate(learningRate: number): void {
    this.field.trainer.setLearningRate(learningRate);
    this.settings = { ...this.settings, learningRate };
  }

  /** λ of the KL term from the next step on. */
  setKlWeight(klWeight: number): void {
    this.field.trainer.setKlWeight(klWeight);
    this.settings = { ...this.settings, klWeight };
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
   * Trains `count` steps, rebalancing the batch every `stepsPerSync` steps and reading the losses
   * back once at the end (a read-back stalls the GPU queue: the caller picks how often). Throws
   * TrainingDivergedError when the loss or a parameter is not finite, leaving the field as it is
   * (see recoverFromDivergence()).
   */
  train(count: number, stepsPerSync: number): Promise<BatchLosses> {
    return this.serial(async () => {
      const { trainer, snapshot } = this.field;
      for (let done = 0; done < count;) {
        for (let i = 0; i < stepsPerSync && done < count; i++, done++) trainer.step();
        await trainer.rebalance();
      }
      const losses = await trainer.lastLosses();
      if (!Number.isFinite(losses.psnr) || losses.nonFiniteParameters > 0) throw new TrainingDivergedError(trainer.steps, losses);
      const last = snapshot.steps;
      if (last === null || trainer.steps - last >= SNAPSHOT_EVERY) snapshot.take();
      if (this.keepCopies && (!this.copy || performance.now() - this.copy.at >= DEVICE_LOSS_COPY_EVERY_MS)) await this.keepCopy();
      return losses;
    });
  }

  /**
   * After a divergence: the field as it was at the last snapshot (Adam restarted), or a fresh
   * field if training diverged before the first one; then half the learning rate (the usual
   * cause of a divergence is a step too large). Discovery's classes are kept; its next update
   * sees the restored field.
   */
  recoverFromDivergence(): Promise<{ step: number; learningRate: number }> {
    return this.serial(() => {
      const learningRate = this.learningRate / 2;
      let step = 0;
      if (this.field.snapshot.steps === null) this.replaceField();
      else step = this.field.snapshot.restore();
      this.setLearningRate(learningRate);
      return { step, learningRate };
    });
  }

  /**
   * PSNR on random pixels of the training views, the same pixels each call (so that two calls
   * compare fields, not draws), and the step of the field it scored.
   */
  psnr(): Promise<{ step: number; psnr: number }> {
    return this.serial(async () => ({ step: this.steps, psnr: (await this.field.evaluator.evaluate(4, 777)).psnr }));
  }

  /** A whole view of the field from any camera. */
  renderView(camera: ViewCamera): Promise<RenderedView> {
    return this.serial(() => this.field.renderer.renderView(camera));
  }

  /** The discovered class of every pixel of a rendered view, by the last update (null before the first). */
  classesOf(view: RenderedView): Int32Array | null {
    const update = this.lastUpdate;
    return update ? pixelClasses(view, update.classes, this.settings.discovery.entropyWeight) : null;
  }

  /** The field's distributions at listed pixels of a frame (inside serial work only). */
  private readonly fieldPixels: PixelSource = async (frameIndex, list) => {
    const r = await this.field.renderer.renderPixels(this.scan.frames[frameIndex]!, list);
    return {
      count: r.count,
      k: this.k,
      data: r.records,
      stride: pixelStride(this.k),
      probsAt: PIXEL_RECORD.probs,
      entropyAt: PIXEL_RECORD.entropyNormalised,
    };
  };

  /** The segmenter's own distribution (as packed for the field) and its normalised entropy at listed pixels of a frame. */
  readonly segmenterPixels: PixelSource = async (frameIndex, list) => {
    const { packed, firstPixel } = this.segmentation;
    const k = this.k;
    const stride = k + 1;
    const data = new Float32Array(list.length * stride);
    const norm = k > 1 ? 1 / Math.log(k) : 0;
    list.forEach((p, i) => {
      const dist = unpackTarget(packed, firstPixel[frameIndex]! + p, k);
      let h = 0;
      dist.forEach((q, c) => {
        data[i * stride + 1 + c] = q;
        if (q > 0) h -= q * Math.log(q);
      });
      data[i * stride] = h * norm;
    });
    return { count: list.length, k, data, stride, probsAt: 1, entropyAt: 0 };
  };

  /** The segmenter's most probable class of every pixel of a frame. */
  segmenterArgmax(frameIndex: number): Int32Array {
    const f = this.scan.frames[frameIndex]!;
    const first = this.segmentation.firstPixel[frameIndex]!;
    return Int32Array.from({ length: f.width * f.height }, (_, p) => packedArgmax(this.segmentation.packed, first + p, this.k));
  }

  /**
   * The field at training frame `f`'s camera at half resolution (a quarter of the rays): its
   * colour, and its depth in the scan's units where the field is opaque (0 elsewhere).
   */
  renderFrameHalf(f: Scan['frames'][number]): Promise<DepthView & { rgb: Float32Array }> {
    return this.serial(() => this.renderFrameHalfNow(f));
  }

  private async renderFrameHalfNow(f: Scan['frames'][number]): Promise<DepthView & { rgb: Float32Array }> {
    const camera = resizedCamera(f, Math.max(1, Math.floor(f.width / 2)), Math.max(1, Math.floor(f.height / 2)));
    const view = await this.field.renderer.renderView(camera);
    const scale = this.scan.normalisation.scale;
    const depth = view.depth.map((d, p) => (view.opacity[p]! > 0.5 ? d / view.opacity[p]! / scale : 0));
    return { width: camera.width, height: camera.height, depth, intrinsics: camera.intrinsics, rgb: view.rgb };
  }

  /**
   * How a depth camera's depth is cut: the project's rooms have exact depth, every other scan's
   * comes from a sensor (noise growing with z², holes, shadow bands along object edges).
   */
  private get sensorSettings(): PreSegmentationSettings {
    return this.scan.generator === PROJECT_GENERATOR ? DEFAULT_PRESEGMENTATION : SENSOR_DEPTH_PRESEGMENTATION;
  }

  /** Pre-segments every frame (once): sensor depth where the scan has it, else the field's rendered depth. */
  presegment(progress?: FrameProgress): Promise<readonly PreSegmentation[]> {
    if (this.segmentationsMade) return Promise.resolve(this.segmentationsMade);
    return this.serial(() => this.presegmentNow(progress));
  }

  /**
   * Segments cut on the depth the field renders go stale as the field learns its geometry (a young
   * field's depth is rough and has holes): they are cut again whenever training has doubled since.
   */
  private get renderedCutStale(): boolean {
    return !this.scan.hasDepth && this.presegmentedAt !== null && this.steps >= 2 * Math.max(this.presegmentedAt, 1);
  }

  private async presegmentNow(progress?: FrameProgress): Promise<readonly PreSegmentation[]> {
    if (this.segmentationsMade && !this.renderedCutStale) return this.segmentationsMade;
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
          : await this.renderFrameHalfNow(f);
        const seg = await presegmenter.segment(view, f.depth ? this.sensorSettings : RENDERED_DEPTH_PRESEGMENTATION, f.c2wSource);
        made.push(seg.width === f.width ? seg : upsampleSegments(seg, f.width, f.height));
        if (maps) appearance.push(segmentAppearance(maps[i]!, made[i]!));
        progress?.('pre-segmenting', made.length, frames.length);
      }
      this.overlapsMade = await presegmenter.overlaps();
    } finally {
      presegmenter.dispose();
    }
    this.appearanceMade = maps ? appearance : null;
    // Sensor depth is cut once; the field's depth is cut again later, on the same feature maps.
    if (this.scan.hasDepth) this.featureMaps = null;
    this.segmentationsMade = made;
    this.presegmentedAt = this.steps;
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
  discover(progress?: FrameProgress): Promise<DiscoveryUpdate> {
    return this.serial(async () => {
      if (!this.scene || this.renderedCutStale) await this.presegmentNow(progress);
      const update = await this.scene!.update(this.fieldPixels);
      if (this.keepCopies) await this.keepCopy();
      return update;
    });
  }

  private async keepCopy(): Promise<void> {
    const steps = this.field.trainer.steps;
    this.copy = { bytes: await this.saveField(), steps, at: performance.now() };
  }

  /** The field as a checkpoint, with the meta restore() checks: the scan's name and the class names. */
  private saveField(): Promise<Uint8Array> {
    const trainer = this.field.trainer;
    return saveCheckpoint(trainer, { scan: this.scan.sourceName, steps: trainer.steps, classes: this.classNames });
  }

  /** The field's last copy in memory, a checkpoint (what moveTo() goes on from), or null before the first. */
  get lastCopy(): { readonly bytes: Uint8Array; readonly steps: number } | null {
    return this.copy;
  }

  /**
   * The pipeline on another device, after its own was lost: the frames uploaded again, the field
   * rebuilt from its last copy in memory (an untrained field without one), everything on the CPU
   * (segmentations, discovery and its classes) kept as it is. Returns the step it goes on from.
   */
  moveTo(ctx: GpuContext): Promise<number> {
    // The lost device's work never finishes: what was queued on it is dropped, not waited for.
    this.queue = Promise.resolve();
    return this.serial(async () => {
      // Buffers of a lost device are gone already; destroying them is allowed and frees the wrappers.
      this.releaseField();
      this.training.destroy();
      this.ctx = ctx;
      this.cache = new PipelineCache(ctx.device);
      this.training = uploadFrames(ctx.device, this.scan, this.segmentation);
      this.field = this.buildField(this.settings.learningRate, this.settings.klWeight);
      if (this.copy) await restoreCheckpoint(this.field.trainer, this.copy.bytes);
      // A cut made on the rendered depth of the lost field's later steps is cut again.
      if (!this.scan.hasDepth && this.presegmentedAt !== null) this.presegmentedAt = 0;
      return this.steps;
    });
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
    return this.serial(() => {
      if (!this.scene) throw new Error('discovery has not run yet');
      return this.scene.labelFrame(this.fieldPixels, frameIndex);
    });
  }

  /** The field as a checkpoint file (field/checkpoint.ts), with the scan's name and the class names. */
  checkpoint(): Promise<Uint8Array> {
    return this.serial(() => this.saveField());
  }

  /**
   * Loads a checkpoint into the field; a bad file throws and changes nothing. A field that learnt
   * other classes is refused: its semantic head would be read under the wrong names. Returns the
   * settings that differ (and the scan's name, when the checkpoint names another).
   */
  restore(file: Uint8Array): Promise<{ differences: string[] }> {
    return this.serial(async () => {
      const checkpoint = loadCheckpoint(file);
      const { classes, scan } = checkpoint.meta ?? {};
      if (Array.isArray(classes) && (classes.length !== this.classNames.length || classes.some((c, i) => c !== this.classNames[i])))
        throw new CheckpointError(
          `its field learnt ${classes.length} classes (${listStart(classes)}), this run's are ${this.classNames.length} (${listStart(this.classNames)}): segment with the same model and known classes`,
        );
      const restored = restoreCheckpoint(this.field.trainer, checkpoint);
      if (typeof scan === 'string' && scan !== this.scan.sourceName)
        restored.differences.push(`the scan is ${scan} in the checkpoint but ${this.scan.sourceName} here`);
      if (!this.scan.hasDepth && this.presegmentedAt !== null) this.presegmentedAt = 0;
      return restored;
    });
  }

  /** A fresh, untrained field (the segmenter's targets and the pre-segmentation are kept); discovery starts over. */
  reset(): Promise<void> {
    return this.serial(() => {
      this.replaceField();
      this.discovery = new ClassDiscovery(this.classNames, this.settings.discovery);
      if (this.scene) this.scene = this.newScene();
      // Cut on the old field's depth: cut again at the new field's first discovery.
      if (!this.scan.hasDepth && this.presegmentedAt !== null) this.presegmentedAt = 0;
    });
  }

  private newScene(): SceneDiscovery {
    const { keyframes, samplesPerSegment } = this.settings;
    const given = this.settings.featureStatistics === 'auto' ? this.segmentation.featureStatistics : null;
    return new SceneDiscovery(this.segmentationsMade!, this.discovery, {
      keyframes,
      samplesPerSegment,
      overlaps: this.overlapsMade ?? undefined,
      appearance: this.appearanceMade ?? undefined,
      // The manifest's where it has them for these classes (unless the settings ask for the
      // scan's), else measured on the scan's keyframes.
      ...(given
        ? { featureStatistics: given }
        : { segmenterDistributions: (f: number) => segmentDistributions(this.segmentation, f, this.segmentationsMade![f]!) }),
    });
  }

  private replaceField(): void {
    const { learningRate, klWeight } = this.settings;
    this.releaseField();
    this.field = this.buildField(learningRate, klWeight);
  }

  private releaseField(): void {
    this.field.renderer.destroy();
    this.field.evaluator.destroy();
    this.field.snapshot.destroy();
  }

  /** Frees the GPU buffers once the work asked for before has finished; later calls fail. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    await this.queue;
    if (this.destroyed) return;
    this.destroyed = true;
    this.releaseField();
    this.training.destroy();
  }
}

/** The first few names of a class list, for a message. */
function listStart(names: readonly unknown[]): string {
  return names.slice(0, 4).map(String).join(', ') + (names.length > 4 ? ', ...' : '');
}
