/** A Node worker thread that renders generator frames on request (see src/synth/frame-job.ts). */
import { parentPort } from 'node:worker_threads';
import { frameJobHandlers, type FrameJobApi } from '../synth/frame-job.ts';
import { serveRequests } from '../worker/serve-requests.ts';

serveRequests<FrameJobApi>(parentPort!, frameJobHandlers);
