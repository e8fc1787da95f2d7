/**
 * `window.neurncd.segment`: the segmenter's scripting surface for the headless commands and the
 * end-to-end tests. Arrays cross the page boundary as base64 of their raw bytes (little-endian),
 * which is much cheaper than JSON number arrays for a 21 x 240 x 320 logits volume.
 */
import type { AdapterSummary } from '../gpu/gpu-context.ts';
import type { Scan } from '../scan/scan.ts';
import type { ExecutionProvider } from '../segment/execution-provider.ts';
import type { SegmentedFrame } from '../segment/segmented-frame.ts';
import { ModelStore } from '../segment/model-store.ts';
import { Segmenter, type ModelEntry, type SegmenterInfo } from '../segment/segmenter.ts';

export interface SegmenterSummary {
  name: string;
  file: string;
  provider: ExecutionProvider;
  providerReason: string;
  numThreads: number;
  crossOriginIsolated: boolean;
  /** True when the model came without a manifest and one was proposed from its metadata. */
  proposed: boolean;
  layout: string;
  inputSize: { width: number; height: number } | 'dynamic';
  classes: string[];
  knownClasses: string[];
  loadMs: number;
}

export interface SegmentResultSummary {
  width: number;
  height: number;
  classes: number;
  /** True when the frame came from the session's cache. */
  cached: boolean;
  /** Wall time of the call as the page saw it. */
  ms: number;
  timings: { preprocessMs: number; inferenceMs: number; postprocessMs: number };
  /** The progress stages the worker reported for this call, in order (none when cached). */
  progress: string[];
  /** Float32 K x H x W, base64. */
  logits: string;
  /** Float32 K x H x W, base64. */
  probabilities: string;
  /** Float32 H x W, base64. */
  entropy: string;
  /** Uint16 H x W, base64. */
  argmax: string;
  /** With `debug`: the model's input tensor and raw logits output (Float32, base64). */
  debug?: { input: string; inputDims: number[]; output: string; outputDims: number[] };
}

export interface SegmentAutomation {
  /** Fetches and loads a model; without a manifest one is proposed. Rejects (keeping the previous model) on failure. */
  load(options: { modelUrl: string; manifestUrl?: string | null; provider?: ExecutionProvider }): Promise<SegmenterSummary>;
  /**
   * Loads a model-list entry: from Cache Storage if there, else downloaded, checked against the
   * manifest's sha256 and size, and cached. Rejects (keeping the previous model) on failure.
   */
  loadEntry(
    entry: ModelEntry,
    options?: { provider?: ExecutionProvider },
  ): Promise<SegmenterSummary & { fromCache: boolean; downloadProgress: number[] }>;
  /** URLs of the models in Cache Storage. */
  cachedModels(): Promise<string[]>;
  /** The loaded model, or null. */
  info(): SegmenterSummary | null;
  /** The message of the last failed load or segmentation, or null after a success. */
  lastError(): string | null;
  /**
   * Segments an RGBA8 image (base64). With `frameIndex`, through the session's frame cache.
   * Outputs at `output` size (default: the image's).
   */
  segmentImage(
    image: { width: number; height: number; rgba: string },
    options?: { frameIndex?: number; output?: { width: number; height: number }; debug?: boolean },
  ): Promise<SegmentResultSummary>;
  /** Segments frame `index` of the loaded scan at its training resolution (cached). */
  segmentScanFrame(index: number): Promise<SegmentResultSummary>;
}

export function toBase64(view: ArrayBufferView): string {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

export function fromBase64(text: string): Uint8Array {
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

function summarize(info: SegmenterInfo): SegmenterSummary {
  const m = info.manifest;
  return {
    name: m.name,
    file: m.file,
    provider: info.provider,
    providerReason: info.providerReason,
    numThreads: info.numThreads,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    proposed: info.proposed,
    layout: m.layout,
    inputSize: m.inputSize,
    classes: m.classes.map((c) => c.name),
    knownClasses: m.knownClasses,
    loadMs: info.loadMs,
  };
}

export function createSegmentAutomation(state: {
  adapter: () => AdapterSummary | null;
  scan: () => Scan | null;
  segmenter?: () => Segmenter;
}): SegmentAutomation {
  let segmenter: Segmenter | null = null;
  let error: string | null = null;
  let scanOfCache: Scan | null = null;
  const get = (): Segmenter => (segmenter ??= state.segmenter?.() ?? new Segmenter(state.adapter));
  const recorded = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      const result = await work();
      error = null;
      return result;
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
      throw e;
    }
  };

  return {
    load: (options) =>
      recorded(async () =>
        summarize(await get().loadFromUrl(options.modelUrl, options.manifestUrl ?? null, { provider: options.provider })),
      ),
    loadEntry: (entry, options = {}) =>
      recorded(async () => {
        // Bytes received at each progress report, for the caller to see the download happen.
        const downloadProgress: number[] = [];
        const info = await get().loadEntry(entry, {
          provider: options.provider,
          onProgress: (stage, loaded) => stage === 'download' && downloadProgress.push(loaded),
        });
        return { ...summarize(info), fromCache: info.fromCache, downloadProgress };
      }),
    cachedModels: () => new ModelStore().list(),
    info: () => {
      // The page's panel may have loaded a model through the shared segmenter.
      const info = (state.segmenter ? get() : segmenter)?.info;
      return info ? summarize(info) : null;
    },
    lastError: () => error,
    segmentImage: (image, options = {}) =>
      recorded(async () => {
        const s = get();
        const rgba = fromBase64(image.rgba);
        if (rgba.length !== image.width * image.height * 4) {
          throw new Error(`image: ${rgba.length} bytes for ${image.width}x${image.height} RGBA`);
        }
        const input = { width: image.width, height: image.height, rgba };
        const started = performance.now();
        const progress: string[] = [];
        const onProgress = (stage: string): number => progress.push(stage);
        if (options.frameIndex !== undefined) {
          const cached = s.has(options.frameIndex);
          const frame = await s.segmentFrame(options.frameIndex, input, onProgress);
          return result(frame, cached, performance.now() - started, progress);
        }
        const { frame, debug } = await s.segmentImage(input, { outputSize: options.output, debug: options.debug, onProgress });
        return result(frame, false, performance.now() - started, progress, debug);
      }),
    segmentScanFrame: (index) =>
      recorded(async () => {
        const s = get();
        const scan = state.scan();
        if (!scan) throw new Error('no scan is loaded');
        const frame = scan.frames[index];
        if (!frame) throw new Error(`frame ${index}: the scan has ${scan.frames.length} frames`);
        if (scan !== scanOfCache) {
          s.clearCache();
          scanOfCache = scan;
        }
        const cached = s.has(index);
        const started = performance.now();
        const progress: string[] = [];
        const out = await s.segmentFrame(index, frame, (stage) => progress.push(stage));
        return result(out, cached, performance.now() - started, progress);
      }),
  };
}

function result(
  frame: SegmentedFrame,
  cached: boolean,
  ms: number,
  progress: string[],
  debug?: { input: Float32Array; inputDims: number[]; output: Float32Array; outputDims: number[] },
): SegmentResultSummary {
  return {
    width: frame.width,
    height: frame.height,
    classes: frame.logits.channels,
    cached,
    ms,
    timings: frame.timings,
    progress,
    logits: toBase64(frame.logits.data),
    probabilities: toBase64(frame.probabilities().data),
    entropy: toBase64(frame.entropy),
    argmax: toBase64(frame.argmax),
    debug: debug && {
      input: toBase64(debug.input),
      inputDims: debug.inputDims,
      output: toBase64(debug.output),
      outputDims: debug.outputDims,
    },
  };
}
