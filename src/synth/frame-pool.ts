/**
 * Hands generator frames to a set of workers, one request in flight per worker, next frame to
 * whichever finishes first. The workers are Node worker threads or browser Web Workers behind the
 * same small port interface.
 */
import type { FrameRequest, FrameResult } from './frame-job.ts';
import type { SynthOptions } from './synth-options.ts';

export interface FrameWorkerPort {
  post(request: FrameRequest): void;
  /** Registers the callbacks for this worker's results and failures. */
  listen(onResult: (result: FrameResult) => void, onError: (error: Error) => void): void;
}

export async function renderFramesOnPool(
  options: SynthOptions,
  ports: FrameWorkerPort[],
  /** Called with each result; the next request goes out once its promise settles. */
  onResult: (result: FrameResult, framesDone: number) => Promise<void> | void,
): Promise<void> {
  let next = 0;
  let done = 0;
  await Promise.all(
    ports.map(
      (port) =>
        new Promise<void>((finish, fail) => {
          const feed = (): void => {
            if (next >= options.frames) return finish();
            port.post({ options, index: next++ });
          };
          port.listen((result) => {
            Promise.resolve(onResult(result, ++done)).then(feed, fail);
          }, fail);
          feed();
        }),
    ),
  );
}
