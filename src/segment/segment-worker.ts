/// <reference lib="webworker" />
/**
 * The segmenter off the main thread: onnxruntime-web's session lives here, and so does all the
 * per-pixel work around it (resize, normalise, run, resize the logits back, softmax, entropy,
 * argmax), so a frame never blocks the page. One model at a time; a model that fails to load
 * leaves the previous one in place. Requests are answered in order, one frame at a time.
 */
import * as ort from 'onnxruntime-web';
import { serveRequests, WithTransfer } from '../worker/serve-requests.ts';
import { buffersOf } from '../worker/worker-protocol.ts';
import { argmax, entropy, softmax } from './class-distribution.ts';
import type { ExecutionProvider } from './execution-provider.ts';
import { resizeFeatureMap } from './feature-query.ts';
import { outputToMap } from './logits-tensor.ts';
import { checkManifest, proposeManifest, type ModelSignature } from './manifest-check.ts';
import { modelInputSize, preprocess, type RgbaImage } from './preprocess.ts';
import { parseManifest, type SegmenterManifest } from './segmenter-manifest.ts';

export interface LoadRequest {
  /** The ONNX file's bytes (transferred). */
  bytes: ArrayBuffer;
  fileName: string;
  /** Parsed manifest JSON (validated here), or null to propose one from the model. */
  manifest: unknown;
  manifestName: string;
  provider: ExecutionProvider;
  numThreads: number;
}

export interface SegmentRequest {
  image: RgbaImage;
  /** The resolution the outputs come back at (the scan's training resolution). */
  outputSize: { width: number; height: number };
  /** Also return the model's input tensor and raw logits (for tests against a reference). */
  debug: boolean;
}

export interface LoadedModel {
  manifest: SegmenterManifest;
  /** True when there was no manifest and this one was proposed from the model's metadata. */
  proposed: boolean;
  signature: ModelSignature;
  provider: ExecutionProvider;
  numThreads: number;
  loadMs: number;
}

export interface SegmentOutput {
  width: number;
  height: number;
  classes: number;
  /** K x H x W, channel-major, at the output size. */
  logits: Float32Array;
  entropy: Float32Array;
  argmax: Uint16Array;
  /** The feature output at its own resolution, channel-major, if the manifest names one. */
  features: { channels: number; width: number; height: number; data: Float32Array } | null;
  timings: { preprocessMs: number; inferenceMs: number; postprocessMs: number };
  debug?: { input: Float32Array; inputDims: number[]; output: Float32Array; outputDims: number[] };
}

export type SegmentProgressStage = 'preprocess' | 'inference' | 'postprocess';

export interface SegmentWorkerApi {
  load: { args: LoadRequest; result: LoadedModel };
  segment: { args: SegmentRequest; result: SegmentOutput; progress: SegmentProgressStage };
}

let current: { session: ort.InferenceSession; model: LoadedModel } | null = null;
let runtimeConfigured = false;

async function sha256Hex(bytes: ArrayBuffer): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(hash, (b) => b.toString(16).padStart(2, '0')).join('');
}

function signatureOf(session: ort.InferenceSession): ModelSignature {
  const info = (meta: readonly ort.InferenceSession.ValueMetadata[] | undefined, names: readonly string[]) =>
    names.map((name) => {
      const m = meta?.find((v) => v.name === name);
      return m && m.isTensor ? { name, type: m.type, shape: m.shape } : { name };
    });
  return {
    inputs: info(session.inputMetadata, session.inputNames),
    outputs: info(session.outputMetadata, session.outputNames),
  };
}

async function load(request: LoadRequest): Promise<{ session: ort.InferenceSession; model: LoadedModel }> {
  const started = performance.now();
  const { fileName, bytes } = request;
  const manifest = request.manifest === null ? null : parseManifest(request.manifest, request.manifestName);
  const digest = await sha256Hex(bytes);
  if (manifest) {
    // Checked before parsing: a truncated or replaced file is named as such, not as bad protobuf.
    if (bytes.byteLength !== manifest.sizeBytes) {
      throw new Error(
        `${fileName}: is ${bytes.byteLength} bytes, but ${request.manifestName} says sizeBytes ${manifest.sizeBytes} (truncated or a different file)`,
      );
    }
    if (digest !== manifest.sha256) {
      throw new Error(
        `${fileName}: SHA-256 is ${digest}, but ${request.manifestName} says sha256 ${manifest.sha256} (corrupt or a different file)`,
      );
    }
  }
  if (!runtimeConfigured) {
    // Only the first session decides: onnxruntime initialises its wasm module once.
    ort.env.wasm.numThreads = request.numThreads;
    ort.env.wasm.proxy = false;
    ort.env.logLevel = 'error';
    runtimeConfigured = true;
  }
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(new Uint8Array(bytes), {
      executionProviders: [request.provider],
      graphOptimizationLevel: 'all',
      // Errors only: the per-session warnings (shape ops placed on the CPU) are not actionable.
      logSeverityLevel: 3,
    });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new Error(`${fileName}: onnxruntime cannot load this file as an ONNX model (${why})`);
  }
  try {
    const signature = signatureOf(session);
    let proposed = false;
    let final: SegmenterManifest;
    if (manifest) {
      checkManifest(manifest, signature, request.manifestName);
      final = manifest;
    } else {
      final = proposeManifest(signature, fileName, { sha256: digest, sizeBytes: bytes.byteLength });
      proposed = true;
    }
    const model: LoadedModel = {
      manifest: final,
      proposed,
      signature,
      provider: request.provider,
      numThreads: ort.env.wasm.numThreads ?? 1,
      loadMs: performance.now() - started,
    };
    return { session, model };
  } catch (e) {
    await session.release();
    throw e;
  }
}

async function segment(request: SegmentRequest, progress: (stage: SegmentProgressStage) => void): Promise<SegmentOutput> {
  if (!current) throw new Error('no segmenter is loaded');
  const { session, model } = current;
  const manifest = model.manifest;
  const k = manifest.classes.length;
  const t0 = performance.now();
  progress('preprocess');
  const input = preprocess(request.image, modelInputSize(manifest, request.image), manifest.normalization, manifest.layout);
  const t1 = performance.now();
  progress('inference');
  const feeds = { [manifest.inputName]: new ort.Tensor('float32', input.data, input.dims) };
  const fetches = manifest.featureOutput ? [manifest.logitsOutput, manifest.featureOutput] : [manifest.logitsOutput];
  const results = await session.run(feeds, fetches);
  const t2 = performance.now();
  progress('postprocess');
  const raw = results[manifest.logitsOutput]!;
  const rawData = (await raw.getData()) as Float32Array;
  const atModel = outputToMap(manifest.logitsOutput, raw.dims, rawData, k, manifest.layout);
  const { width, height } = request.outputSize;
  const logits = resizeFeatureMap(atModel, width, height);
  const probabilities = softmax(logits);
  let features: SegmentOutput['features'] = null;
  if (manifest.featureOutput) {
    const f = results[manifest.featureOutput]!;
    features = outputToMap(manifest.featureOutput, f.dims, (await f.getData()) as Float32Array, null, manifest.layout);
  }
  const output: SegmentOutput = {
    width,
    height,
    classes: k,
    logits: logits.data,
    entropy: entropy(probabilities),
    argmax: argmax(logits),
    features,
    timings: { preprocessMs: t1 - t0, inferenceMs: t2 - t1, postprocessMs: performance.now() - t2 },
  };
  if (request.debug) output.debug = { input: input.data, inputDims: [...input.dims], output: rawData, outputDims: [...raw.dims] };
  for (const value of Object.values(results)) value.dispose();
  return output;
}

// Requests run strictly one after another: one frame (or load) at a time.
serveRequests<SegmentWorkerApi>(
  self as unknown as DedicatedWorkerGlobalScope,
  {
    load: async (request) => {
      const loaded = await load(request);
      const previous = current;
      current = loaded;
      await previous?.session.release();
      return loaded.model;
    },
    segment: async (request, progress) => {
      const output = await segment(request, progress);
      return new WithTransfer(
        output,
        buffersOf(output.logits, output.entropy, output.argmax, output.features?.data, output.debug?.input, output.debug?.output),
      );
    },
  },
  { oneAtATime: true },
);
