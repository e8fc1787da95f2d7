/**
 * Checks the converted ADE20K model in onnxruntime-web (wasm backend, in Node) on the annotated
 * photos of ../shared/data/ade20k-tiny, with the page's own preprocessing and postprocessing.
 *
 *   npx tsx tools/segmenter/verify-ade20k.ts inputs --data DIR --size 513 --out /tmp/ade/in513
 *     writes each photo as the model's input (preprocess.ts: bilinear resize to size x size,
 *     x / 127.5 - 1, NCHW), NAME.input.f32, for the NumPy reference (reference-ade20k.py)
 *     and for `check`, so that both run on identical numbers.
 *
 *   npx tsx tools/segmenter/verify-ade20k.ts check --data DIR --inputs /tmp/ade/in513 --model MODEL_DIR
 *       [--ref LOGITS_DIR]... [--save LOGITS_DIR] [--json OUT.json]
 *     runs MODEL_DIR/model.onnx (its manifest's sha256 and size checked first) on every input;
 *     against each --ref (the reference's logits, or another model's saved with --save): max
 *     |logit difference| and argmax agreement at the logits' resolution (when both have the same),
 *     argmax agreement once resized to the photo; mIoU and pixel accuracy
 *     under the 32-class rule, the logits resized to the photo as the page does (for the model
 *     and each reference), plus the reference's own full-resolution output where it has one;
 *     the feature output's shape; milliseconds per frame (median, first run excluded).
 *
 *   npx tsx tools/segmenter/verify-ade20k.ts fixture --ref LOGITS_DIR --name PHOTO --out FILE.png
 *     the argmax of a reference's logits as an 8-bit PNG (the unit test's known answer).
 */
import { createHash } from 'node:crypto';
import { encode } from 'fast-png';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { argmax } from '../../src/segment/class-distribution.ts';
import { resizeFeatureMap, type FeatureMap } from '../../src/segment/feature-query.ts';
import { outputToMap } from '../../src/segment/logits-tensor.ts';
import { preprocess } from '../../src/segment/preprocess.ts';
import { parseManifest } from '../../src/segment/segmenter-manifest.ts';
import type { SegmentationResult } from '../../src/eval/segmentation-metrics.ts';
import { loadPhoto, photoNames, score32, type AnnotatedPhoto } from './ade20k-tiny.ts';

type Options = Record<string, string[]>;

function parse(argv: string[]): { command: string; options: Options } {
  const [command = '', ...rest] = argv;
  const options: Options = {};
  for (let i = 0; i < rest.length; i += 2) {
    const key = rest[i]!;
    if (!key.startsWith('--') || rest[i + 1] === undefined) throw new Error(`bad argument ${key}`);
    (options[key.slice(2)] ??= []).push(rest[i + 1]!);
  }
  return { command, options };
}

const one = (o: Options, key: string, fallback?: string): string => {
  const v = o[key]?.[0] ?? fallback;
  if (v === undefined) throw new Error(`--${key} is required`);
  return v;
};

const f32 = (path: string): Float32Array => {
  const b = readFileSync(path);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
};

async function writeInputs(o: Options): Promise<void> {
  const data = one(o, 'data');
  const size = Number(one(o, 'size'));
  const out = one(o, 'out');
  mkdirSync(out, { recursive: true });
  const names = photoNames(data);
  for (const name of names) {
    const photo = await loadPhoto(data, name);
    const input = preprocess(photo.image, { width: size, height: size }, { scale: 1 / 127.5, offset: -1 }, 'NCHW');
    writeFileSync(join(out, `${name}.input.f32`), input.data);
  }
  writeFileSync(join(out, 'index.json'), JSON.stringify({ size, names }));
  console.log(`${names.length} inputs of ${size}x${size} in ${out}`);
}

interface Reference {
  dir: string;
  source: string;
  logits: Map<string, FeatureMap>;
  full: Map<string, { width: number; height: number; argmax: Uint8Array }>;
}

function readReference(dir: string, names: string[]): Reference {
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  const [channels, height, width] = index.logits as [number, number, number];
  const logits = new Map<string, FeatureMap>();
  const full = new Map<string, { width: number; height: number; argmax: Uint8Array }>();
  for (const name of names) {
    logits.set(name, { channels, width, height, data: f32(join(dir, `${name}.logits.f32`)) });
    const fullPath = join(dir, `${name}.argmax-full.u8`);
    if (index.argmaxFull && existsSync(fullPath)) {
      const [h, w] = index.argmaxFull as [number, number];
      full.set(name, { width: w, height: h, argmax: new Uint8Array(readFileSync(fullPath)) });
    }
  }
  return { dir, source: index.source ?? dir, logits, full };
}

/** The argmax of logits resized to the photo, as the page's segment worker does. */
function photoArgmax(logits: FeatureMap, photo: AnnotatedPhoto): Uint16Array {
  return argmax(resizeFeatureMap(logits, photo.image.width, photo.image.height));
}

/** A full-resolution argmax (the model's input size) taken back to the photo, nearest sample. */
function nearestToPhoto(full: { width: number; height: number; argmax: Uint8Array }, photo: AnnotatedPhoto): Uint16Array {
  const { width, height } = photo.image;
  const out = new Uint16Array(width * height);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(full.height - 1, Math.max(0, Math.round(((y + 0.5) * full.height) / height - 0.5)));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(full.width - 1, Math.max(0, Math.round(((x + 0.5) * full.width) / width - 0.5)));
      out[y * width + x] = full.argmax[sy * full.width + sx]!;
    }
  }
  return out;
}

const round = (v: number | null, digits = 2): number | null => (v === null ? null : Number(v.toFixed(digits)));

function summary(result: SegmentationResult): Record<string, unknown> {
  const perClass: Record<string, number | null> = {};
  for (const [name, s] of Object.entries(result.per_class)) perClass[name] = round(s.iou);
  return { miou: round(result.miou), pixelAccuracy: round(result.acc), pixels: result.pixels, iouPerClass: perClass };
}

async function check(o: Options): Promise<void> {
  const data = one(o, 'data');
  const inputs = one(o, 'inputs');
  const modelDir = one(o, 'model');
  const index = JSON.parse(readFileSync(join(inputs, 'index.json'), 'utf8')) as { size: number; names: string[] };
  const manifest = parseManifest(JSON.parse(readFileSync(join(modelDir, 'manifest.json'), 'utf8')), join(modelDir, 'manifest.json'));
  const bytes = readFileSync(join(modelDir, manifest.file));
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== manifest.sha256 || bytes.length !== manifest.sizeBytes)
    throw new Error(`manifest sha256/size mismatch: ${sha} ${bytes.length}`);
  const classNames = manifest.classes.map((c) => c.name);
  const refs = (o.ref ?? []).map((dir) => readReference(dir, index.names));
  const save = o.save?.[0];
  if (save) mkdirSync(save, { recursive: true });

  ort.env.wasm.numThreads = Number(one(o, 'threads', '1'));
  const session = await ort.InferenceSession.create(new Uint8Array(bytes), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });

  const size = index.size;
  const times: number[] = [];
  const photos: { labels: Uint8Array; argmax: Uint16Array }[] = [];
  const refPhotos = refs.map(() => [] as { labels: Uint8Array; argmax: Uint16Array }[]);
  const refFullPhotos = refs.map(() => [] as { labels: Uint8Array; argmax: Uint16Array }[]);
  const diffs = refs.map(() => ({ maxAbs: 0, agree: 0, total: 0, photoAgree: 0, photoTotal: 0 }));
  let featureDims: number[] = [];
  let logitDims: number[] = [];
  for (const name of index.names) {
    const photo = await loadPhoto(data, name);
    const x = new ort.Tensor('float32', f32(join(inputs, `${name}.input.f32`)).slice(), [1, 3, size, size]);
    const t0 = performance.now();
    const result = await session.run({ [manifest.inputName]: x });
    times.push(performance.now() - t0);
    const raw = result[manifest.logitsOutput]!;
    const logits = outputToMap(manifest.logitsOutput, raw.dims, raw.data as Float32Array, classNames.length, manifest.layout);
    logitDims = [...raw.dims];
    featureDims = [...result[manifest.featureOutput!]!.dims];
    if (save) writeFileSync(join(save, `${name}.logits.f32`), logits.data);
    const mine = photoArgmax(logits, photo);
    photos.push({ labels: photo.labels, argmax: mine });
    const atModel = argmax(logits);
    refs.forEach((ref, r) => {
      const theirs = ref.logits.get(name)!;
      if (theirs.channels !== logits.channels)
        throw new Error(`${ref.dir}: ${name} has ${theirs.channels} channels, the model ${logits.channels}`);
      const d = diffs[r]!;
      // Logits of another input size are compared at the photo only.
      if (theirs.width === logits.width && theirs.height === logits.height) {
        for (let i = 0; i < logits.data.length; i++) d.maxAbs = Math.max(d.maxAbs, Math.abs(logits.data[i]! - theirs.data[i]!));
        const refArgmax = argmax(theirs);
        for (let p = 0; p < atModel.length; p++) if (atModel[p] === refArgmax[p]) d.agree++;
        d.total += atModel.length;
      }
      const refPhoto = photoArgmax(theirs, photo);
      for (let p = 0; p < mine.length; p++) if (mine[p] === refPhoto[p]) d.photoAgree++;
      d.photoTotal += mine.length;
      refPhotos[r]!.push({ labels: photo.labels, argmax: refPhoto });
      const full = ref.full.get(name);
      if (full) refFullPhotos[r]!.push({ labels: photo.labels, argmax: nearestToPhoto(full, photo) });
    });
    for (const v of Object.values(result)) v.dispose();
  }
  // A few more runs of one frame for the timing (the first run includes the session's warm-up).
  const x = new ort.Tensor('float32', f32(join(inputs, `${index.names[0]}.input.f32`)).slice(), [1, 3, size, size]);
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const r = await session.run({ [manifest.inputName]: x });
    times.push(performance.now() - t0);
    for (const v of Object.values(r)) v.dispose();
  }
  if (save)
    writeFileSync(join(save, 'index.json'), JSON.stringify({ source: `onnx ${modelDir}`, names: index.names, logits: logitDims.slice(1) }));
  const steady = times.slice(1).sort((a, b) => a - b);
  const report = {
    model: modelDir,
    sizeBytes: bytes.length,
    inputSize: size,
    photos: index.names.length,
    logitsDims: logitDims,
    featuresDims: featureDims,
    wasmThreads: ort.env.wasm.numThreads,
    firstRunMs: Math.round(times[0]!),
    medianMsPerFrame: Math.round(steady[Math.floor(steady.length / 2)]!),
    score: summary(score32(classNames, photos)),
    references: refs.map((ref, r) => ({
      reference: ref.source,
      maxAbsLogitDiff: diffs[r]!.total > 0 ? Number(diffs[r]!.maxAbs.toPrecision(3)) : null,
      argmaxAgreementAtLogits: diffs[r]!.total > 0 ? Number((diffs[r]!.agree / diffs[r]!.total).toFixed(6)) : null,
      argmaxAgreementAtPhoto: Number((diffs[r]!.photoAgree / diffs[r]!.photoTotal).toFixed(6)),
      referenceScore: summary(score32(classNames, refPhotos[r]!)),
      referenceFullResolutionScore:
        refFullPhotos[r]!.length === index.names.length ? summary(score32(classNames, refFullPhotos[r]!)) : null,
    })),
  };
  const text = JSON.stringify(report, null, 2);
  if (o.json) writeFileSync(o.json[0]!, text + '\n');
  console.log(text);
}

function writeFixture(o: Options): void {
  const name = one(o, 'name');
  const logits = readReference(one(o, 'ref'), [name]).logits.get(name)!;
  const data = Uint8Array.from(argmax(logits));
  writeFileSync(one(o, 'out'), encode({ width: logits.width, height: logits.height, data, channels: 1, depth: 8 }));
}

const { command, options } = parse(process.argv.slice(2));
if (command === 'inputs') await writeInputs(options);
else if (command === 'check') await check(options);
else if (command === 'fixture') writeFixture(options);
else {
  console.error('usage: npx tsx tools/segmenter/verify-ade20k.ts inputs|check|fixture --option value ...');
  process.exit(2);
}
