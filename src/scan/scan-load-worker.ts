/// <reference lib="webworker" />
/**
 * Loads a scan off the main thread: decoding and resizing every frame happens here, the page gets
 * the finished Scan (its arrays transferred, not copied) or the ScanError.
 */
import { serveRequests, WithTransfer } from '../worker/serve-requests.ts';
import { buffersOf } from '../worker/worker-protocol.ts';
import { decodeImageBrowser } from './browser-image-decoder.ts';
import { loadScan } from './load-scan.ts';
import { BlobSource, MemorySource, type ScanSource } from './scan-source.ts';
import type { Scan } from './scan.ts';
import { zipSource } from './zip-source.ts';

export type ScanInput =
  | { kind: 'files'; name: string; entries: { path: string; blob: Blob }[] }
  | { kind: 'zip'; name: string; blob: Blob }
  | { kind: 'memory'; name: string; files: [string, Uint8Array][] };

export interface ScanLoadRequest {
  input: ScanInput;
  longSide: number;
  background: [number, number, number];
}

export interface ScanLoadApi {
  load: { args: ScanLoadRequest; result: Scan; progress: { done: number; total: number } };
}

async function open(input: ScanInput): Promise<ScanSource> {
  switch (input.kind) {
    case 'files':
      return new BlobSource(input.name, input.entries);
    case 'zip':
      return zipSource(input.name, input.blob);
    case 'memory':
      return new MemorySource(input.name, input.files);
  }
}

serveRequests<ScanLoadApi>(self as unknown as DedicatedWorkerGlobalScope, {
  load: async ({ input, longSide, background }, progress) => {
    const scan = await loadScan(await open(input), {
      decodeImage: decodeImageBrowser,
      longSide,
      background,
      onProgress: (done, total) => progress({ done, total }),
    });
    return new WithTransfer(
      scan,
      buffersOf(...scan.frames.flatMap((f) => [f.rgba, f.depth, f.sparseDepth, f.labels, f.mask, f.coverage]), scan.sparsePoints),
    );
  },
});
