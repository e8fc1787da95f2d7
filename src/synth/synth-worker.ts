/// <reference lib="webworker" />
/** A Web Worker that renders generator frames on request (see frame-job.ts). */
import { serveRequests } from '../worker/serve-requests.ts';
import { frameJobHandlers, type FrameJobApi } from './frame-job.ts';

serveRequests<FrameJobApi>(self as unknown as DedicatedWorkerGlobalScope, frameJobHandlers);
