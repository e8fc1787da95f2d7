/** The page's entry to scan loading: runs load-scan.ts in a worker, a new one per load. */
import { WorkerClient } from '../worker/worker-client.ts';
import { DEFAULT_BACKGROUND, DEFAULT_LONG_SIDE } from './load-scan.ts';
import { ScanError } from './scan-error.ts';
import type { ScanInput, ScanLoadApi } from './scan-load-worker.ts';
import type { Scan } from './scan.ts';

export type { ScanInput };

export async function loadScanInWorker(
  input: ScanInput,
  options: { longSide?: number; background?: [number, number, number]; onProgress?: (done: number, total: number) => void } = {},
): Promise<Scan> {
  const worker = new WorkerClient<ScanLoadApi>(
    new Worker(new URL('./scan-load-worker.ts', import.meta.url), { type: 'module', name: 'scan-loader' }),
    {
      name: 'the scan loader',
      errors: { ScanError },
    },
  );
  try {
    return await worker.call(
      'load',
      { input, longSide: options.longSide ?? DEFAULT_LONG_SIDE, background: options.background ?? DEFAULT_BACKGROUND },
      { onProgress: ({ done, total }) => options.onProgress?.(done, total) },
    );
  } finally {
    void worker.dispose();
  }
}
