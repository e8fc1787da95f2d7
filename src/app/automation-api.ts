import type { AdapterSummary, GpuContext } from '../gpu/gpu-context.ts';
import { readBuffer, uploadBuffer } from '../gpu/buffer-io.ts';
import { PipelineCache } from '../gpu/pipeline-cache.ts';
import { PrefixSum } from '../gpu/prefix-sum.ts';

/**
 * `window.neurncd`: the page's scripting surface. The headless commands and the end-to-end tests
 * drive the page through it, so they exercise the same code a person does.
 */
export interface NeurncdAutomation {
  /** Resolves once the page has a GPU (or knows it has none). */
  ready: Promise<void>;
  /** Why there is no GPU, or null. */
  gpuError(): string | null;
  adapter(): AdapterSummary | null;
  gpu: {
    /** Exclusive prefix sum of u32 values on the page's device. */
    exclusiveScan(values: number[]): Promise<number[]>;
  };
}

declare global {
  interface Window {
    neurncd: NeurncdAutomation;
  }
}

export function createAutomationApi(state: {
  ready: Promise<void>;
  context: () => GpuContext | null;
  error: () => string | null;
}): NeurncdAutomation {
  let cache: PipelineCache | undefined;
  const device = (): GPUDevice => {
    const ctx = state.context();
    if (!ctx) throw new Error(state.error() ?? 'no GPU device');
    return ctx.device;
  };
  return {
    ready: state.ready,
    gpuError: state.error,
    adapter: () => state.context()?.summary ?? null,
    gpu: {
      async exclusiveScan(values) {
        const dev = device();
        if (cache?.device !== dev) cache = new PipelineCache(dev);
        const input = Uint32Array.from(values);
        const buffer = uploadBuffer(dev, input, 'automation scan');
        const scan = new PrefixSum(cache, input.length);
        const encoder = dev.createCommandEncoder();
        scan.encode(encoder, buffer);
        dev.queue.submit([encoder.finish()]);
        const out = new Uint32Array(await readBuffer(dev, buffer, input.byteLength));
        scan.destroy();
        buffer.destroy();
        return Array.from(out);
      },
    },
  };
}
