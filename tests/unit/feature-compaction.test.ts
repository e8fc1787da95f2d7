/**
 * Feature maps made small enough to keep for a whole scan: a map within the budget is kept as it
 * is; a larger one is averaged in blocks and projected, and what discovery reads of it (a
 * segment's mean feature, cosines and distances between segments) survives.
 */
import { describe, expect, it } from 'vitest';
import { compactFeatureMap, featureBudgetFor } from '../../src/segment/feature-compaction.ts';

function randomMap(
  channels: number,
  width: number,
  height: number,
  seed = 1,
): { channels: number; width: number; height: number; data: Float32Array } {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  return { channels, width, height, data: Float32Array.from({ length: channels * width * height }, rand) };
}

const mean = (m: { channels: number; width: number; height: number; data: Float32Array }) =>
  Array.from(
    { length: m.channels },
    (_, c) => m.data.subarray(c * m.width * m.height, (c + 1) * m.width * m.height).reduce((a, b) => a + b, 0) / (m.width * m.height),
  );

describe('feature compaction', () => {
  it('keeps a map within the budget as it is (the default model’s 48 channels)', () => {
    const map = randomMap(48, 80, 60);
    expect(compactFeatureMap(map, { channels: 64, bytes: 2 ** 20 })).toBe(map);
  });

  it('averages blocks until the map fits, keeping each block’s mean', () => {
    const map = randomMap(8, 10, 10);
    const small = compactFeatureMap(map, { channels: 64, bytes: 8 * 5 * 5 * 4 });
    expect([small.channels, small.width, small.height]).toEqual([8, 5, 5]);
    // Block (0, 0) of channel 3 is the mean of its 4 cells.
    const cell = (x: number, y: number) => map.data[3 * 100 + y * 10 + x]!;
    expect(small.data[3 * 25]!).toBeCloseTo((cell(0, 0) + cell(1, 0) + cell(0, 1) + cell(1, 1)) / 4, 6);
    // The whole map's mean is kept (blocks of equal size).
    mean(small).forEach((v, c) => expect(v).toBeCloseTo(mean(map)[c]!, 5));
  });

  it('projects many channels onto fewer, keeping distances between features to about 1/sqrt(channels)', () => {
    // 256 channels, 1 x 40 cells: 40 features whose pairwise distances must survive.
    const map = randomMap(256, 40, 1, 7);
    const small = compactFeatureMap(map, { channels: 64, bytes: 2 ** 20 });
    expect([small.channels, small.width, small.height]).toEqual([64, 40, 1]);
    const at = (m: typeof map, p: number) => Array.from({ length: m.channels }, (_, c) => m.data[c * m.width * m.height + p]!);
    const dist = (a: number[], b: number[]) => Math.hypot(...a.map((v, i) => v - b[i]!));
    const ratios: number[] = [];
    for (let p = 0; p < 40; p++)
      for (let q = p + 1; q < 40; q++) ratios.push(dist(at(small, p), at(small, q)) / dist(at(map, p), at(map, q)));
    const m = ratios.reduce((a, b) => a + b, 0) / ratios.length;
    expect(m).toBeGreaterThan(0.9);
    expect(m).toBeLessThan(1.1);
    expect(Math.max(...ratios.map((r) => Math.abs(r - 1)))).toBeLessThan(0.45);
    // The same projection every time (statistics of one frame apply to another's).
    expect(compactFeatureMap(map, { channels: 64, bytes: 2 ** 20 }).data).toEqual(small.data);
  });

  it('gives a scan of many frames a smaller budget per frame', () => {
    expect(featureBudgetFor(60).bytes).toBeGreaterThan(featureBudgetFor(400).bytes);
    expect(featureBudgetFor(400).bytes * 400).toBeLessThanOrEqual(256 * 2 ** 20);
  });
});
