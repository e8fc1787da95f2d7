/**
 * Hands generator frames to a set of workers, one request in flight per worker, next frame to
 * whichever finishes first. The workers are Node worker threads or browser Web Workers behind the
 * same client (src/worker/worker-client.ts).
 */
import type { WorkerClient } from '../worker/worker-client.ts';
import type { FrameJobApi, FrameResult } from './frame-job.ts';
import type { SynthOptions } from './synth-options.ts';

export async function renderFramesOnPool(
  options: SynthOptions,
  workers: WorkerClient<FrameJobApi>[],
  /** Called with each result; the worker gets its next frame once the promise settles. */
  onResult: (result: FrameResult, framesDone: number) => Promise<void> | void,
): Promise<void> {
  let next = 0;
  let done = 0;
  await Promise.all(
    workers.map(async (worker) => {
      while (next < options.frames) {
        const result = await worker.call('render', { options, index: next++ });
        await onResult(result, ++done);
      }
    }),
  );
}
