/**
 * The unit of work that generator workers (Node worker_threads or browser Web Workers) do: render
 * frame i of the scan described by some options and encode its PNGs. The room and path are built
 * once per worker and reused for every frame it renders.
 */
import { WithTransfer, type RequestHandlers } from '../worker/serve-requests.ts';
import { buffersOf } from '../worker/worker-protocol.ts';
import { RoomTracer } from './render-frame.ts';
import type { SynthOptions } from './synth-options.ts';
import { buildWorld, frameFiles, type SyntheticWorld } from './synthetic-scan.ts';

export interface FrameRequest {
  options: SynthOptions;
  index: number;
}

export interface FrameResult {
  index: number;
  files: [string, Uint8Array][];
}

let cached: { key: string; world: SyntheticWorld; tracer: RoomTracer } | undefined;

export function renderFrameJob(request: FrameRequest): FrameResult {
  const key = JSON.stringify(request.options);
  if (cached?.key !== key) {
    const world = buildWorld(request.options);
    cached = { key, world, tracer: new RoomTracer(world.scene) };
  }
  const frame = cached.tracer.render(cached.world.cameras[request.index]!);
  return { index: request.index, files: [...frameFiles(request.index, frame)] };
}

/** What a generator worker answers. */
export interface FrameJobApi {
  render: { args: FrameRequest; result: FrameResult };
}

/** The generator worker's handler, the same in a Node worker thread and a Web Worker: the PNGs are moved, not copied. */
export const frameJobHandlers: RequestHandlers<FrameJobApi> = {
  render: (request) => {
    try {
      const result = renderFrameJob(request);
      return new WithTransfer(result, buffersOf(...result.files.map(([, bytes]) => bytes)));
    } catch (e) {
      throw new Error(`generating frame ${request.index}: ${e instanceof Error ? e.message : String(e)}`);
    }
  },
};
