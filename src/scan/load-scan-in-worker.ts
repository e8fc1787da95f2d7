/** The page's entry to scan loading: runs load-scan.ts in a worker, one load at a time per call. */
import { DEFAULT_BACKGROUND, DEFAULT_LONG_SIDE } from './load-scan.ts';
import { ScanError } from './scan-error.ts';
import type { ScanInput, ScanLoadMessage, ScanLoadRequest } from './scan-load-worker.ts';
import type { Scan } from './scan.ts';

export type { ScanInput };

export function loadScanInWorker(
  input: ScanInput,
  options: { longSide?: number; background?: [number, number, number]; onProgress?: (done: number, total: number) => void } = {},
): Promise<Scan> {
  const worker = new Worker(new URL('./scan-load-worker.ts', import.meta.url), { type: 'module', name: 'scan-loader' });
  return new Promise<Scan>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<ScanLoadMessage>) => {
      const msg = event.data;
      if (msg.type === 'progress') options.onProgress?.(msg.done, msg.total);
      else {
        worker.terminate();
        if (msg.type === 'done') resolve(msg.scan);
        else reject(msg.file !== undefined ? Object.assign(new ScanError(msg.file, ''), { message: msg.message }) : new Error(msg.message));
      }
    };
    worker.onerror = (event) => {
      worker.terminate();
      reject(new Error(`the scan loader failed: ${event.message}`));
    };
    const request: ScanLoadRequest = {
      input,
      longSide: options.longSide ?? DEFAULT_LONG_SIDE,
      background: options.background ?? DEFAULT_BACKGROUND,
    };
    worker.postMessage(request);
  });
}
