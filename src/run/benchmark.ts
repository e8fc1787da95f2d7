/**
 * The training benchmark, run in the page (`npm run bench` drives it headless) on a generated scene
 * or on any scan: holds out every n-th frame (the NeRF protocol), measures the adapter's
 * arithmetic peak, trains for a fixed time while scoring the whole held-out frames, then profiles
 * a few steps kernel by kernel.
 */
import { FieldTrainer } from '../field/field-trainer.ts';
import { defaultTrainerSettings, fieldBackground } from '../field/training-settings.ts';
import { uploadTrainingFrames } from '../field/training-frames.ts';
import { describeAdapter, type GpuContext } from '../gpu/gpu-context.ts';
import { PassTimer } from '../gpu/pass-timer.ts';
import { measurePeakGflops } from '../gpu/peak-throughput.ts';
import { PipelineCache } from '../gpu/pipeline-cache.ts';
import type { Scan } from '../scan/scan.ts';
import { NYU13_CLASSES } from '../synth/nyu13-classes.ts';
import type { PresetName } from '../synth/synth-options.ts';
import { holdOutEvery } from './held-out-frames.ts';
import { HeldOutViews, type HeldOutViewsScore } from './held-out-views.ts';
import { DEFAULT_RUN_SETTINGS } from './run-settings.ts';

/** What the benchmark trains on: a generated scene, or a scan the page loaded. */
export type BenchmarkScene = { preset: PresetName; seed: number; scan: Scan } | { scanName: string; scan: Scan };

export interface BenchmarkOptions {
  /** Training time, not counting the held-out scoring. */
  seconds: number;
  /** Held-out scoring interval (training seconds). */
  evalEverySeconds?: number;
  /** Every n-th frame is held out (default 8). */
  holdout?: number;
}

export const DEFAULT_HOLDOUT = 8;

export interface BenchmarkResult {
  adapter: { vendor: string; architecture: string; device: string; description: string };
  software_adapter: boolean;
  peak_gflops: number;
  peak_forms: Record<string, number>;
  timing: string;
  train_samples_per_s: number;
  /** Rays per second over the run (the batch balancing changes rays per step). */
  train_rays_per_s: number;
  ms_per_step: number;
  /** Per step, by stage, from a separate profiled run (each stage in its own timed pass). */
  kernel_ms: Record<string, number>;
  mlp_gflops: number;
  mlp_fraction_of_peak: number;
  /** Of the vec4 fma form alone (what a plain FMA microbenchmark would call the peak). */
  mlp_fraction_of_vec4_fma: number;
  /** Over every pixel of the whole held-out frames (psnr_pixels of them). */
  psnr: number;
  psnr_pixels: number;
  /** Mean SSIM of the held-out frames (11-tap Gaussian, per channel). */
  ssim: number;
  label_agreement: number | null;
  seconds_to_psnr_20: number | null;
  seconds_to_psnr_25: number | null;
  /** [training seconds, held-out PSNR] at each scoring. */
  psnr_curve: [number, number][];
  /** [training seconds, held-out SSIM] at each scoring. */
  ssim_curve: [number, number][];
  steps: number;
  train_seconds: number;
  /** The generated scene's preset and seed, or null for a scan. */
  preset: PresetName | null;
  seed: number | null;
  /** The scan's folder name, or the generated scene's (`preset-seed`). */
  scan: string;
  /** Every n-th frame held out, from the first, in the order of the frame numbers. */
  holdout: number;
  frames: { train: number; test: number; width: number; height: number };
  settings: FieldTrainer['settings'];
}

const NYU13_KNOWN_IDS = NYU13_CLASSES.filter((c) => c.known).map((c) => c.id);
const PROFILED_STEPS = 4;

/**
 * The benchmark measures the field, not a segmenter: its semantic targets are the scan's own
 * labels on the classes its classes.json calls known (the NYUv2-13 known classes for generated
 * rooms). A scan without such classes trains the same nine channels on uniform targets, so that
 * the work per step is that of a generated room.
 */
function knownClassIds(scan: Scan): number[] {
  const known = (scan.classes ?? []).filter((c) => c.id > 0 && c.known).map((c) => c.id);
  return known.length > 0 && scan.hasLabels ? known.slice(0, 64) : NYU13_KNOWN_IDS;
}

export async function runBenchmark(
  ctx: GpuContext,
  scene: BenchmarkScene,
  options: BenchmarkOptions,
  log: (line: string) => void,
): Promise<BenchmarkResult> {
  const { device, summary } = ctx;
  const { scan } = scene;
  log(`adapter: ${describeAdapter(summary)}`);
  const holdout = options.holdout ?? DEFAULT_HOLDOUT;
  const split = holdOutEvery(scan.frames, holdout);
  log(
    `${scan.frames.length} frames (${scan.trainingSize.width}x${scan.trainingSize.height}); training on ${split.train.length}, scoring ${split.test.length} held out (1 in ${holdout}, from the first)`,
  );
  const knownClasses = knownClassIds(scan);
  const targets = { from: 'labels', knownClasses } as const;

  const cache = new PipelineCache(device);
  const peak = await measurePeakGflops(cache);
  log(
    `peak: ${peak.gflops.toFixed(2)} GFLOP/s (${Object.entries(peak.forms)
      .map(([k, v]) => `${k} ${v.toFixed(2)}`)
      .join(', ')})`,
  );

  const train = uploadTrainingFrames(device, scan, split.train, targets);
  const settings = defaultTrainerSettings(
    { software: summary.software, maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize },
    knownClasses.length,
    1,
    fieldBackground(scan),
  );
  const trainer = new FieldTrainer(cache, settings, train);
  const heldOut = new HeldOutViews(cache, trainer, scan, split.test, knownClasses);

  // One untimed step first: it compiles every pipeline, which is not training time.
  trainer.step();
  await device.queue.onSubmittedWorkDone();
  const evalEvery = (options.evalEverySeconds ?? Math.max(5, options.seconds / 10)) * 1000;
  let trainMs = 0;
  let raysTrained = 0;
  let nextEval = evalEvery;
  // Every scoring, with the training time (ms) it came at; the curves and thresholds follow from it.
  const scored: { atMs: number; score: HeldOutViewsScore }[] = [];
  const score = async (): Promise<HeldOutViewsScore> => {
    const s = await heldOut.score();
    scored.push({ atMs: trainMs, score: s });
    return s;
  };
  while (trainMs < options.seconds * 1000) {
    const started = performance.now();
    // Steps between read-backs (the batch balancing reads the last step's sample total), as a run's slice.
    for (let i = 0; i < DEFAULT_RUN_SETTINGS.stepsPerSlice; i++) {
      raysTrained += trainer.activeRays;
      trainer.step();
    }
    await trainer.rebalance();
    trainMs += performance.now() - started;
    if (trainMs >= nextEval) {
      nextEval += evalEvery;
      const s = await score();
      const losses = await trainer.lastLosses();
      log(
        `step ${trainer.steps}, ${(trainMs / 1000).toFixed(1)} s: held-out PSNR ${s.psnr.toFixed(2)} dB, SSIM ${s.ssim.toFixed(3)}, batch PSNR ${losses.psnr.toFixed(2)} dB, ${trainer.activeRays} rays x ${trainer.meanSamplesPerRay?.toFixed(1)} samples`,
      );
    }
  }
  const steps = trainer.steps - 1;
  // The field as trained, scored before the profiled steps below change it.
  const last = scored.at(-1)?.atMs === trainMs ? scored.at(-1)!.score : await score();
  log(
    `final held-out PSNR ${last.psnr.toFixed(2)} dB, SSIM ${last.ssim.toFixed(3)} over ${last.frames} whole frames (${last.pixels} pixels); label agreement ${last.labelAgreement === null ? 'n/a' : (100 * last.labelAgreement).toFixed(1) + '%'}`,
  );

  const timer = PassTimer.create(device);
  const kernelMs: Record<string, number> = {};
  if (timer) {
    for (let i = 0; i < PROFILED_STEPS; i++) {
      trainer.step(timer);
      for (const [label, ms] of await timer.collect()) kernelMs[label] = (kernelMs[label] ?? 0) + ms / PROFILED_STEPS;
    }
    timer.destroy();
  }
  const flops = trainer.mlpFlopsPerStep();
  const mlpMs = (kernelMs['mlp forward'] ?? NaN) + (kernelMs['mlp backward'] ?? NaN);
  const mlpGflops = (flops.forward + flops.backward) / (mlpMs * 1e6);

  const secondsTo = (db: number): number | null => {
    const first = scored.find(({ score: s }) => s.psnr >= db);
    return first ? first.atMs / 1000 : null;
  };
  const msPerStep = trainMs / steps;
  const result: BenchmarkResult = {
    adapter: { vendor: summary.vendor, architecture: summary.architecture, device: summary.device, description: summary.description },
    software_adapter: summary.software,
    peak_gflops: peak.gflops,
    peak_forms: peak.forms,
    timing: peak.timing,
    train_samples_per_s: (settings.sampler.capacity * 1000) / msPerStep,
    train_rays_per_s: (raysTrained * 1000) / trainMs,
    ms_per_step: msPerStep,
    kernel_ms: kernelMs,
    mlp_gflops: mlpGflops,
    mlp_fraction_of_peak: mlpGflops / peak.gflops,
    mlp_fraction_of_vec4_fma: mlpGflops / (peak.forms['vec4 fma'] ?? NaN),
    psnr: last.psnr,
    psnr_pixels: last.pixels,
    ssim: last.ssim,
    label_agreement: last.labelAgreement,
    seconds_to_psnr_20: secondsTo(20),
    seconds_to_psnr_25: secondsTo(25),
    psnr_curve: scored.map(({ atMs, score: s }) => [atMs / 1000, s.psnr]),
    ssim_curve: scored.map(({ atMs, score: s }) => [atMs / 1000, s.ssim]),
    steps,
    train_seconds: trainMs / 1000,
    preset: 'preset' in scene ? scene.preset : null,
    seed: 'preset' in scene ? scene.seed : null,
    scan: 'preset' in scene ? `${scene.preset}-${scene.seed}` : scene.scanName,
    holdout,
    frames: { train: split.train.length, test: split.test.length, width: scan.trainingSize.width, height: scan.trainingSize.height },
    settings,
  };
  heldOut.destroy();
  train.destroy();
  return result;
}
