/**
 * The per-pixel outputs around the model: softmax, entropy (natural log) and argmax against
 * hand-computed values; the model-output transpose (NHWC and NCHW logits); preprocessing
 * (resize, both normalisations, both layouts) against hand-computed values.
 */
import { describe, expect, it } from 'vitest';
import { argmax, entropy, softmax } from '../../src/segment/class-distribution.ts';
import { chooseExecutionProvider, wasmThreads } from '../../src/segment/execution-provider.ts';
import type { FeatureMap } from '../../src/segment/feature-query.ts';
import { outputToMap } from '../../src/segment/logits-tensor.ts';
import { preprocess } from '../../src/segment/preprocess.ts';

// 3 classes, 2 x 1 pixels. Pixel 0: logits (0, ln 2, ln 3) -> p = (1, 2, 3)/6. Pixel 1: all equal.
const logits: FeatureMap = { channels: 3, width: 2, height: 1, data: Float32Array.from([0, 5, Math.LN2, 5, Math.log(3), 5]) };

describe('softmax, entropy, argmax', () => {
  it('match hand-computed values', () => {
    const p = softmax(logits);
    expect(p.data[0]).toBeCloseTo(1 / 6, 6);
    expect(p.data[2]).toBeCloseTo(2 / 6, 6);
    expect(p.data[4]).toBeCloseTo(3 / 6, 6);
    for (const i of [1, 3, 5]) expect(p.data[i]).toBeCloseTo(1 / 3, 6);
    const h = entropy(p);
    const want0 = -(1 / 6) * Math.log(1 / 6) - (2 / 6) * Math.log(2 / 6) - (3 / 6) * Math.log(3 / 6);
    expect(h[0]).toBeCloseTo(want0, 5); // 1.0114
    expect(h[1]).toBeCloseTo(Math.log(3), 5); // uniform: the maximum, ln K
    expect(Array.from(argmax(logits))).toEqual([2, 0]); // a tie goes to the lowest index
  });

  it('stays finite on huge logits, and a certain pixel has zero entropy', () => {
    const sure: FeatureMap = { channels: 2, width: 1, height: 1, data: Float32Array.from([1000, -1000]) };
    const p = softmax(sure);
    expect(Array.from(p.data)).toEqual([1, 0]);
    expect(entropy(p)[0]).toBe(0);
  });
});

describe('outputToMap', () => {
  it('transposes NHWC logits to channel-major and keeps NCHW as is', () => {
    // 1 x 1 x 2 x 3 (H=1, W=2, K=3), values = 10 * pixel + class.
    const nhwc = Float32Array.from([0, 1, 2, 10, 11, 12]);
    const m = outputToMap('out', [1, 1, 2, 3], nhwc, 3, 'NHWC');
    expect(m).toMatchObject({ channels: 3, width: 2, height: 1 });
    expect(Array.from(m.data)).toEqual([0, 10, 1, 11, 2, 12]);
    const nchw = Float32Array.from([0, 10, 1, 11, 2, 12]);
    const n = outputToMap('out', [1, 3, 1, 2], nchw, 3, 'NHWC');
    expect(n.data).toBe(nchw);
    expect(() => outputToMap('out', [1, 4, 1, 2], nchw, 3, 'NCHW')).toThrow("output 'out' has dims [1, 4, 1, 2]; no axis of 3 classes");
    expect(() => outputToMap('out', [3, 2], nchw, 3, 'NCHW')).toThrow(/expected \[1, K, H, W\]/);
  });

  it('refuses an output holding NaN or an infinity, naming the output and the element', () => {
    const withNaN = Float32Array.from([0, 10, 1, Number.NaN, 2, 12]);
    expect(() => outputToMap('logits', [1, 3, 1, 2], withNaN, 3, 'NCHW')).toThrow(
      "output 'logits' holds NaN at element 3: the model is broken",
    );
    const withInf = Float32Array.from([0, 10, 1, 11, Number.NEGATIVE_INFINITY, 12]);
    expect(() => outputToMap('logits', [1, 1, 2, 3], withInf, 3, 'NHWC')).toThrow("output 'logits' holds an infinity at element 4");
  });
});

describe('preprocess', () => {
  // 2 x 1 RGBA: a red-ish and a blue-ish pixel.
  const image = { width: 2, height: 1, rgba: Uint8Array.from([255, 0, 51, 255, 0, 255, 102, 255]) };

  it('normalises with scale/offset (DeepLabV3: x / 127.5 - 1), NHWC', () => {
    const t = preprocess(image, { width: 2, height: 1 }, { scale: 1 / 127.5, offset: -1 }, 'NHWC');
    expect(t.dims).toEqual([1, 1, 2, 3]);
    const want = [1, -1, 51 / 127.5 - 1, -1, 1, 102 / 127.5 - 1];
    want.forEach((v, i) => expect(t.data[i]).toBeCloseTo(v, 6));
  });

  it('normalises with mean/std on 0..1, NCHW', () => {
    const mean: [number, number, number] = [0.5, 0.25, 0];
    const std: [number, number, number] = [0.5, 0.25, 2];
    const t = preprocess(image, { width: 2, height: 1 }, { mean, std }, 'NCHW');
    expect(t.dims).toEqual([1, 3, 1, 2]);
    const want = [(1 - 0.5) / 0.5, (0 - 0.5) / 0.5, (0 - 0.25) / 0.25, (1 - 0.25) / 0.25, 0.2 / 2, 0.4 / 2];
    want.forEach((v, i) => expect(t.data[i]).toBeCloseTo(v, 6));
  });

  it('resizes bilinearly with pixel centres lined up', () => {
    // 2 x 1 -> 4 x 1: centres 0.5, 1.5, 2.5, 3.5 map to 0.25, 0.75, 1.25, 1.75 in the source:
    // pixel 0, 1/4 of the way, 3/4 of the way, pixel 1 (clamped at both ends).
    const t = preprocess(image, { width: 4, height: 1 }, { scale: 1, offset: 0 }, 'NCHW');
    expect(Array.from(t.data.subarray(0, 4))).toEqual([255, 191.25, 63.75, 0]);
  });
});

describe('execution provider', () => {
  const adapter = { vendor: 'google', architecture: 'swiftshader', device: '', description: '', software: true };
  it('picks wasm on a software adapter or none, WebGPU on hardware, the caller overrides', () => {
    expect(chooseExecutionProvider(adapter).provider).toBe('wasm');
    expect(chooseExecutionProvider(null).provider).toBe('wasm');
    expect(chooseExecutionProvider({ ...adapter, software: false }).provider).toBe('webgpu');
    expect(chooseExecutionProvider(adapter, 'webgpu')).toEqual({ provider: 'webgpu', reason: 'chosen by the caller' });
  });
  it('uses one wasm thread without cross-origin isolation, half the cores (1..4) with it', () => {
    expect(wasmThreads(false, 16)).toBe(1);
    expect(wasmThreads(true, 2)).toBe(1);
    expect(wasmThreads(true, 8)).toBe(4);
    expect(wasmThreads(true, 32)).toBe(4);
  });
});
