import type { AdapterSummary, GpuContext } from '../gpu/gpu-context.ts';
import type { ScanSession } from '../scan/scan-session.ts';
import type { ClassName, Scan } from '../scan/scan.ts';
import { readBuffer, uploadBuffer } from '../gpu/buffer-io.ts';
import { PipelineCache } from '../gpu/pipeline-cache.ts';
import { PrefixSum } from '../gpu/prefix-sum.ts';
import { generateScanInBrowser } from '../synth/generate-in-browser.ts';
import type { SynthOptions } from '../synth/synth-options.ts';
import { createSegmentAutomation, type SegmentAutomation } from './segment-automation.ts';
import type { Segmenter } from '../segment/segmenter.ts';
import type { BenchmarkResult } from '../run/benchmark.ts';
import { runBenchRequest, type BenchRequest } from './bench-automation.ts';
import { runDiscoverRequest, type DiscoverReply, type DiscoverRequest } from './discover-automation.ts';

/**
 * `window.neurncd`: the page's scripting surface. The headless commands and the end-to-end tests
 * drive the page through it, so they exercise the same code a person does.
 */
export interface ScanSummary {
  name: string;
  format: string;
  frames: number;
  width: number;
  height: number;
  trainingWidth: number;
  trainingHeight: number;
  hasDepth: boolean;
  hasLabels: boolean;
  /** Frames with a mask (nerfstudio mask_path, or corners an undistorted lens does not reach). */
  maskedFrames: number;
  /** The scan's label ids with their names and known/novel split (classes.json, or a format's own), or null. */
  classes: ClassName[] | null;
  warnings: string[];
}

export interface NeurncdAutomation {
  /** Resolves once the page has a GPU (or knows it has none). */
  ready: Promise<void>;
  /** Why there is no GPU, or null. */
  gpuError(): string | null;
  adapter(): AdapterSummary | null;
  /** The loaded scan, or null. */
  scan(): ScanSummary | null;
  /** The message of the last failed scan load, or null when the last load succeeded. */
  scanError(): string | null;
  gpu: {
    /** Exclusive prefix sum of u32 values on the page's device. */
    exclusiveScan(values: number[]): Promise<number[]>;
    /** Destroys the page's device, as a driver reset would take it (for checking that a run survives it). */
    loseDevice(): void;
    /** Why each device the page lost was lost, oldest first. */
    losses(): { reason: string; message: string }[];
  };
  synth: {
    /** Generates a synthetic scan in Web Workers; returns each file's SHA-256 (hex) by path. */
    digest(options: Partial<SynthOptions>): Promise<Record<string, string>>;
  };
  training: {
    /**
     * The live run's PSNR on fixed random pixels of its training views (the same pixels on every
     * call, unlike the status line's batch PSNR) and the step it was measured at; null without a run.
     */
    psnr(): Promise<{ step: number; psnr: number } | null>;
  };
  /** The ONNX segmenter (src/segment/). */
  segment: SegmentAutomation;
  /** The training benchmark on a generated scene or a scan of this origin (progress on the console, prefixed `[bench]`). */
  bench(request: BenchRequest): Promise<BenchmarkResult>;
  /** The whole pipeline on a scan of this origin (progress on the console, prefixed `[discover]`). */
  discover(request: DiscoverRequest): Promise<DiscoverReply>;
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
  /** Devices lost so far (each replaced by a new one, unless error() says none could be had). */
  losses: () => readonly GPUDeviceLostInfo[];
  session: () => ScanSession | null;
  /** The live viewer's run, when the page runs one. */
  live?: () => { trainingPsnr(): Promise<{ step: number; psnr: number }> | null } | null;
  /** The page's segmenter (the automation API drives the same one as the page's panel). */
  segmenter?: () => Segmenter;
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
    scan: () => {
      const scan = state.session()?.current;
      if (!scan) return null;
      return {
        name: scan.sourceName,
        format: scan.format,
        frames: scan.frames.length,
        width: scan.imageSize.width,
        height: scan.imageSize.height,
        trainingWidth: scan.trainingSize.width,
        trainingHeight: scan.trainingSize.height,
        hasDepth: scan.hasDepth,
        hasLabels: scan.hasLabels,
        maskedFrames: scan.frames.filter((f) => f.mask).length,
        classes: scan.classes ?? null,
        warnings: scan.warnings,
      };
    },
    scanError: () => state.session()?.lastError ?? null,
    gpu: {
      loseDevice() {
        device().destroy();
      },
      losses: () => state.losses().map((info) => ({ reason: info.reason, message: info.message })),
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
    training: {
      psnr: async () => (await state.live?.()?.trainingPsnr()) ?? null,
    },
    synth: {
      async digest(options) {
        const files = await generateScanInBrowser(options);
        const digests: Record<string, string> = {};
        for (const [path, bytes] of files) digests[path] = await sha256Hex(bytes);
        return digests;
      },
    },
    segment: createSegmentAutomation({
      adapter: () => state.context()?.summary ?? null,
      scan: () => state.session()?.current ?? null,
      ...(state.segmenter && { segmenter: state.segmenter }),
    }),
    async bench(request) {
      const ctx = state.context();
      const session = state.session();
      if (!ctx || !session) throw new Error(state.error() ?? 'no GPU device');
      return runBenchRequest(ctx, loadIn(session), request, (line) => console.log(`[bench] ${line}`));
    },
    async discover(request) {
      const ctx = state.context();
      const session = state.session();
      if (!ctx || !session) throw new Error(state.error() ?? 'no GPU device');
      if (!state.segmenter) throw new Error('the page has no segmenter');
      return runDiscoverRequest(ctx, state.segmenter(), loadIn(session), request, (line) => console.log(`[discover] ${line}`));
    },
  };
}

/** Loads a scan as a dropped one (shown in the page); a failed load throws the page's message. */
function loadIn(session: ScanSession): (input: Parameters<ScanSession['load']>[0]) => Promise<Scan> {
  return async (input) => {
    const scan = await session.load(input);
    if (!scan) throw new Error(session.lastError ?? `${input.name}: not loaded`);
    return scan;
  };
}
