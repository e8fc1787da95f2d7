/// <reference lib="webworker" />
/** A Web Worker that renders generator frames on request (see frame-job.ts). */
import { renderFrameJob, type FrameRequest } from './frame-job.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;
scope.onmessage = (event: MessageEvent<FrameRequest>) => {
  try {
    const result = renderFrameJob(event.data);
    scope.postMessage(
      result,
      result.files.map(([, bytes]) => bytes.buffer as ArrayBuffer),
    );
  } catch (e) {
    scope.postMessage({ index: event.data.index, error: e instanceof Error ? e.message : String(e) });
  }
};
