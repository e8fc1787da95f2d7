/**
 * The whole pipeline on a loaded scan, as `npm run discover` runs it headless: pre-segment every
 * frame, segment every frame (its distribution becomes the field's target), train the
 * Embedding-NeRF while discovery reruns every N steps (classes appear and keep their ids), then
 * label every frame and score against ground truth where the scan has it. With baselines, the
 * same scoring for the segmenter alone and for per-frame discovery without the field.
 */
import { ClassDiscovery, DEFAULT_DISCOVERY, type DiscoveredClass, type DiscoverySettings } from '../discover/class-discovery.ts';
import type { PreSegmentation } from '../discover/pre-segmentation.ts';
import { PreSegmenter } from '../discover/presegment-in-worker.ts';
import { frameFeatures, labelsFromSegments, SceneDiscovery, type FrameLabels, type PixelSource } from '../discover/scene-discovery.ts';
import { sampleSegments } from '../discover/segment-samples.ts';
import { FieldEvaluator } from '../field/field-evaluator.ts';
import { FieldTrainer } from '../field/field-trainer.ts';
import { packLogitTargets, TARGET_WORDS_PER_PIXEL } from '../field/semantic-targets.ts';
import { uploadTrainingFrames } from '../field/training-frames.ts';
import { defaultTrainerSettings } from '../field/training-settings.ts';
import { pixelStride, ViewRenderer, viewSettingsFor } from '../field/view-renderer.ts';
import { describeAdapter, type GpuContext } from '../gpu/gpu-context.ts';
import { PipelineCache } from '../gpu/pipeline-cache.ts';
import type { Scan } from '../scan/scan.ts';
import { softmax } from '../segment/class-distribution.ts';
import type { Segmenter } from '../segment/segmenter.ts';
import { scoreLabelMaps, type LabelScore, type PredictedFrame } from './discover-scoring.ts';

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
  /** Return the last clustered graph (features, pixel weights, majority ground-truth label per segment) for tuning. */
  keepGraph?: boolean;
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
  graph?: { dims: number; features: number[]; weights: number[]; truth: number[] };
}

/** The ground-truth class most of a segment's pixels have, per segment of the keyframes in order. */
function graphTruth(scan: Scan, scene: SceneDiscovery): number[] {
  return scene.keyframes.flatMap((f) => {
    const seg = scene.segmentations[f]!;
    const votes = Array.from({ length: seg.count }, () => new Map<number, number>());
    seg.segments.forEach((s, p) => s >= 0 && votes[s]!.set(scan.frames[f]!.labels![p]!, (votes[s]!.get(scan.frames[f]!.labels![p]!) ?? 0) + 1));
    return votes.map((v) => [...v.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 0);
  });
}

const STEPS_PER_SYNC = 4;

function checkOptions(o: DiscoverOptions): void {
  const positiveInt = (name: string, v: number): void => {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`discover: ${name} must be a positive integer, got ${v}`);
  };
  positiveInt('steps', o.steps);
  positiveInt('discoverEvery', o.discoverEvery);
  positiveInt('keyframes', o.keyframes);
  positiveInt('samplesPerSegment', o.samplesPerSegment);
}

/** Normalised entropy and probabilities at listed pixels of one segmenter output (K x n logits). */
function segmenterPixels(probs: Float32Array, entropy: Float32Array, k: number, n: number, pixels: Uint32Array) {
  const stride = k + 1;
  const data = new Float32Array(pixels.length * stride);
  const norm = k > 1 ? 1 / Math.log(k) : 0;
  pixels.forEach((p, i) => {
    data[i * stride] = entropy[p]! * norm;
    for (let c = 0; c < k; c++) data[i * stride + 1 + c] = probs[c * n + p]!;
  });
  return { count: pixels.length, k, data, stride, probsAt: 1, entropyAt: 0 };
}

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
  const classNames = info.manifest.classes.map((c) => c.name);
  const k = classNames.length;
  const { device, summary } = ctx;
  const started = performance.now();
  const frames = scan.frames;
  log(`adapter: ${describeAdapter(summary)}`);
  log(`scan ${scan.sourceName}: ${frames.length} frames at ${scan.trainingSize.width}x${scan.trainingSize.height}, ${scan.hasDepth ? 'with' : 'without'} depth, ${scan.hasLabels ? 'with' : 'without'} labels; segmenter ${info.manifest.name} (${k} classes)`);
  if (!scan.hasDepth) throw new Error(`${scan.sourceName}: discovery pre-segments sensor depth; this scan has none (segments from rendered depth are not built yet)`);

  // 1. Pre-segmentation, once per frame.
  const presegmenter = new PreSegmenter();
  const segmentations: PreSegmentation[] = [];
  for (const f of frames) {
    segmentations.push(await presegmenter.segment({ width: f.width, height: f.height, depth: f.depth!, intrinsics: f.intrinsics }));
    if (segmentations.length % 20 === 0 || segmentations.length === frames.length) log(`pre-segmenting ${segmentations.length}/${frames.length}`);
  }
  presegmenter.dispose();

  // 2. Segmenter on every frame: packed targets for the field; baselines from its own outputs.
  const pixels = frames.reduce((n, f) => n + f.width * f.height, 0);
  const packed = new Uint32Array(pixels * TARGET_WORDS_PER_PIXEL);
  const segmenterOnly: PredictedFrame[] = [];
  const perFrame: PredictedFrame[] = [];
  const perFrameDiscovery = new ClassDiscovery(classNames, options.discovery);
  let at = 0;
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    const { frame } = await segmenter.segmentImage({ width: f.width, height: f.height, rgba: f.rgba }, { outputSize: { width: f.width, height: f.height } });
    packLogitTargets(frame.logits, packed, at);
    at += f.width * f.height;
    if (options.baselines) {
      segmenterOnly.push({ frame: i, classes: Int32Array.from(frame.argmax) });
      const probs = softmax(frame.logits).data;
      const samples = sampleSegments(segmentations[i]!, options.samplesPerSegment);
      const source: PixelSource = async (_, list) => segmenterPixels(probs, frame.entropy, k, f.width * f.height, list);
      const features = await frameFeatures(source, i, samples, options.discovery.entropyWeight);
      const update = perFrameDiscovery.update(features, segmentations[i]!.pixels, false);
      perFrame.push({ frame: i, classes: labelsFromSegments(segmentations[i]!, update.classOfSegment).classes });
    }
    if ((i + 1) % 10 === 0 || i + 1 === frames.length) log(`segmenting ${i + 1}/${frames.length}`);
  }

  // 3. Train, discovering every N steps.
  const cache = new PipelineCache(device);
  const all = frames.map((_, i) => i);
  const training = uploadTrainingFrames(device, scan, all, { from: 'packed', classes: k, words: packed });
  const settings = defaultTrainerSettings({ software: summary.software, maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize }, k);
  const trainer = new FieldTrainer(cache, settings, training);
  const evaluator = new FieldEvaluator(cache, trainer, training);
  const renderer = new ViewRenderer(cache, trainer.field, trainer.occupancy.bits, settings.occupancy.res, viewSettingsFor(settings, device));
  const stride = pixelStride(k);
  const fieldPixels: PixelSource = async (fi, list) => {
    const r = await renderer.renderPixels(frames[fi]!, list);
    return { count: r.count, k, data: r.records, stride, probsAt: 7, entropyAt: 6 };
  };
  const discovery = new ClassDiscovery(classNames, options.discovery);
  const scene = new SceneDiscovery(segmentations, discovery, { keyframes: options.keyframes, samplesPerSegment: options.samplesPerSegment });
  log(`discovery graph: ${scene.graphSize} segments of ${scene.keyframes.length} keyframes, ${scene.samplesPerUpdate} rendered pixels per update`);
  const updates: DiscoveryProgress[] = [];
  const summarise = (classes: DiscoveredClass[]) => classes.map((c) => ({ id: c.id, name: c.name, known: c.known, share: c.share }));
  const discover = async (): Promise<void> => {
    const update = await scene.update(fieldPixels);
    const progress = { step: trainer.steps, seconds: (performance.now() - started) / 1000, classes: summarise(update.classes) };
    updates.push(progress);
    onUpdate?.(progress);
    const novel = update.classes.filter((c) => !c.known);
    log(`step ${trainer.steps}: ${update.classes.length} classes (${novel.length} novel: ${novel.map((c) => `${c.name} ${(100 * c.share).toFixed(1)}%`).join(', ') || 'none'})`);
  };
  while (trainer.steps < options.steps) {
    for (let i = 0; i < STEPS_PER_SYNC && trainer.steps < options.steps; i++) trainer.step();
    await trainer.rebalance();
    if (trainer.steps % options.discoverEvery < STEPS_PER_SYNC && trainer.steps < options.steps) {
      const losses = await trainer.lastLosses();
      if (!Number.isFinite(losses.psnr)) throw new Error(`training diverged at step ${trainer.steps} (loss is not finite)`);
      log(`training: step ${trainer.steps}/${options.steps}, batch PSNR ${losses.psnr.toFixed(2)} dB`);
      await discover();
    }
  }
  await discover();
  const psnr = (await evaluator.evaluate(4, 777)).psnr;
  log(`trained ${trainer.steps} steps; PSNR on training views ${psnr.toFixed(2)} dB`);

  // 4. Label every frame, then score.
  const labels: FrameLabels[] = [];
  for (let i = 0; i < frames.length; i++) {
    labels.push(await scene.labelFrame(fieldPixels, i));
    if ((i + 1) % 20 === 0 || i + 1 === frames.length) log(`labelling ${i + 1}/${frames.length}`);
  }
  const final = discovery.last!;
  const gt = scan.hasLabels ? { frames: frames.map((f) => f.labels!), classes: scan.classes ?? [] } : null;
  const score = gt ? scoreLabelMaps(gt, labels.map((l, i) => ({ frame: i, classes: l.classes })), info.manifest.classes, k) : null;
  const baselines = options.baselines
    ? { segmenter: gt ? scoreLabelMaps(gt, segmenterOnly, info.manifest.classes, k) : null, per_frame: gt ? scoreLabelMaps(gt, perFrame, info.manifest.classes, k) : null }
    : null;
  renderer.destroy();
  evaluator.destroy();
  training.destroy();
  return {
    frames: frames.length,
    steps: trainer.steps,
    seconds: (performance.now() - started) / 1000,
    psnr,
    classes: summarise(final.classes),
    novel_classes: final.classes.filter((c) => !c.known).map((c) => c.name),
    updates,
    score,
    baselines,
    labels,
    adapter: describeAdapter(summary),
    segmenter: info.manifest.name,
    ...(options.keepGraph &&
      scene.lastFeatures && {
        graph: { dims: scene.lastFeatures.dims, features: Array.from(scene.lastFeatures.data), weights: Array.from(scene.graphWeights), truth: scan.hasLabels ? graphTruth(scan, scene) : [] },
      }),
  };
}
