/**
 * Generates a synthetic scan inside the page, off the main thread: a pool of Web Workers renders
 * the frames; the result is the same file set (same bytes) that `npm run generate` writes.
 */
import type { FrameResult } from './frame-job.ts';
import { renderFramesOnPool, type FrameWorkerPort } from './frame-pool.ts';
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
    () => new Worker(new URL('./synth-worker.ts', import.meta.url), { type: 'module', name: 'synth' }),
  );
  const ports: FrameWorkerPort[] = workers.map((worker) => ({
    post: (request) => worker.postMessage(request),
    listen: (onResult, onError) => {
      worker.onmessage = (event: MessageEvent<FrameResult | { index: number; error: string }>) => {
        const data = event.data;
        if ('error' in data) onError(new Error(`generating frame ${data.index}: ${data.error}`));
        else onResult(data);
      };
      worker.onerror = (event) => onError(new Error(`generator worker failed: ${event.message}`));
    },
  }));
  try {
    await renderFramesOnPool(options, ports, (result, framesDone) => {
      for (const [path, bytes] of result.files) files.set(path, bytes);
      onProgress(framesDone, options.frames);
    });
  } finally {
    for (const w of workers) w.terminate();
  }
  return files;
}
