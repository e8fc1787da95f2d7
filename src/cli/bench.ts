/**
 * npm run bench -- [--preset bench] [--seed N] [--seconds S] [--eval-every S] [--holdout N] --json OUT.json
 * npm run bench -- --scan DIR [--holdout N] [--seconds S] [--eval-every S] --json OUT.json
 *
 * Trains the Embedding-NeRF in headless Chromium on a generated scene, or on any scan folder (or
 * .zip) served to the page, for S seconds, scoring the whole held-out frames, and writes the
 * figures (see src/run/benchmark.ts for every key).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { BenchRequest } from '../automation/bench-automation.ts';
import { ScanError } from '../scan/scan-error.ts';
import { DEFAULT_HOLDOUT, type BenchmarkResult } from '../run/benchmark.ts';
import { PRESETS, type PresetName } from '../synth/synth-options.ts';
import { intOption, parseArgs, runCommand, stringOption, UsageError } from './args.ts';
import { NoChromiumError } from './chromium.ts';
import { NoWebGpuError, openHeadlessPage } from './headless-page.ts';
import { scanForPage } from './scan-for-page.ts';

await runCommand(
  async () => {
    const args = parseArgs(process.argv.slice(2), {
      values: ['preset', 'seed', 'scan', 'holdout', 'seconds', 'eval-every', 'json'],
      flags: [],
    });
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
    const scanPath = stringOption(args, 'scan');
    if (scanPath !== undefined && (args.options.has('preset') || args.options.has('seed'))) {
      throw new UsageError('--scan trains on that scan: --preset and --seed are for generated scenes');
    }
    const preset = (stringOption(args, 'preset') ?? 'bench') as PresetName;
    if (!(preset in PRESETS)) throw new UsageError(`unknown preset '${preset}' (${Object.keys(PRESETS).join(', ')})`);
    const seed = intOption(args, 'seed', 0, 0xffffffff) ?? 1;
    const seconds = intOption(args, 'seconds', 1, 24 * 3600) ?? 120;
    const evalEvery = intOption(args, 'eval-every', 1, 24 * 3600);
    const holdout = intOption(args, 'holdout', 2, 1000) ?? DEFAULT_HOLDOUT;
    const out = stringOption(args, 'json');
    if (!out) throw new UsageError('--json OUT.json is required');
    const options = { seconds, holdout, ...(evalEvery !== undefined && { evalEverySeconds: evalEvery }) };
    let request: BenchRequest;
    let mounts: Record<string, string> = {};
    if (scanPath !== undefined) {
      const scan = await scanForPage(scanPath);
      const test = Math.ceil(scan.checked.frames.length / holdout);
      if (scan.checked.frames.length - test < 1) {
        throw new UsageError(
          `${scan.checked.sourceName} has ${scan.checked.frames.length} frames: holding out every ${holdout}th leaves none to train on`,
        );
      }
      console.log(`${scan.checked.sourceName}: ${scan.checked.frames.length} frames, ${test} held out (1 in ${holdout}, from the first)`);
      mounts = scan.mounts;
      request = { ...options, scan: scan.request };
    } else {
      request = { ...options, preset, seed };
    }
    const started = Date.now();
    const headless = await openHeadlessPage({
      progressPrefix: '[bench]',
      mounts,
      onProgress: (line) => console.log(`[${((Date.now() - started) / 1000).toFixed(0)} s] ${line}`),
    });
    try {
      const result = await headless.page.evaluate((r) => window.neurncd.bench(r), request);
      await mkdir(dirname(resolve(out)), { recursive: true });
      await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
      summarise(result);
      console.log(`wrote ${out}`);
    } finally {
      await headless.close();
    }
  },
  (e) => e instanceof ScanError || e instanceof NoChromiumError || e instanceof NoWebGpuError,
);

function summarise(r: BenchmarkResult): void {
  const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
  console.log(
    `adapter ${[r.adapter.vendor, r.adapter.architecture, r.adapter.description].filter(Boolean).join(' ')}${r.software_adapter ? ' (software)' : ''}`,
  );
  console.log(`peak ${r.peak_gflops.toFixed(2)} GFLOP/s; MLPs ${r.mlp_gflops.toFixed(2)} GFLOP/s (${pct(r.mlp_fraction_of_peak)} of peak)`);
  console.log(
    `${r.ms_per_step.toFixed(1)} ms/step, ${Math.round(r.train_rays_per_s)} rays/s, ${Math.round(r.train_samples_per_s)} samples/s over ${r.steps} steps`,
  );
  console.log(
    `held-out PSNR ${r.psnr.toFixed(2)} dB, SSIM ${r.ssim.toFixed(3)} (${r.frames.test} whole frames); to 20 dB: ${reachedAt(r.seconds_to_psnr_20)}; to 25 dB: ${reachedAt(r.seconds_to_psnr_25)}`,
  );
}

function reachedAt(seconds: number | null): string {
  return seconds === null ? 'not reached' : `${seconds.toFixed(0)} s`;
}
