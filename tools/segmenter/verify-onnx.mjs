// Runs public/models/neurncd-synth-seg/model.onnx in onnxruntime-web (wasm backend, in Node)
// on reference inputs written by `train.py export --ref DIR`, compares its logits with torch's,
// checks the manifest (sha256, size, shapes) and times one frame.
//
//   node tools/segmenter/verify-onnx.mjs /tmp/seg/ref [public/models/neurncd-synth-seg]
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-web';

const refDir = process.argv[2];
const modelDir = resolve(process.argv[3] ?? 'public/models/neurncd-synth-seg');
if (!refDir) {
  console.error('usage: node tools/segmenter/verify-onnx.mjs REF_DIR [MODEL_DIR]');
  process.exit(2);
}

const manifest = JSON.parse(readFileSync(join(modelDir, 'manifest.json'), 'utf8'));
const bytes = readFileSync(join(modelDir, manifest.file));
const sha = createHash('sha256').update(bytes).digest('hex');
if (sha !== manifest.sha256 || bytes.length !== manifest.sizeBytes) {
  throw new Error(`manifest sha256/size mismatch: ${sha} ${bytes.length}`);
}

ort.env.wasm.numThreads = 1;
const session = await ort.InferenceSession.create(new Uint8Array(bytes), { executionProviders: ['wasm'] });
console.log('inputs', session.inputNames, 'outputs', session.outputNames);

const { width, height } = manifest.inputSize;
const k = manifest.classes.length;
const f32 = (file) => {
  const b = readFileSync(join(refDir, file));
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
};
const input = f32('input.f32');
const expected = f32('logits.f32');
const frame = 3 * width * height;
const out = k * width * height;
const frames = input.length / frame;

let maxDiff = 0;
let argmaxAgree = 0;
const times = [];
for (let f = 0; f < frames; f++) {
  const x = new ort.Tensor('float32', input.slice(f * frame, (f + 1) * frame), [1, 3, height, width]);
  const t0 = performance.now();
  const result = await session.run({ [manifest.inputName]: x });
  times.push(performance.now() - t0);
  const y = result[manifest.logitsOutput];
  if (y.dims.join('x') !== `1x${k}x${height}x${width}`) throw new Error(`bad output dims ${y.dims}`);
  const e = expected.subarray(f * out, (f + 1) * out);
  const px = width * height;
  for (let i = 0; i < out; i++) maxDiff = Math.max(maxDiff, Math.abs(y.data[i] - e[i]));
  for (let p = 0; p < px; p++) {
    let ba = 0,
      bb = 0;
    for (let c = 1; c < k; c++) {
      if (y.data[c * px + p] > y.data[ba * px + p]) ba = c;
      if (e[c * px + p] > e[bb * px + p]) bb = c;
    }
    if (ba === bb) argmaxAgree++;
  }
}
// Timing over a few more runs (the first includes warm-up).
const x = new ort.Tensor('float32', input.slice(0, frame), [1, 3, height, width]);
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  await session.run({ [manifest.inputName]: x });
  times.push(performance.now() - t0);
}
const steady = times.slice(1).sort((a, b) => a - b);
const median = steady[Math.floor(steady.length / 2)];
const report = {
  frames,
  maxAbsLogitDiff: maxDiff,
  argmaxAgreement: argmaxAgree / (frames * width * height),
  firstRunMs: Math.round(times[0]),
  medianMsPerFrame: Math.round(median),
  wasmThreads: ort.env.wasm.numThreads,
  sizeBytes: bytes.length,
};
console.log(JSON.stringify(report, null, 2));
if (maxDiff > 1e-3) {
  console.error('FAIL: ONNX logits differ from torch');
  process.exit(1);
}
console.log('OK');
