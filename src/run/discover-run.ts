/**
 * The whole pipeline on a loaded scan, as `npm run discover` runs it headless (DiscoveryPipeline
 * driven to the end): segment every frame (its distribution becomes the field's target),
 * pre-segment every frame, train the
 * Embedding-NeRF while discovery reruns every N steps (classes appear and keep their ids), then
 * label every frame and score against ground truth where the scan has it. With baselines, the
 * same scoring for the segmenter alone and for per-frame discovery without the field.
 */
import { ClassDiscovery, DEFAULT_DISCOVERY, type DiscoveredClass, type DiscoverySettings } from '../discover/class-discovery.ts';
import { frameFeatures, labelsFromSegments, type FrameLabels, type PixelSource } from '../discover/scene-discovery.ts';
import { sampleSegments } from '../discover/segment-samples.ts';
import type { PixelDistributions } from '../discover/segment-features.ts';
import { TARGET_WORDS_PER_PIXEL, unpackTarget } from '../field/semantic-targets.ts';
import { describeAdapter, type GpuContext } from '../gpu/gpu-context.ts';
import type { Scan } from '../scan/scan.ts';
import type { Segmenter } from '../segment/segmenter.ts';
import { DiscoveryPipeline, TrainingDivergedError, type PipelineProgress } from '../pipeline/discovery-pipeline.ts';
import { scoreLabelMaps, type LabelScore, type PredictedFrame } from '../eval/label-scoring.ts';

export interface DiscoverOptions {
  /** Training steps. */
  steps: number;
  /** Discovery reruns every this many steps (and once at the end). */
  discoverEvery: number;
  /** Frames whose segments form the clustered graph. */
  keyframes: number;
  samplesPerSegment: number;
  discovery: DiscoverySettings;
  /** Also score the segmenter alone and per-frame discovery without the field. */
  baselines: boolean;
}

export const DEFAULT_DISCOVER_OPTIONS: DiscoverOptions = {
  steps: 2000,
  discoverEvery: 250,
  keyframes: 24,
  samplesPerSegment: 12,
  discovery: DEFAULT_DISCOVERY,
  baselines: false,
};

export interface DiscoveryProgress {
  step: number;
  seconds: number;
  classes: { id: number; name: string; known: boolean; share: number }[];
}

export interface DiscoverResult {
  frames: number;
  steps: number;
  seconds: number;
  /** Training views, random pixels (the field is trained on every frame). */
  psnr: number;
  classes: { id: number; name: string; known: boolean; share: number }[];
  novel_classes: string[];
  /** Each discovery update while training: the classes then (ids carry over). */
  updates: DiscoveryProgress[];
  /** With ground-truth labels. */
  score: LabelScore | null;
  baselines: { segmenter: LabelScore | null; per_frame: LabelScore | null } | null;
  /** Class id per pixel of every frame (DiscoveredClass.id; -1 none). */
  labels: FrameLabels[];
  adapter: string;
  segmenter: string;
}

const STEPS_PER_SYNC = 4;
/** A run that diverges again after this many roll-backs (each halving the learning rate) stops. */
const MAX_ROLL_BACKS = 3;

function checkOptions(o: DiscoverOptions): void {
  const positiveInt = (name: string, v: number): void => {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`discover: ${name} must be a positive integer, got ${v}`);
  };
  positiveInt('steps', o.steps);
  positiveInt('discoverEvery', o.discoverEvery);
  positiveInt('keyframes', o.keyframes);
  positiveInt('samplesPerSegment', o.samplesPerSegment);
}

/** The segmenter's (packed) distribution and its normalised entropy at listed pixels of a frame. */
function packedPixels(packed: Uint32Array, first: number, k: number, pixels: Uint32Array): PixelDistributions {
  const stride = k + 1;
  const data = new Float32Array(pixels.length * stride);
  const norm = k > 1 ? 1 / Math.log(k) : 0;
  pixels.forEach((p, i) => {
    const dist = unpackTarget(packed, first + p, k);
    let h = 0;
    dist.forEach((q, c) => {
      data[i * stride + 1 + c] = q;
      if (q > 0) h -= q * Math.log(q);
    });
    data[i * stride] = h * norm;
  });
  return { count: pixels.length, k, data, stride, probsAt: 1, entropyAt: 0 };
}

/** The most probable class of a packed pixel (its first slot). */
function unpackedArgmax(packed: Uint32Array, pixel: number, k: number): number {
  const c = packed[pixel * TARGET_WORDS_PER_PIXEL]! & 0xff;
  return c < k ? c : -1;
}

const summarise = (classes: DiscoveredClass[]) => classes.map((c) => ({ id: c.id, name: c.name, known: c.known, share: c.share }));

export async function runDiscover(
  ctx: GpuContext,
  scan: Scan,
  segmenter: Segmenter,
  given: Partial<DiscoverOptions>,
  log: (line: string) => void,
  onUpdate?: (progress: DiscoveryProgress) => void,
): Promise<DiscoverResult> {
  const options = { ...DEFAULT_DISCOVER_OPTIONS, ...given, discovery: { ...DEFAULT_DISCOVERY, ...given.discovery } };
  checkOptions(options);
  const info = segmenter.info;
  if (!info) throw new Error('discover: no segmenter is loaded');
  const k = info.manifest.classes.length;
  const started = performance.now();
  const frames = scan.frames;
  log(`adapter: ${describeAdapter(ctx.summary)}`);
  log(
    `scan ${scan.sourceName}: ${frames.length} frames at ${scan.trainingSize.width}x${scan.trainingSize.height}, ${scan.hasDepth ? 'with' : 'without'} depth, ${scan.hasLabels ? 'with' : 'without'} labels; segmenter ${info.manifest.name} (${k} classes)`,
  );

  const progress: PipelineProgress = (stage, done, total) => {
    if (done % (stage === 'segmenting' ? 10 : 20) === 0 || done === total)
      log(`${stage} ${done}/${total}${stage === 'pre-segmenting' && !scan.hasDepth ? ' (rendered depth)' : ''}`);
  };
  const pipeline = await DiscoveryPipeline.create(ctx, scan, segmenter, options, progress);
  try {
    let rollBacks = 0;
    const train = async (until: number): Promise<void> => {
      for (;;) {
        try {
          const losses = await pipeline.train(until - pipeline.steps, STEPS_PER_SYNC);
          log(`training: step ${pipeline.steps}/${options.steps}, batch PSNR ${losses.psnr.toFixed(2)} dB`);
          return;
        } catch (e) {
          if (!(e instanceof TrainingDivergedError) || ++rollBacks > MAX_ROLL_BACKS) throw e;
          const { step, learningRate } = pipeline.recoverFromDivergence();
          log(`${e.message}: back to step ${step}, learning rate halved to ${learningRate.toPrecision(3)}`);
        }
      }
    };
    // Pre-segmentation of sensor depth, or else of the depth the field renders once it has
    // trained for one discovery interval.
    if (!scan.hasDepth) await train(Math.min(options.discoverEvery, options.steps));
    const segmentations = await pipeline.presegment(progress);
    const { packed, firstPixel, classNames } = pipeline;

    // Baselines from the segmenter's own (packed) outputs: argmax alone, and per-frame discovery.
    const segmenterOnly: PredictedFrame[] = [];
    const perFrame: PredictedFrame[] = [];
    if (options.baselines) {
      // One frame's graph holds about one keyframe's share of the segments: the smallest cluster
      // scales with it (an object is one or two segments of a frame).
      const perFrameDiscovery = new ClassDiscovery(classNames, {
        ...options.discovery,
        minClusterSize: Math.max(2, Math.round(options.discovery.minClusterSize / options.keyframes)),
        minSamples: Math.min(options.discovery.minSamples, Math.max(2, Math.round(options.discovery.minClusterSize / options.keyframes))),
        neighbours: Math.max(2, Math.round(options.discovery.neighbours / 4)),
      });
      for (let i = 0; i < frames.length; i++) {
        const n = frames[i]!.width * frames[i]!.height;
        segmenterOnly.push({ frame: i, classes: Int32Array.from({ length: n }, (_, p) => unpackedArgmax(packed, firstPixel[i]! + p, k)) });
        const source: PixelSource = async (_, list) => packedPixels(packed, firstPixel[i]!, k, list);
        const features = await frameFeatures(
          source,
          i,
          sampleSegments(segmentations[i]!, options.samplesPerSegment),
          options.discovery.entropyWeight,
        );
        const update = perFrameDiscovery.update(features, segmentations[i]!.pixels, { sameSegments: false });
        perFrame.push({ frame: i, classes: labelsFromSegments(segmentations[i]!, update.classOfSegment).classes });
      }
    }

    // Train, rediscovering every N steps.
    const graph = pipeline.graph!;
    log(
      `discovery graph: ${graph.segments} segments of ${graph.keyframes} keyframes, ${graph.samplesPerUpdate} rendered pixels per update`,
    );
    const updates: DiscoveryProgress[] = [];
    const discover = async (): Promise<void> => {
      const update = await pipeline.discover();
      const step = { step: pipeline.steps, seconds: (performance.now() - started) / 1000, classes: summarise(update.classes) };
      updates.push(step);
      onUpdate?.(step);
      const novel = update.classes.filter((c) => !c.known);
      log(
        `step ${pipeline.steps}: ${update.classes.length} classes (${novel.length} novel: ${novel.map((c) => `${c.name} ${(100 * c.share).toFixed(1)}%`).join(', ') || 'none'})`,
      );
    };
    while (pipeline.steps < options.steps) {
      await train(Math.min(options.steps, (Math.floor(pipeline.steps / options.discoverEvery) + 1) * options.discoverEvery));
      if (pipeline.steps < options.steps) await discover();
    }
    await discover();
    const psnr = await pipeline.psnr();
    log(`trained ${pipeline.steps} steps; PSNR on training views ${psnr.toFixed(2)} dB`);

    // Label every frame, then score.
    const labels: FrameLabels[] = [];
    for (let i = 0; i < frames.length; i++) {
      labels.push(await pipeline.labelFrame(i));
      if ((i + 1) % 20 === 0 || i + 1 === frames.length) log(`labelling ${i + 1}/${frames.length}`);
    }
    const final = pipeline.lastUpdate!;
    const gt = scan.hasLabels ? { frames: frames.map((f) => f.labels!), classes: scan.classes ?? [] } : null;
    const score = gt
      ? scoreLabelMaps(
          gt,
          labels.map((l, i) => ({ frame: i, classes: l.classes })),
          info.manifest.classes,
          k,
        )
      : null;
    const baselines = options.baselines
      ? {
          segmenter: gt ? scoreLabelMaps(gt, segmenterOnly, info.manifest.classes, k) : null,
          per_frame: gt ? scoreLabelMaps(gt, perFrame, info.manifest.classes, k) : null,
        }
      : null;
    return {
      frames: frames.length,
      steps: pipeline.steps,
      seconds: (performance.now() - started) / 1000,
      psnr,
      classes: summarise(final.classes),
      novel_classes: final.classes.filter((c) => !c.known).map((c) => c.name),
      updates,
      score,
      baselines,
      labels,
      adapter: describeAdapter(ctx.summary),
      segmenter: info.manifest.name,
    };
  } finally {
    pipeline.destroy();
  }
}
