/** A Node worker thread that renders generator frames on request (see src/synth/frame-job.ts). */
import { parentPort } from 'node:worker_threads';
import { renderFrameJob, type FrameRequest } from '../synth/frame-job.ts';

parentPort!.on('message', (request: FrameRequest) => {
  const result = renderFrameJob(request);
  parentPort!.postMessage(
    result,
    result.files.map(([, bytes]) => bytes.buffer as ArrayBuffer),
  );
});
