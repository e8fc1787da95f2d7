/**
 * npm run generate -- --out DIR [--preset tiny|demo|bench] [--seed N] [--frames N]
 *                     [--width W] [--height H] [--jobs N]
 *
 * Writes a synthetic scan (see src/synth/synthetic-scan.ts for the layout), rendering frames on
 * all cores.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FrameJobApi } from '../synth/frame-job.ts';
import { renderFramesOnPool } from '../synth/frame-pool.ts';
import { resolveSynthOptions, SynthOptionsError, type PresetName, type SynthOptions } from '../synth/synth-options.ts';
import { buildWorld, metadataFiles } from '../synth/synthetic-scan.ts';
import { WorkerClient } from '../worker/worker-client.ts';
import { intOption, parseArgs, runCommand, stringOption, UsageError } from './args.ts';

const here = dirname(fileURLToPath(import.meta.url));

async function writeAll(out: string, files: Iterable<[string, Uint8Array]>): Promise<void> {
  for (const [path, bytes] of files) {
    const full = join(out, path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, bytes);
  }
}

async function renderFrames(options: SynthOptions, out: string, jobs: number, onFrame: (done: number) => void): Promise<void> {
  const workerScript = join(here, '..', '..', 'tools', 'ts-worker.mjs');
  const workerData = { module: pathToFileURL(join(here, 'generate-worker.ts')).href };
  const workers = Array.from(
    { length: Math.max(1, Math.min(jobs, options.frames)) },
    () => new WorkerClient<FrameJobApi>(new Worker(workerScript, { workerData }), { name: 'generator worker' }),
  );
  try {
    await renderFramesOnPool(options, workers, async (result, done) => {
      await writeAll(out, result.files);
      onFrame(done);
    });
  } finally {
    await Promise.all(workers.map((w) => w.dispose()));
  }
}

await runCommand(
  async () => {
    const args = parseArgs(process.argv.slice(2), { values: ['out', 'preset', 'seed', 'frames', 'width', 'height', 'jobs'], flags: [] });
    if (args.positionals.length) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
    const out = stringOption(args, 'out');
    if (!out) throw new UsageError('--out DIR is required');
    const options = resolveSynthOptions({
      preset: stringOption(args, 'preset') as PresetName | undefined,
      seed: intOption(args, 'seed', 0, 0xffffffff),
      frames: intOption(args, 'frames', 2, 10000),
      width: intOption(args, 'width', 8, 4096),
      height: intOption(args, 'height', 8, 4096),
    });
    const jobs = intOption(args, 'jobs', 1, 256) ?? availableParallelism();
    const dir = resolve(out);
    const started = performance.now();
    // Building the world first checks that the camera path is valid before any file is written.
    await writeAll(dir, metadataFiles(buildWorld(options)));
    const tty = process.stderr.isTTY;
    await renderFrames(options, dir, jobs, (done) => {
      if (tty) process.stderr.write(`\rrendering frame ${done}/${options.frames}`);
      else if (done === options.frames || done % 25 === 0) process.stderr.write(`rendered ${done}/${options.frames} frames\n`);
    });
    if (tty) process.stderr.write('\n');
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `wrote ${options.frames} frames (${options.width}x${options.height}, preset ${options.preset}, seed ${options.seed}) to ${dir} in ${seconds.toFixed(1)} s`,
    );
  },
  (e) => e instanceof SynthOptionsError,
);
