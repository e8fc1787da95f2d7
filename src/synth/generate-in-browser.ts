/**
 * Generates a synthetic scan inside the page, off the main thread: a pool of Web Workers renders
 * the frames; the result is the same file set (same bytes) that `npm run generate` writes.
 */
import { WorkerClient } from '../worker/worker-client.ts';
import type { FrameJobApi } from './frame-job.ts';
import { renderFramesOnPool } from './frame-pool.ts';
import { resolveSynthOptions, type SynthOptions } from './synth-options.ts';
import { buildWorld, metadataFiles } from './synthetic-scan.ts';

export async function generateScanInBrowser(
  given: Partial<SynthOptions>,
  onProgress: (framesDone: number, frames: number) => void = () => {},
  workerCount = Math.max(1, Math.min(navigator.hardwareConcurrency || 2, 8)),
): Promise<Map<string, Uint8Array>> {
  const options = resolveSynthOptions(given);
  const files = metadataFiles(buildWorld(options));
  const workers = Array.from(
    { length: Math.min(workerCount, options.frames) },
    () =>
      new WorkerClient<FrameJobApi>(new Worker(new URL('./synth-worker.ts', import.meta.url), { type: 'module', name: 'synth' }), {
        name: 'generator worker',
      }),
  );
  try {
    await renderFramesOnPool(options, workers, (result, framesDone) => {
      for (const [path, bytes] of result.files) files.set(path, bytes);
      onProgress(framesDone, options.frames);
    });
  } finally {
    for (const w of workers) void w.dispose();
  }
  return files;
}
