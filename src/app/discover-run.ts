/**
 * The whole pipeline on a loaded scan, as `npm run discover` runs it headless: pre-segment every
 * frame, segment every frame (its distribution becomes the field's target), train the
 * Embedding-NeRF while discovery reruns every N steps (classes appear and keep their ids), then
 * label every frame and score against ground truth where the scan has it. With baselines, the
 * same scoring for the segmenter alone and for per-frame discovery without the field.
 */
import { ClassDiscovery, DEFAULT_DISCOVERY, type DiscoveredClass, type DiscoverySettings } from '../discover/class-discovery.ts';
import type { DepthView, PreSegmentation } from '../discover/pre-segmentation.ts';
import { PreSegmenter } from '../discover/presegment-in-worker.ts';
import { frameFeatures, labelsFromSegments, SceneDiscovery, type FrameLabels, type PixelSource } from '../discover/scene-discovery.ts';
import { sampleSegments } from '../discover/segment-samples.ts';
import type { PixelDistributions } from '../discover/segment-features.ts';
import { FieldEvaluator } from '../field/field-evaluator.ts';
import { FieldTrainer } from '../field/field-trainer.ts';
import { packLogitTargets, TARGET_WORDS_PER_PIXEL, unpackTarget } from '../field/semantic-targets.ts';
import { uploadTrainingFrames } from '../field/training-frames.ts';
import { defaultTrainerSettings } from '../field/training-settings.ts';
import { PIXEL_RECORD, pixelStride, ViewRenderer, viewSettingsFor } from '../field/view-renderer.ts';
import { describeAdapter, type GpuContext } from '../gpu/gpu-context.ts';
import { PipelineCache } from '../gpu/pipeline-cache.ts';
import type { Scan } from '../scan/scan.ts';
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

/** The field's depth of a frame at half resolution (a quarter of the rays), in metres, where the field is opaque. */
async function renderedDepthView(renderer: ViewRenderer, f: Scan['frames'][number], scale: number): Promise<DepthView> {
  const width = Math.max(1, Math.floor(f.width / 2));
  const height = Math.max(1, Math.floor(f.height / 2));
  const sx = width / f.width;
  const sy = height / f.height;
  const intrinsics = { fx: f.intrinsics.fx * sx, fy: f.intrinsics.fy * sy, cx: f.intrinsics.cx * sx, cy: f.intrinsics.cy * sy };
  const view = await renderer.renderView({ c2w: f.c2w, width, height, intrinsics });
  const depth = view.depth.map((d, p) => (view.opacity[p]! > 0.5 ? d / view.opacity[p]! / scale : 0));
  return { width, height, depth, intrinsics };
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

  // 1. The segmenter on every frame: its distribution, packed, is the field's target (and what
  //    the baselines read).
  const pixels = frames.reduce((n, f) => n + f.width * f.height, 0);
  const packed = new Uint32Array(pixels * TARGET_WORDS_PER_PIXEL);
  const firstPixel: number[] = [];
  let at = 0;
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    const { frame } = await segmenter.segmentImage({ width: f.width, height: f.height, rgba: f.rgba }, { outputSize: { width: f.width, height: f.height } });
    packLogitTargets(frame.logits, packed, at);
    firstPixel.push(at);
    at += f.width * f.height;
    if ((i + 1) % 10 === 0 || i + 1 === frames.length) log(`segmenting ${i + 1}/${frames.length}`);
  }

  // 2. The field.
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
    return { count: r.count, k, data: r.records, stride, probsAt: PIXEL_RECORD.probs, entropyAt: PIXEL_RECORD.entropyNormalised };
  };
  const train = async (until: number): Promise<void> => {
    while (trainer.steps < until) {
      for (let i = 0; i < STEPS_PER_SYNC && trainer.steps < until; i++) trainer.step();
      await trainer.rebalance();
    }
    const losses = await trainer.lastLosses();
    if (!Number.isFinite(losses.psnr)) throw new Error(`training diverged by step ${trainer.steps} (the loss is not finite)`);
    log(`training: step ${trainer.steps}/${options.steps}, batch PSNR ${losses.psnr.toFixed(2)} dB`);
  };

  // 3. Pre-segmentation, once per frame: of sensor depth, or else of the depth the field renders
  //    once it has trained for one discovery interval.
  if (!scan.hasDepth) await train(Math.min(options.discoverEvery, options.steps));
  const presegmenter = new PreSegmenter();
  const segmentations: PreSegmentation[] = [];
  for (const f of frames) {
    const view = f.depth ? { width: f.width, height: f.height, depth: f.depth, intrinsics: f.intrinsics } : await renderedDepthView(renderer, f, scan.normalisation.scale);
    const seg = await presegmenter.segment(view);
    segmentations.push(seg.width === f.width ? seg : upsampleSegments(seg, f.width, f.height));
    if (segmentations.length % 20 === 0 || segmentations.length === frames.length) log(`pre-segmenting ${segmentations.length}/${frames.length}${f.depth ? '' : ' (rendered depth)'}`);
  }
  presegmenter.dispose();

  // 4. Baselines from the segmenter's own (packed) outputs: argmax alone, and per-frame discovery.
  const segmenterOnly: PredictedFrame[] = [];
  const perFrame: PredictedFrame[] = [];
  if (options.baselines) {
    // One frame's graph holds about one keyframe's share of the segments: the smallest cluster
    // scales with it (an object is one or two segments of a frame).
    const perFrameDiscovery = new ClassDiscovery(classNames, {
      ...options.discovery,
      minClusterSize: Math.max(2, Math.round(options.discovery.minClusterSize / options.keyframes)),
      neighbours: Math.max(2, Math.round(options.discovery.neighbours / 4)),
    });
    for (let i = 0; i < frames.length; i++) {
      const n = frames[i]!.width * frames[i]!.height;
      segmenterOnly.push({ frame: i, classes: Int32Array.from({ length: n }, (_, p) => unpackedArgmax(packed, firstPixel[i]! + p, k)) });
      const source: PixelSource = async (_, list) => packedPixels(packed, firstPixel[i]!, k, list);
      const features = await frameFeatures(source, i, sampleSegments(segmentations[i]!, options.samplesPerSegment), options.discovery.entropyWeight);
      const update = perFrameDiscovery.update(features, segmentations[i]!.pixels, false);
      perFrame.push({ frame: i, classes: labelsFromSegments(segmentations[i]!, update.classOfSegment).classes });
    }
  }

  // 5. Train, rediscovering every N steps.
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
    await train(Math.min(options.steps, (Math.floor(trainer.steps / options.discoverEvery) + 1) * options.discoverEvery));
    if (trainer.steps < options.steps) await discover();
  }
  await discover();
  const psnr = (await evaluator.evaluate(4, 777)).psnr;
  log(`trained ${trainer.steps} steps; PSNR on training views ${psnr.toFixed(2)} dB`);

  // 6. Label every frame, then score.
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
  };
}
