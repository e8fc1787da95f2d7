/**
 * The segmenter in Chromium with onnxruntime-web for real, on a model this project did not make:
 * DeepLabV3 MobileNetV2 PASCAL VOC, read from ../shared (never copied into the repository) and
 * served by a second local server. Checks the outputs at training resolution, the model-resolution
 * logits against onnxruntime-web's wasm backend in Node on the identical input, the frame cache,
 * bad model files (the previous model stays usable), a bare .onnx (manifest proposed) and that
 * onnxruntime's own files came from the page's origin.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from 'fast-png';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEEPLAB_V3_PASCAL_MANIFEST, PASCAL_VOC_CLASSES } from '../../src/segment/model-catalog.ts';
import { startStaticServer, type StaticServer } from '../../src/cli/static-server.ts';
import { argmax } from '../../src/segment/class-distribution.ts';
import { resizeFeatureMap, sampleFeatures } from '../../src/segment/feature-query.ts';
import { outputToMap } from '../../src/segment/logits-tensor.ts';
import { preprocess } from '../../src/segment/preprocess.ts';
import type { SegmentResultSummary } from '../../src/automation/segment-automation.ts';
import { RoomTracer } from '../../src/synth/render-frame.ts';
import { buildWorld, frameFiles, metadataFiles } from '../../src/synth/synthetic-scan.ts';
import { usePage } from '../helpers/browser-page.ts';
import { hasShared, sharedPath } from '../helpers/shared-material.ts';
import { writeFiles } from '../helpers/scan-fixtures.ts';

const MODEL_FILE = 'models/deeplabv3-mnv2-pascal/model.onnx';
const MODEL = sharedPath(MODEL_FILE);
const HAS_MODEL = hasShared(MODEL_FILE);
const VOC = PASCAL_VOC_CLASSES;
const K = VOC.length;
const W = 320;
const H = 240;

const f32 = (b64: string): Float32Array => {
  const bytes = Buffer.from(b64, 'base64');
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
};
const u16 = (b64: string): Uint16Array => {
  const bytes = Buffer.from(b64, 'base64');
  return new Uint16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
};
const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** A generated room frame (the project's own synthetic scene), RGBA at 320 x 240. */
function roomFrame(): { width: number; height: number; rgba: Uint8Array } {
  const world = buildWorld({ preset: 'tiny', seed: 3, frames: 2, width: W, height: H });
  const { rgb } = new RoomTracer(world.scene).render(world.cameras[0]!);
  const rgba = new Uint8Array(W * H * 4);
  for (let p = 0; p < W * H; p++) {
    rgba.set(rgb.subarray(p * 3, p * 3 + 3), p * 4);
    rgba[p * 4 + 3] = 255;
  }
  return { width: W, height: H, rgba };
}

describe.skipIf(!HAS_MODEL)('the segmenter in the page, on DeepLabV3 (PASCAL VOC)', () => {
  const page = usePage();
  let server: StaticServer;
  let dir: string;
  let modelsUrl: string;
  const served: string[] = [];
  const frame = roomFrame();

  beforeAll(async () => {
    const model = readFileSync(MODEL);
    dir = mkdtempSync(join(tmpdir(), 'neurncd-segment-'));
    copyFileSync(MODEL, join(dir, 'model.onnx'));
    const manifest = {
      ...DEEPLAB_V3_PASCAL_MANIFEST,
      name: 'DeepLabV3 MobileNetV2 PASCAL VOC',
      file: 'model.onnx',
      sha256: createHash('sha256').update(model).digest('hex'),
      sizeBytes: model.byteLength,
    };
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    // A PNG renamed .onnx, and the real model cut short (with the real manifest).
    writeFileSync(join(dir, 'picture.onnx'), encode({ width: 8, height: 8, data: new Uint8Array(8 * 8 * 3), channels: 3 }));
    writeFileSync(join(dir, 'truncated.onnx'), model.subarray(0, 1_000_000));
    server = await startStaticServer({ mounts: { '/': dir }, onRequest: (path, status) => served.push(`${status} ${path}`) });
    // The page's Content-Security-Policy (src/content-security-policy.ts) allows fetches from its own origin only, so
    // the model server is mounted under the page's origin: requests to models/ are passed on to
    // the second server and its responses handed back unchanged.
    const models = `${page().baseUrl}models-under-test/`;
    modelsUrl = models;
    await page().page.route(`${models}**`, async (route) => {
      const response = await route.fetch({ url: server.url + route.request().url().slice(models.length) });
      await route.fulfill({ response });
    });
  });

  afterAll(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  let first: SegmentResultSummary;

  it('loads the model with its manifest on the wasm provider (software adapter)', async () => {
    const t = page();
    const urls = { modelUrl: `${modelsUrl}model.onnx`, manifestUrl: `${modelsUrl}manifest.json` };
    const info = await t.page.evaluate((o) => window.neurncd.segment.load(o), urls);
    console.log(`[segment] loaded: ${JSON.stringify({ ...info, classes: info.classes.length, knownClasses: undefined })}`);
    expect(info).toMatchObject({
      name: 'DeepLabV3 MobileNetV2 PASCAL VOC',
      file: 'model.onnx',
      layout: 'NHWC',
      proposed: false,
      classes: VOC,
    });
    const adapter = await t.page.evaluate(() => window.neurncd.adapter());
    expect(info.provider).toBe(adapter && !adapter.software ? 'webgpu' : 'wasm');
    // The project's server sends COOP/COEP, so the page is isolated; 2 cores give 1 wasm thread.
    expect(info.crossOriginIsolated).toBe(true);
    expect(info.numThreads).toBeGreaterThanOrEqual(1);
    expect(await t.page.evaluate(() => window.neurncd.segment.lastError())).toBeNull();
  });

  it('segments a generated room frame: logits, probabilities, entropy and argmax at training resolution', async () => {
    const t = page();
    first = await t.page.evaluate(
      ([image, w, h]) => window.neurncd.segment.segmentImage(image, { output: { width: w, height: h }, debug: true }),
      [{ width: frame.width, height: frame.height, rgba: b64(frame.rgba) }, W, H] as const,
    );
    console.log(`[segment] first frame: ${first.ms.toFixed(0)} ms in the page, ${JSON.stringify(first.timings)}`);
    expect(first.progress).toEqual(['preprocess', 'inference', 'postprocess']);
    expect([first.classes, first.height, first.width]).toEqual([K, H, W]);
    const logits = f32(first.logits);
    const probs = f32(first.probabilities);
    const ent = f32(first.entropy);
    const am = u16(first.argmax);
    const n = W * H;
    expect(logits.length).toBe(K * n);
    expect(probs.length).toBe(K * n);
    expect(ent.length).toBe(n);
    expect(am.length).toBe(n);
    let nonFinite = 0;
    let worstSum = 0;
    let entropyError = 0;
    let minEntropy = Infinity;
    let maxEntropy = -Infinity;
    for (let p = 0; p < n; p++) {
      let sum = 0;
      let h = 0;
      let best = 0;
      for (let c = 0; c < K; c++) {
        const q = probs[c * n + p]!;
        if (!Number.isFinite(logits[c * n + p]!)) nonFinite++;
        sum += q;
        if (q > 0) h -= q * Math.log(q);
        if (logits[c * n + p]! > logits[best * n + p]!) best = c;
      }
      worstSum = Math.max(worstSum, Math.abs(sum - 1));
      entropyError = Math.max(entropyError, Math.abs(h - ent[p]!));
      minEntropy = Math.min(minEntropy, ent[p]!);
      maxEntropy = Math.max(maxEntropy, ent[p]!);
      if (am[p] !== best) throw new Error(`argmax at pixel ${p} is ${am[p]}, the largest logit is class ${best}`);
    }
    expect(nonFinite).toBe(0);
    expect(worstSum).toBeLessThan(1e-5);
    expect(entropyError).toBeLessThan(1e-4);
    expect(minEntropy).toBeGreaterThanOrEqual(0);
    expect(maxEntropy).toBeLessThanOrEqual(Math.log(K) + 1e-5);
    // A real segmenter is not uniform: some pixels are confident.
    expect(minEntropy).toBeLessThan(0.5 * Math.log(K));
    const counts = new Map<number, number>();
    for (const c of am) counts.set(c, (counts.get(c) ?? 0) + 1);
    console.log(
      `[segment] argmax classes: ${JSON.stringify(Object.fromEntries([...counts].map(([c, m]) => [VOC[c], m])))}; entropy ${minEntropy.toFixed(3)}..${maxEntropy.toFixed(3)}`,
    );
  });

  it('matches onnxruntime-web (wasm) in Node on the identical input', async () => {
    const debug = first.debug!;
    // The page's input tensor is what the same preprocessing code gives in Node, to the bit.
    const input = preprocess(frame, { width: 257, height: 257 }, { scale: 1 / 127.5, offset: -1 }, 'NHWC');
    expect(debug.inputDims).toEqual([1, 257, 257, 3]);
    const pageInput = f32(debug.input);
    expect(pageInput.length).toBe(input.data.length);
    let inputDiff = 0;
    for (let i = 0; i < input.data.length; i++) inputDiff = Math.max(inputDiff, Math.abs(pageInput[i]! - input.data[i]!));
    expect(inputDiff).toBe(0);

    ort.env.wasm.numThreads = 1;
    const session = await ort.InferenceSession.create(readFileSync(MODEL), { executionProviders: ['wasm'] });
    const out = (await session.run({ sub_7: new ort.Tensor('float32', input.data, input.dims) })).ResizeBilinear_3!;
    const reference = out.data as Float32Array;
    await session.release();
    expect(debug.outputDims).toEqual([...out.dims]);
    const pageOutput = f32(debug.output);
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < reference.length; i++) {
      diff = Math.max(diff, Math.abs(pageOutput[i]! - reference[i]!));
      scale = Math.max(scale, Math.abs(reference[i]!));
    }
    console.log(`[segment] model-resolution logits: max |page - node| = ${diff.toExponential(2)} (max |logit| ${scale.toFixed(1)})`);
    expect(diff).toBeLessThan(1e-3);

    // And the training-resolution logits are the reference resized with the feature query's sampling.
    const resized = resizeFeatureMap(outputToMap('ResizeBilinear_3', out.dims, reference, K, 'NHWC'), W, H);
    const logits = f32(first.logits);
    let resizedDiff = 0;
    for (let i = 0; i < logits.length; i++) resizedDiff = Math.max(resizedDiff, Math.abs(logits[i]! - resized.data[i]!));
    expect(resizedDiff).toBeLessThan(1e-3);
    expect(Array.from(argmax({ channels: K, width: W, height: H, data: logits }))).toEqual(Array.from(u16(first.argmax)));
    // The feature query at a pixel centre is that pixel; in between, between its neighbours.
    const map = { channels: K, width: W, height: H, data: logits };
    const centre = sampleFeatures(map, 100.5, 60.5);
    for (let c = 0; c < K; c++) expect(centre[c]).toBe(logits[(c * H + 60) * W + 100]);
  });

  it('segments a frame once per session: the second request comes from the cache', async () => {
    const t = page();
    const image = { width: frame.width, height: frame.height, rgba: b64(frame.rgba) };
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await t.page.evaluate(([img, index]) => window.neurncd.segment.segmentImage(img, { frameIndex: index }), [
        image,
        10 + i,
      ] as const);
      expect(r.cached).toBe(false);
      times.push(r.timings.inferenceMs);
    }
    console.log(`[segment] inference per 257x257 frame in Chromium: ${times.map((x) => x.toFixed(0)).join(', ')} ms`);
    const again = await t.page.evaluate((img) => window.neurncd.segment.segmentImage(img, { frameIndex: 10 }), image);
    expect(again.cached).toBe(true);
    expect(again.progress).toEqual([]);
    expect(again.timings).toEqual(
      (await t.page.evaluate((img) => window.neurncd.segment.segmentImage(img, { frameIndex: 10 }), image)).timings,
    );
    // Same frame, same model: the cached logits are the first segmentation's.
    expect(again.logits).toBe(first.logits);
  });

  it('refuses a non-ONNX file and a truncated model, naming the file; the loaded model stays usable', async () => {
    const t = page();
    const tryLoad = (o: { modelUrl: string; manifestUrl?: string }) =>
      t.page.evaluate(
        (opts) =>
          window.neurncd.segment.load(opts).then(
            () => 'loaded',
            (e: Error) => e.message,
          ),
        o,
      );
    const png = await tryLoad({ modelUrl: `${modelsUrl}picture.onnx` });
    expect(png).toMatch(/^picture\.onnx: onnxruntime cannot load this file as an ONNX model \(.*protobuf parsing failed/);
    expect(await t.page.evaluate(() => window.neurncd.segment.lastError())).toBe(png);
    const cut = await tryLoad({ modelUrl: `${modelsUrl}truncated.onnx`, manifestUrl: `${modelsUrl}manifest.json` });
    expect(cut).toBe('truncated.onnx: is 1000000 bytes, but manifest.json says sizeBytes 2781296 (truncated or a different file)');
    const missing = await tryLoad({ modelUrl: `${modelsUrl}nothing.onnx` });
    expect(missing).toMatch(/^nothing\.onnx: HTTP 404 from /);

    expect((await t.page.evaluate(() => window.neurncd.segment.info()))?.name).toBe('DeepLabV3 MobileNetV2 PASCAL VOC');
    const image = { width: frame.width, height: frame.height, rgba: b64(frame.rgba) };
    const r = await t.page.evaluate((img) => window.neurncd.segment.segmentImage(img, { frameIndex: 10 }), image);
    expect(r.cached).toBe(true);
    const fresh = await t.page.evaluate(([img, w, h]) => window.neurncd.segment.segmentImage(img, { output: { width: w, height: h } }), [
      image,
      W,
      H,
    ] as const);
    expect(fresh.logits).toBe(first.logits);
  });

  it('segments frames of a loaded scan at its training resolution', async () => {
    const t = page();
    const world = buildWorld({ preset: 'tiny', seed: 3, frames: 2, width: W, height: H });
    const tracer = new RoomTracer(world.scene);
    const files = metadataFiles(world);
    world.cameras.forEach((c, i) => frameFiles(i, tracer.render(c)).forEach((bytes, path) => files.set(path, bytes)));
    await t.page.getByTestId('folder-picker').setInputFiles(writeFiles(files));
    await t.page.waitForFunction(() => window.neurncd.scan() !== null, undefined, { timeout: 60_000 });
    const scan = (await t.page.evaluate(() => window.neurncd.scan()))!;
    const r = await t.page.evaluate(() => window.neurncd.segment.segmentScanFrame(0));
    expect([r.classes, r.height, r.width]).toEqual([K, scan.trainingHeight, scan.trainingWidth]);
    expect(r.cached).toBe(false);
    // The scan's frame 0 is the frame segmented above (same room, camera and size, PNG is lossless).
    expect(r.logits).toBe(first.logits);
    expect((await t.page.evaluate(() => window.neurncd.segment.segmentScanFrame(0))).cached).toBe(true);
    expect(await t.page.evaluate(() => window.neurncd.segment.segmentScanFrame(5).catch((e: Error) => e.message))).toBe(
      'frame 5: the scan has 2 frames',
    );
  });

  it('runs on the WebGPU provider when the caller asks (same logits within float tolerance)', async () => {
    const t = page();
    const urls = { modelUrl: `${modelsUrl}model.onnx`, manifestUrl: `${modelsUrl}manifest.json`, provider: 'webgpu' as const };
    const info = await t.page.evaluate((o) => window.neurncd.segment.load(o), urls);
    expect(info).toMatchObject({ provider: 'webgpu', providerReason: 'chosen by the caller' });
    const r = await t.page.evaluate(([img, w, h]) => window.neurncd.segment.segmentImage(img, { output: { width: w, height: h } }), [
      { width: frame.width, height: frame.height, rgba: b64(frame.rgba) },
      W,
      H,
    ] as const);
    console.log(`[segment] WebGPU provider on this adapter: ${r.timings.inferenceMs.toFixed(0)} ms inference`);
    const a = f32(first.logits);
    const b = f32(r.logits);
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    console.log(`[segment] WebGPU vs wasm logits: max |diff| = ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(0.05);
  });

  it('proposes a manifest for a bare .onnx from its metadata', async () => {
    const t = page();
    const info = await t.page.evaluate((url) => window.neurncd.segment.load({ modelUrl: url }), `${modelsUrl}model.onnx`);
    expect(info).toMatchObject({ name: 'model', proposed: true, layout: 'NHWC', inputSize: { width: 257, height: 257 } });
    expect(info.classes).toEqual(Array.from({ length: K }, (_, i) => `class-${i}`));
  });

  it("fetched onnxruntime's wasm from its own origin and nothing from anywhere else", () => {
    const t = page();
    const origin = new URL(t.baseUrl).origin;
    const wasm = t.requests.filter((u) => /ort-wasm.*\.wasm$/.test(u));
    expect(wasm.length).toBeGreaterThan(0);
    for (const u of wasm) expect(u.startsWith(`${origin}/`)).toBe(true);
    expect(t.foreignRequests()).toEqual([]);
    // The model bytes did come from the second server.
    expect(served).toContain('200 /model.onnx');
    expect(served).toContain('200 /manifest.json');
    // The one console error is the browser reporting the deliberate 404 (nothing.onnx).
    expect(t.errors).toEqual(['Failed to load resource: the server responded with a status of 404 (Not Found)']);
  });
});
