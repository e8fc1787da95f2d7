/**
 * Generates a synthetic scan inside the page, off the main thread: a pool of Web Workers renders
 * the frames; the result is the same file set (same bytes) that `npm run generate` writes.
 */
import type { FrameRequest, FrameResult } from './frame-job.ts';
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
  let next = 0;
  let done = 0;
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((finish, fail) => {
            const feed = (): void => {
              if (next >= options.frames) return finish();
              const request: FrameRequest = { options, index: next++ };
              worker.postMessage(request);
            };
            worker.onmessage = (event: MessageEvent<FrameResult | { index: number; error: string }>) => {
              const data = event.data;
              if ('error' in data) return fail(new Error(`generating frame ${data.index}: ${data.error}`));
              for (const [path, bytes] of data.files) files.set(path, bytes);
              onProgress(++done, options.frames);
              feed();
            };
            worker.onerror = (event) => fail(new Error(`generator worker failed: ${event.message}`));
            feed();
          }),
      ),
    );
  } finally {
    for (const w of workers) w.terminate();
  }
  return files;
}
