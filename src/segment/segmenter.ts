/**
 * The page's segmenter: the main-thread side of segment-worker.ts. Loads a model (bytes, URL, a
 * model-list entry through the browser's cache, or a file from disk; with or without a manifest),
 * picks the execution provider, and segments
 * frames one at a time with progress. Each frame is segmented once per loaded model and cached
 * by frame index for the session; loading another model empties the cache.
 */
import type { AdapterSummary } from '../gpu/gpu-context.ts';
import { WorkerClient } from '../worker/worker-client.ts';
import { chooseExecutionProvider, wasmThreads, type ExecutionProvider } from './execution-provider.ts';
import { fetchBytes, ModelStore } from './model-store.ts';
import type { RgbaImage } from './preprocess.ts';
import type { LoadedModel, SegmentOutput, SegmentProgressStage, SegmentWorkerApi } from './segment-worker.ts';
import { SegmentedFrame } from './segmented-frame.ts';
import { parseManifest } from './segmenter-manifest.ts';

export interface SegmenterInfo extends LoadedModel {
  /** Why this provider was used (shown to the user). */
  providerReason: string;
}

export interface ModelSource {
  bytes: ArrayBuffer;
  fileName: string;
  /** Parsed manifest JSON, or null for a bare .onnx (a manifest is proposed from its metadata). */
  manifest: unknown;
  manifestName?: string;
}

export type LoadProgress = (stage: 'download' | 'load', loaded: number, total: number) => void;

const baseName = (url: string): string => decodeURIComponent(new URL(url, location.href).pathname.split('/').pop() || url);

/** An entry of a model list: where the file is, and its manifest (with the file's sha256 and size). */
export interface ModelEntry {
  url: string;
  /** Manifest JSON (validated on load). */
  manifest: unknown;
}

export class Segmenter {
  /** The worker frames go to; each worker has its own requests pending. */
  private worker: WorkerClient<SegmentWorkerApi>;
  /** Workers for another provider while their first model loads; one replaces `worker` once loaded. */
  private readonly freshWorkers = new Set<WorkerClient<SegmentWorkerApi>>();
  /** The provider of the worker's first session: onnxruntime sets up its wasm module for it once. */
  private workerProvider: ExecutionProvider | null = null;
  private loaded: SegmenterInfo | null = null;
  private readonly loadedListeners = new Set<(info: SegmenterInfo) => void>();
  private cache = new Map<number, Promise<SegmentedFrame>>();

  constructor(private readonly adapter: () => AdapterSummary | null) {
    this.worker = this.startWorker();
  }

  private startWorker(): WorkerClient<SegmentWorkerApi> {
    return new WorkerClient<SegmentWorkerApi>(
      new Worker(new URL('./segment-worker.ts', import.meta.url), { type: 'module', name: 'segmenter' }),
      { name: 'the segmenter worker' },
    );
  }

  /** The loaded model, or null. */
  get info(): SegmenterInfo | null {
    return this.loaded;
  }

  /** Calls `listener` after every successful load, whoever asked for it; returns the unsubscribe. */
  onLoaded(listener: (info: SegmenterInfo) => void): () => void {
    this.loadedListeners.add(listener);
    return () => this.loadedListeners.delete(listener);
  }

  /** Loads a model; on failure the previous model (and its cache) stays. */
  async load(source: ModelSource, options: { provider?: ExecutionProvider } = {}): Promise<SegmenterInfo> {
    const choice = chooseExecutionProvider(this.adapter(), options.provider);
    // onnxruntime-web sets its wasm module up for the first session's provider (a WebGPU session
    // after a wasm one fails at its first run), so another provider gets a fresh worker, which
    // replaces the current one only once the model has loaded there.
    const fresh = this.workerProvider !== null && this.workerProvider !== choice.provider;
    const worker = fresh ? this.startWorker() : this.worker;
    if (fresh) this.freshWorkers.add(worker);
    // Even a failed load may have set the module up: the worker is committed to this provider.
    if (!fresh) this.workerProvider = choice.provider;
    let model: LoadedModel;
    try {
      model = await worker.call(
        'load',
        {
          bytes: source.bytes,
          fileName: source.fileName,
          manifest: source.manifest,
          manifestName: source.manifestName ?? 'manifest.json',
          provider: choice.provider,
          numThreads: wasmThreads(globalThis.crossOriginIsolated === true, navigator.hardwareConcurrency),
        },
        { transfer: [source.bytes] },
      );
    } catch (e) {
      if (fresh) void worker.dispose();
      throw e;
    } finally {
      this.freshWorkers.delete(worker);
    }
    if (fresh) {
      this.workerProvider = choice.provider;
      // Frames still queued on the old worker would never be answered.
      void this.worker.dispose(new Error('another segmenter was loaded before this frame was segmented'));
      this.worker = worker;
    }
    this.loaded = { ...model, providerReason: choice.reason };
    this.cache = new Map();
    for (const listener of this.loadedListeners) listener(this.loaded);
    return this.loaded;
  }

  /** Fetches a model (and its manifest, if given) and loads it. */
  async loadFromUrl(
    modelUrl: string,
    manifestUrl: string | null,
    options: { provider?: ExecutionProvider; onProgress?: LoadProgress } = {},
  ): Promise<SegmenterInfo> {
    let manifest: unknown = null;
    if (manifestUrl) {
      const text = new TextDecoder().decode(await fetchBytes(manifestUrl));
      try {
        manifest = JSON.parse(text);
      } catch (e) {
        throw new Error(`${baseName(manifestUrl)}: (root) is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    const bytes = await fetchBytes(modelUrl, (loaded, total) => options.onProgress?.('download', loaded, total));
    options.onProgress?.('load', 0, 1);
    return this.load(
      { bytes, fileName: baseName(modelUrl), manifest, manifestName: manifestUrl ? baseName(manifestUrl) : 'manifest.json' },
      options,
    );
  }

  /**
   * Loads a model of a model list: from the browser's cache when it is there, else downloaded
   * (with progress), checked against the manifest's sha256 and size, cached, then loaded.
   */
  async loadEntry(
    entry: ModelEntry,
    options: { provider?: ExecutionProvider; onProgress?: LoadProgress; store?: ModelStore } = {},
  ): Promise<SegmenterInfo & { fromCache: boolean }> {
    const name = baseName(entry.url);
    const manifest = parseManifest(entry.manifest, `${name} (model list)`);
    const store = options.store ?? new ModelStore();
    const ref = { url: entry.url, sha256: manifest.sha256, sizeBytes: manifest.sizeBytes };
    const hit = await store.cached(ref);
    const bytes = hit ?? (await store.download(ref, (loaded, total) => options.onProgress?.('download', loaded, total)));
    // The worker takes the bytes; the cache gets a copy, once the model has loaded.
    const keep = hit ? null : bytes.slice(0);
    options.onProgress?.('load', 0, 1);
    const info = await this.load({ bytes, fileName: name, manifest: entry.manifest, manifestName: `${name} (model list)` }, options);
    if (keep) await store.put(ref, keep);
    return { ...info, fromCache: hit !== null };
  }

  /** Loads a model the user picked from disk (a `.onnx`, optionally with its manifest). */
  async loadFromFiles(model: File, manifest: File | null, options: { provider?: ExecutionProvider } = {}): Promise<SegmenterInfo> {
    let json: unknown = null;
    if (manifest) {
      try {
        json = JSON.parse(await manifest.text());
      } catch (e) {
        throw new Error(`${manifest.name}: (root) is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return this.load({ bytes: await model.arrayBuffer(), fileName: model.name, manifest: json, manifestName: manifest?.name }, options);
  }

  /** Segments one image (not cached), outputs at `outputSize` (default: the image's own size). */
  async segmentImage(
    image: RgbaImage,
    options: { outputSize?: { width: number; height: number }; debug?: boolean; onProgress?: (stage: SegmentProgressStage) => void } = {},
  ): Promise<{ frame: SegmentedFrame; debug?: SegmentOutput['debug'] }> {
    if (!this.loaded) throw new Error('no segmenter is loaded');
    // A copy is sent so the caller's frame stays intact.
    const copy = { width: image.width, height: image.height, rgba: new Uint8Array(image.rgba) };
    const output = await this.worker.call(
      'segment',
      { image: copy, outputSize: options.outputSize ?? { width: image.width, height: image.height }, debug: options.debug ?? false },
      { transfer: [copy.rgba.buffer], onProgress: options.onProgress },
    );
    return { frame: new SegmentedFrame(output), debug: output.debug };
  }

  /** Whether a frame's segmentation is already cached (or on its way). */
  has(frameIndex: number): boolean {
    return this.cache.has(frameIndex);
  }

  /**
   * A frame's segmentation at its own (training) resolution, segmented at the first call and
   * cached for the session; concurrent calls for one frame share the work.
   */
  segmentFrame(frameIndex: number, image: RgbaImage, onProgress?: (stage: SegmentProgressStage) => void): Promise<SegmentedFrame> {
    let entry = this.cache.get(frameIndex);
    if (!entry) {
      const cache = this.cache;
      entry = this.segmentImage(image, { onProgress }).then((r) => r.frame);
      entry.catch(() => cache.get(frameIndex) === entry && cache.delete(frameIndex));
      cache.set(frameIndex, entry);
    }
    return entry;
  }

  /** Forgets every cached frame (e.g. when another scan is loaded). */
  clearCache(): void {
    this.cache = new Map();
  }

  /** Segments frames in order, one at a time, reporting how many are done. */
  async segmentFrames(
    frames: { index: number; image: RgbaImage }[],
    onProgress?: (done: number, total: number) => void,
  ): Promise<SegmentedFrame[]> {
    const out: SegmentedFrame[] = [];
    for (const f of frames) {
      out.push(await this.segmentFrame(f.index, f.image));
      onProgress?.(out.length, frames.length);
    }
    return out;
  }

  dispose(): void {
    const error = new Error('the segmenter was disposed');
    void this.worker.dispose(error);
    for (const worker of this.freshWorkers) void worker.dispose(error);
  }
}
