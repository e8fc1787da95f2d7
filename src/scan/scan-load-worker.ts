/// <reference lib="webworker" />
/**
 * Loads a scan off the main thread: decoding and resizing every frame happens here, the page gets
 * the finished Scan (its arrays transferred, not copied) or a ScanError message.
 */
import { decodeImageBrowser } from './browser-image-decoder.ts';
import { loadScan } from './load-scan.ts';
import { ScanError } from './scan-error.ts';
import { BlobSource, MemorySource, zipSource, type ScanSource } from './scan-source.ts';
import type { Scan } from './scan.ts';

export type ScanInput =
  | { kind: 'files'; name: string; entries: { path: string; blob: Blob }[] }
  | { kind: 'zip'; name: string; blob: Blob }
  | { kind: 'memory'; name: string; files: [string, Uint8Array][] };

export interface ScanLoadRequest {
  input: ScanInput;
  longSide: number;
  background: [number, number, number];
}

export type ScanLoadMessage =
  { type: 'progress'; done: number; total: number } | { type: 'done'; scan: Scan } | { type: 'error'; message: string; file?: string };

const scope = self as unknown as DedicatedWorkerGlobalScope;

async function open(input: ScanInput): Promise<ScanSource> {
  switch (input.kind) {
    case 'files':
      return new BlobSource(input.name, input.entries);
    case 'zip':
      return zipSource(input.name, new Uint8Array(await input.blob.arrayBuffer()));
    case 'memory':
      return new MemorySource(input.name, input.files);
  }
}

scope.onmessage = async (event: MessageEvent<ScanLoadRequest>) => {
  const { input, longSide, background } = event.data;
  try {
    const scan = await loadScan(await open(input), {
      decodeImage: decodeImageBrowser,
      longSide,
      background,
      onProgress: (done, total) => scope.postMessage({ type: 'progress', done, total } satisfies ScanLoadMessage),
    });
    const transfer = scan.frames.flatMap((f) =>
      [f.rgba.buffer, f.depth?.buffer, f.labels?.buffer].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer),
    );
    scope.postMessage({ type: 'done', scan } satisfies ScanLoadMessage, transfer);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    scope.postMessage({ type: 'error', message, ...(e instanceof ScanError ? { file: e.file } : {}) } satisfies ScanLoadMessage);
  }
};
