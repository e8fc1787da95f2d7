/**
 * The training benchmark, run in the page (`npm run bench` drives it headless): generates a scene,
 * holds out every 8th frame, measures the adapter's arithmetic peak, trains for a fixed time while
 * scoring the held-out frames, then profiles a few steps kernel by kernel.
 */
import { FieldEvaluator } from '../field/field-evaluator.ts';
import { FieldTrainer } from '../field/field-trainer.ts';
import { defaultTrainerSettings, holdOutEvery } from '../field/training-settings.ts';
import { uploadTrainingFrames } from '../field/training-frames.ts';
import { describeAdapter, type GpuContext } from '../gpu/gpu-context.ts';
import { PassTimer } from '../gpu/pass-timer.ts';
import { measurePeakGflops } from '../gpu/peak-throughput.ts';
import { PipelineCache } from '../gpu/pipeline-cache.ts';
import { loadScanInWorker } from '../scan/load-scan-in-worker.ts';
import { generateScanInBrowser } from '../synth/generate-in-browser.ts';
import { NYU13_CLASSES } from '../synth/nyu13-classes.ts';
import type { PresetName } from '../synth/synth-options.ts';
import { DEFAULT_RUN_SETTINGS } from './run-settings.ts';

export interface BenchmarkOptions {
  preset: PresetName;
  seed: number;
  /** Training time, not counting the held-out scoring. */
  seconds: number;
  /** Held-out scoring interval (training seconds). */
  evalEverySeconds?: number;
}

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
  /** Held-out frames, random pixels (see psnr_pixels). */
  psnr: number;
  psnr_pixels: number;
  label_agreement: number | null;
  seconds_to_psnr_20: number | null;
  seconds_to_psnr_25: number | null;
  /** [training seconds, held-out PSNR] at each scoring. */
  psnr_curve: [number, number][];
  steps: number;
  train_seconds: number;
  preset: PresetName;
  seed: number;
  frames: { train: number; test: number; width: number; height: number };
  settings: FieldTrainer['settings'];
}

const KNOWN_CLASS_IDS = NYU13_CLASSES.filter((c) => c.known).map((c) => c.id);
// The benchmark measures the field, not a segmenter: targets are the known classes' ground truth.
const LABEL_TARGETS = { from: 'labels', knownClasses: KNOWN_CLASS_IDS } as const;
const PROFILED_STEPS = 4;

export async function runBenchmark(ctx: GpuContext, options: BenchmarkOptions, log: (line: string) => void): Promise<BenchmarkResult> {
  const { device, summary } = ctx;
  log(`adapter: ${describeAdapter(summary)}`);
  log(`generating the ${options.preset} scene (seed ${options.seed})`);
  const files = await generateScanInBrowser({ preset: options.preset, seed: options.seed });
  const scan = await loadScanInWorker({ kind: 'memory', name: `${options.preset}-${options.seed}`, files: [...files] });
  const split = holdOutEvery(scan.frames.length, 8);
  log(
    `loaded ${scan.frames.length} frames (${scan.trainingSize.width}x${scan.trainingSize.height}); training on ${split.train.length}, scoring ${split.test.length} held out`,
  );

  const cache = new PipelineCache(device);
  const peak = await measurePeakGflops(cache);
  log(
    `peak: ${peak.gflops.toFixed(2)} GFLOP/s (${Object.entries(peak.forms)
      .map(([k, v]) => `${k} ${v.toFixed(2)}`)
      .join(', ')})`,
  );

  const train = uploadTrainingFrames(device, scan, split.train, LABEL_TARGETS);
  const test = uploadTrainingFrames(device, scan, split.test, LABEL_TARGETS);
  const settings = defaultTrainerSettings(
    { software: summary.software, maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize },
    KNOWN_CLASS_IDS.length,
  );
  const trainer = new FieldTrainer(cache, settings, train);
  const evaluator = new FieldEvaluator(cache, trainer, test);

  // One untimed step first: it compiles every pipeline, which is not training time.
  trainer.step();
  await device.queue.onSubmittedWorkDone();
  const evalEvery = (options.evalEverySeconds ?? Math.max(5, options.seconds / 10)) * 1000;
  const curve: [number, number][] = [];
  const reached: Record<20 | 25, number | null> = { 20: null, 25: null };
  let trainMs = 0;
  let raysTrained = 0;
  let nextEval = evalEvery;
  const score = async (batches: number): Promise<number> => {
    const s = await evaluator.evaluate(batches);
    curve.push([trainMs / 1000, s.psnr]);
    for (const bound of [20, 25] as const) if (reached[bound] === null && s.psnr >= bound) reached[bound] = trainMs / 1000;
    return s.psnr;
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
      const psnr = await score(2);
      const losses = await trainer.lastLosses();
      log(
        `step ${trainer.steps}, ${(trainMs / 1000).toFixed(1)} s: held-out PSNR ${psnr.toFixed(2)} dB, batch PSNR ${losses.psnr.toFixed(2)} dB, ${trainer.activeRays} rays x ${trainer.meanSamplesPerRay?.toFixed(1)} samples`,
      );
    }
  }
  const steps = trainer.steps - 1;

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

  const final = await evaluator.evaluate(8, 777);
  log(
    `final held-out PSNR ${final.psnr.toFixed(2)} dB over ${final.pixels} pixels; label agreement ${final.labelAgreement === null ? 'n/a' : (100 * final.labelAgreement).toFixed(1) + '%'}`,
  );
  for (const bound of [20, 25] as const) if (reached[bound] === null && final.psnr >= bound) reached[bound] = trainMs / 1000;

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
    psnr: final.psnr,
    psnr_pixels: final.pixels,
    label_agreement: final.labelAgreement,
    seconds_to_psnr_20: reached[20],
    seconds_to_psnr_25: reached[25],
    psnr_curve: curve,
    steps,
    train_seconds: trainMs / 1000,
    preset: options.preset,
    seed: options.seed,
    frames: { train: split.train.length, test: split.test.length, width: scan.trainingSize.width, height: scan.trainingSize.height },
    settings,
  };
  evaluator.destroy();
  train.destroy();
  test.destroy();
  return result;
}
