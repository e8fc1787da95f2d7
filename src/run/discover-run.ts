/**
 * The whole pipeline on a loaded scan, as `npm run discover` runs it headless: segment every
 * frame, run the loop to the end (training, with discovery every N steps: classes appear and keep
 * their ids), then label every frame and score against ground truth where the scan has it. With
 * baselines, the same scoring for the segmenter alone and for per-frame discovery without the
 * field.
 */
import { summariseClasses, type ClassSummary } from '../discover/class-discovery.ts';
import type { PreSegmentation } from '../discover/pre-segmentation.ts';
import type { FrameLabels } from '../discover/scene-discovery.ts';
import { scoreLabelMaps, type LabelScore, type PredictedFrame } from '../eval/label-scoring.ts';
import { describeAdapter, type GpuContext } from '../gpu/gpu-context.ts';
import { DiscoveryPipeline } from '../pipeline/discovery-pipeline.ts';
import { segmentScan, type FrameProgress } from '../pipeline/scan-segmentation.ts';
import type { Scan } from '../scan/scan.ts';
import type { ClassChoice } from '../segment/class-selection.ts';
import type { SegmenterClass } from '../segment/segmenter-manifest.ts';
import type { Segmenter } from '../segment/segmenter.ts';
import { perFrameDiscovery, segmenterAlone } from './baselines.ts';
import { headlessPolicy, RunLoop } from './run-loop.ts';
import { checkRunSettings, DEFAULT_RUN_SETTINGS, withRunSettings, type RunSettingsChanges } from './run-settings.ts';

export interface DiscoverOptions {
  /** Changes to the default run settings. */
  settings?: RunSettingsChanges;
  /** Which of the segmenter's classes count as known (default: the model's own). */
  classes?: ClassChoice;
  /** Also score the segmenter alone and per-frame discovery without the field. */
  baselines?: boolean;
  /**
   * A checkpoint of a field trained on this scan (`discover --field`): training goes on from it
   * to the run's step count, or, when it has those steps already, discovery runs on it as it is.
   */
  field?: { name: string; bytes: Uint8Array };
  /** Return the trained field as a checkpoint (`discover --save-field`). */
  saveField?: boolean;
}

export interface DiscoveryProgress {
  step: number;
  seconds: number;
  classes: ClassSummary[];
}

export interface DiscoverResult {
  frames: number;
  steps: number;
  seconds: number;
  /** Training views, random pixels (the field is trained on every frame). */
  psnr: number;
  classes: ClassSummary[];
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
  /** The known classes, in the order of the ids below K (the segmenter's, or the groups the user chose). */
  knownClasses: SegmenterClass[];
  /** The segmenter's classes (or the preset's groups) the user left unknown, and known ones the field had no room for. */
  unknownClasses: string[];
  absentClasses: string[];
  /** What the segments of the discovery graph were cut on, and its size. */
  presegmentation: { depth: 'scan' | 'rendered'; segments: number; keyframes: number; coverage: number; segmentsPerFrame: number };
  /** The step at which the field was warm enough for discovery. */
  warmAtStep: number | null;
  /** The trained field as a checkpoint, when asked for. */
  field: Uint8Array | null;
}

export async function runDiscover(
  ctx: GpuContext,
  scan: Scan,
  segmenter: Segmenter,
  options: DiscoverOptions,
  log: (line: string) => void,
): Promise<DiscoverResult> {
  const settings = withRunSettings(DEFAULT_RUN_SETTINGS, options.settings);
  checkRunSettings(settings);
  const info = segmenter.info;
  if (!info) throw new Error('discover: no segmenter is loaded');
  const started = performance.now();
  const frames = scan.frames;
  const k = info.manifest.classes.length;
  log(`adapter: ${describeAdapter(ctx.summary)}`);
  log(
    `scan ${scan.sourceName}: ${frames.length} frames at ${scan.trainingSize.width}x${scan.trainingSize.height}, ${scan.hasDepth ? 'with' : 'without'} depth, ${scan.hasLabels ? 'with' : 'without'} labels; segmenter ${info.manifest.name} (${k} classes)`,
  );

  const progress: FrameProgress = (stage, done, total) => {
    if (done % (stage === 'segmenting' ? 10 : 20) === 0 || done === total)
      log(`${stage} ${done}/${total}${stage === 'pre-segmenting' && !scan.hasDepth ? ' (rendered depth)' : ''}`);
  };
  const segmentation = await segmentScan(segmenter, scan, options.classes, progress);
  if (segmentation.selection.unknown.length && segmentation.selection.unknown.length <= 20)
    log(`known: ${segmentation.classNames.join(', ')}; unknown: ${segmentation.selection.unknown.join(', ')}`);
  else log(`known: ${segmentation.classNames.length} classes; ${segmentation.selection.unknown.length} unknown`);
  const absent = segmentation.selection.absent;
  if (absent.length)
    log(`the field learns the ${segmentation.classNames.length} known classes most present in the scan; ${absent.length} others leave it`);
  const pipeline = DiscoveryPipeline.create(ctx, scan, segmentation, settings);
  try {
    // Sensor depth is pre-segmented before training; without depth, the first discovery
    // pre-segments the depth the field renders by then.
    if (scan.hasDepth) await pipeline.presegment(progress);
    if (options.field) {
      const { name, bytes } = options.field;
      const { differences } = await pipeline.restore(bytes).catch((e: unknown) => {
        throw new Error(`${name}: ${e instanceof Error ? e.message : String(e)}`);
      });
      log(
        `field from ${name} at step ${pipeline.steps}${differences.length ? ` (${differences.join('; ')})` : ''}${pipeline.steps >= settings.steps ? '; no more training, discovery on it as it is' : ''}`,
      );
    }
    const updates: DiscoveryProgress[] = [];
    let lastPsnr = NaN;
    let warmAtStep: number | null = null;
    const loop = new RunLoop(pipeline, settings, headlessPolicy(settings), (event) => {
      if (event.type === 'trained') lastPsnr = event.losses.psnr;
      else if (event.type === 'warm-up' && event.state.warm) {
        warmAtStep = event.state.step;
        log(
          `warm at step ${event.state.step}: semantic loss ${event.state.loss?.toFixed(4)}, ${event.state.fall === null ? 'at the step limit' : `falling ${(100 * event.state.fall).toFixed(1)}% per window`}; discovery from here`,
        );
      } else if (event.type === 'pre-segmenting') progress('pre-segmenting', event.done, event.total);
      else if (event.type === 'rolled-back')
        log(`${event.error.message}: back to step ${event.step}, learning rate halved to ${event.learningRate.toPrecision(3)}`);
      else if (event.type === 'discovered') {
        if (updates.length === 0) {
          const graph = pipeline.graph!;
          log(
            `discovery graph: ${graph.segments} segments of ${graph.keyframes} keyframes, ${graph.samplesPerUpdate} rendered pixels per update`,
          );
        }
        if (Number.isFinite(lastPsnr)) log(`training: step ${event.step}/${settings.steps}, batch PSNR ${lastPsnr.toFixed(2)} dB`);
        const classes = summariseClasses(event.update.classes);
        updates.push({ step: event.step, seconds: (performance.now() - started) / 1000, classes });
        const novel = classes.filter((c) => !c.known);
        log(
          `step ${event.step}: ${classes.length} classes (${novel.length} novel: ${novel.map((c) => `${c.name} ${(100 * c.share).toFixed(1)}%`).join(', ') || 'none'})`,
        );
      }
    });
    await loop.run();
    const cut = presegmentationSummary(await pipeline.presegment());
    log(`pre-segmented: ${cut.segmentsPerFrame.toFixed(1)} segments a frame, ${(100 * cut.coverage).toFixed(1)}% of the pixels in one`);
    const { psnr } = await pipeline.psnr();
    log(`trained ${pipeline.steps} steps; PSNR on training views ${psnr.toFixed(2)} dB`);

    // Label every frame, then score.
    const labels: FrameLabels[] = [];
    for (let i = 0; i < frames.length; i++) {
      labels.push(await pipeline.labelFrame(i));
      if ((i + 1) % 20 === 0 || i + 1 === frames.length) log(`labelling ${i + 1}/${frames.length}`);
    }
    const gt = scan.hasLabels ? { frames: frames.map((f) => f.labels!), classes: scan.classes ?? [] } : null;
    const score = (predicted: PredictedFrame[]): LabelScore | null =>
      gt ? scoreLabelMaps(gt, predicted, segmentation.classes, segmentation.classes.length) : null;
    const baselines = options.baselines
      ? { segmenter: score(segmenterAlone(pipeline)), per_frame: score(await perFrameDiscovery(pipeline, settings)) }
      : null;
    const final = summariseClasses(pipeline.lastUpdate!.classes);
    const field = options.saveField ? await pipeline.checkpoint() : null;
    return {
      frames: frames.length,
      steps: pipeline.steps,
      seconds: (performance.now() - started) / 1000,
      psnr,
      classes: final,
      novel_classes: final.filter((c) => !c.known).map((c) => c.name),
      updates,
      score: score(labels.map((l, i) => ({ frame: i, classes: l.classes }))),
      baselines,
      labels,
      adapter: describeAdapter(ctx.summary),
      segmenter: info.manifest.name,
      knownClasses: segmentation.classes,
      unknownClasses: segmentation.selection.unknown,
      absentClasses: segmentation.selection.absent,
      presegmentation: {
        depth: scan.hasDepth ? 'scan' : 'rendered',
        segments: pipeline.graph!.segments,
        keyframes: pipeline.graph!.keyframes,
        ...cut,
      },
      warmAtStep,
      field,
    };
  } finally {
    await pipeline.destroy();
  }
}

/** How much of the frames the pre-segmentation put in segments, and into how many. */
function presegmentationSummary(segs: readonly PreSegmentation[]): { coverage: number; segmentsPerFrame: number } {
  let covered = 0;
  let pixels = 0;
  for (const s of segs) {
    covered += s.pixels.reduce((a, b) => a + b, 0);
    pixels += s.width * s.height;
  }
  return {
    coverage: pixels ? covered / pixels : 0,
    segmentsPerFrame: segs.length ? segs.reduce((n, s) => n + s.count, 0) / segs.length : 0,
  };
}
