/**
 * Feature query: bilinear sampling of a K-channel map in continuous pixel coordinates (centres at
 * +0.5), checked against direct indexing at pixel centres, hand-computed interpolation between
 * them, clamping at the borders, and the resize built on the same sampling.
 */
import { describe, expect, it } from 'vitest';
import { axisSample, resizeFeatureMap, sampleFeatures, type FeatureMap } from '../../src/segment/feature-query.ts';

// 2 channels, 3 x 2 pixels. Channel 0: x + 10 y; channel 1: 100 + pixel index squared (not linear).
const W = 3;
const H = 2;
const map: FeatureMap = {
  channels: 2,
  width: W,
  height: H,
  data: Float32Array.from([0, 1, 2, 10, 11, 12, 100, 101, 104, 109, 116, 125]),
};
const at = (c: number, x: number, y: number): number => map.data[(c * H + y) * W + x]!;
const sample = (x: number, y: number): number[] => Array.from(sampleFeatures(map, x, y));

describe('sampleFeatures', () => {
  it('returns the pixel itself at every pixel centre', () => {
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) expect(sample(x + 0.5, y + 0.5)).toEqual([at(0, x, y), at(1, x, y)]);
  });

  it('interpolates between centres (hand-computed)', () => {
    // Halfway between (0,0) and (1,0): channel 1 = (100 + 101) / 2.
    expect(sample(1, 0.5)).toEqual([0.5, 100.5]);
    // A quarter of the way from (1,0) to (2,0), and 3/4 of the way down to row 1:
    // channel 1: top = 101 + 0.25*(104-101) = 101.75, bottom = 116 + 0.25*(125-116) = 118.25,
    // value = 101.75 + 0.75*(118.25-101.75) = 114.125. Channel 0 = 1.25 + 10*0.75 = 8.75.
    const v = sample(1.75, 1.25);
    expect(v[0]).toBeCloseTo(8.75, 5);
    expect(v[1]).toBeCloseTo(114.125, 5);
    // The middle of four centres: the mean of the four.
    expect(sample(2, 1)[1]).toBeCloseTo((101 + 104 + 116 + 125) / 4, 5);
  });

  it('clamps to the border pixels outside the outermost centres', () => {
    expect(sample(0, 0)).toEqual([at(0, 0, 0), at(1, 0, 0)]);
    expect(sample(-7, 0.5)).toEqual([at(0, 0, 0), at(1, 0, 0)]);
    expect(sample(W, H)).toEqual([at(0, W - 1, H - 1), at(1, W - 1, H - 1)]);
    expect(sample(W + 5, 0.5)).toEqual([at(0, W - 1, 0), at(1, W - 1, 0)]);
    // Clamped on one axis, interpolated on the other: at x = 0.2 (left of the first centre), y = 1.
    const v = sample(0.2, 1);
    expect(v[0]).toBeCloseTo(5, 5);
    expect(v[1]).toBeCloseTo((100 + 109) / 2, 5);
  });

  it('writes into a given array and scales coordinates from another resolution', () => {
    const out = new Float32Array(2);
    expect(sampleFeatures(map, 2.5, 1.5, out)).toBe(out);
    expect(Array.from(out)).toEqual([12, 125]);
    // The map is a third of a 9 x 6 frame: frame pixel centre (7.5, 4.5) is map pixel centre (2.5, 1.5).
    expect(Array.from(sampleFeatures(map, 7.5, 4.5, undefined, { width: 9, height: 6 }))).toEqual([12, 125]);
  });

  it('agrees with axisSample on the taps', () => {
    expect(axisSample(0.5, 3)).toEqual({ i0: 0, i1: 1, t: 0 });
    expect(axisSample(1.75, 3)).toEqual({ i0: 1, i1: 2, t: 0.25 });
    expect(axisSample(-1, 3)).toMatchObject({ i0: 0, i1: 0 });
    expect(axisSample(3, 3)).toMatchObject({ i0: 2, i1: 2 });
  });
});

describe('resizeFeatureMap', () => {
  it('is the identity at the same size', () => {
    expect(Array.from(resizeFeatureMap(map, W, H).data)).toEqual(Array.from(map.data));
  });

  it('samples every output pixel centre mapped into the source', () => {
    const big = resizeFeatureMap(map, 7, 5);
    for (let y = 0; y < 5; y++) {
      for (let x = 0; x < 7; x++) {
        const want = sampleFeatures(map, ((x + 0.5) * W) / 7, ((y + 0.5) * H) / 5);
        for (let c = 0; c < 2; c++) expect(big.data[(c * 5 + y) * 7 + x]).toBeCloseTo(want[c]!, 4);
      }
    }
    // Upsampling by 2 in x: output centre 0.5 maps to source 0.25 (clamped: pixel 0), 1.5 to 0.75 (a quarter towards pixel 1).
    const wide = resizeFeatureMap(map, 6, 2);
    expect(Array.from(wide.data.subarray(0, 6))).toEqual([0, 0.25, 0.75, 1.25, 1.75, 2]);
  });
});
