/**
 * Generates a synthetic scan inside the page, off the main thread: a pool of Web Workers renders
 * the frames; the result is the same file set (same bytes) that `npm run generate` writes.
 */
import { WorkerClient } from '../worker/worker-client.ts';
import type { FrameJobApi } from './frame-job.ts';
import { renderFramesOnPool } from './frame-pool.ts';
import { resolveSynthOptions, type SynthOptions } from './synth-options.ts';
import { buildWorld, metadataFiles } from './synthetic-scan.ts';

/**
 * `signal`: aborting stops the workers at once (the frames in flight are dropped) and rejects
 * with the signal's reason: the viewer stops generating its demo room when the user gives a scan.
 */
export async function generateScanInBrowser(
  given: Partial<SynthOptions>,
  onProgress: (framesDone: number, frames: number) => void = () => {},
  {
    signal,
    workerCount = Math.max(1, Math.min(navigator.hardwareConcurrency || 2, 8)),
  }: { signal?: AbortSignal; workerCount?: number } = {},
): Promise<Map<string, Uint8Array>> {
  signal?.throwIfAborted();
  const options = resolveSynthOptions(given);
  const files = metadataFiles(buildWorld(options));
  const workers = Array.from(
    { length: Math.min(workerCount, options.frames) },
    () =>
      new WorkerClient<FrameJobApi>(new Worker(new URL('./synth-worker.ts', import.meta.url), { type: 'module', name: 'synth' }), {
        name: 'generator worker',
      }),
  );
  const stop = (): void => {
    const reason: unknown = signal?.reason;
    for (const w of workers) void w.dispose(reason instanceof Error ? reason : new Error('generation stopped'));
  };
  signal?.addEventListener('abort', stop, { once: true });
  try {
    await renderFramesOnPool(options, workers, (result, framesDone) => {
      for (const [path, bytes] of result.files) files.set(path, bytes);
      onProgress(framesDone, options.frames);
    });
  } finally {
    signal?.removeEventListener('abort', stop);
    for (const w of workers) void w.dispose();
  }
  return files;
}
