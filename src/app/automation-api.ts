import type { AdapterSummary, GpuContext } from '../gpu/gpu-context.ts';
import { readBuffer, uploadBuffer } from '../gpu/buffer-io.ts';
import { PipelineCache } from '../gpu/pipeline-cache.ts';
import { PrefixSum } from '../gpu/prefix-sum.ts';
import { generateScanInBrowser } from '../synth/generate-in-browser.ts';
import type { SynthOptions } from '../synth/synth-options.ts';

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
  synth: {
    /** Generates a synthetic scan in Web Workers; returns each file's SHA-256 (hex) by path. */
    digest(options: Partial<SynthOptions>): Promise<Record<string, string>>;
  };
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(hash, (b) => b.toString(16).padStart(2, '0')).join('');
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
    synth: {
      async digest(options) {
        const files = await generateScanInBrowser(options);
        const digests: Record<string, string> = {};
        for (const [path, bytes] of files) digests[path] = await sha256Hex(bytes);
        return digests;
      },
    },
  };
}
