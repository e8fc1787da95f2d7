/**
 * The packed semantic targets (two words per pixel) against the distributions they stand for:
 * the four most probable classes keep their probabilities to unorm8 precision, the tail is spread
 * evenly, so argmax is kept and entropy moves little on the distributions segmenters give.
 */
import { describe, expect, it } from 'vitest';
import { selectLogits } from '../../src/segment/class-selection.ts';
import {
  narrowPackedTargets,
  packedClassMass,
  packLabelTargets,
  packLogitTargets,
  targetClasses,
  unpackTarget,
} from '../../src/field/semantic-targets.ts';

const entropy = (p: ArrayLike<number>): number => Array.from(p).reduce((h, q) => (q > 0 ? h - q * Math.log(q) : h), 0);
const softmax = (l: number[]): number[] => {
  const m = Math.max(...l);
  const e = l.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

describe('semantic targets (packed class distributions)', () => {
  it('keeps the top four probabilities, argmax and entropy of segmenter outputs', () => {
    const cases = [
      [6, 1, 0, 0, -1, 0, 0, 0, 0], // confident (a known-class pixel)
      [1.2, 1.0, 0.9, 0.3, 0.1, -0.2, -0.5, -1, -2], // spread (a novel-class pixel)
      [0, 0, 0, 0, 0, 0, 0, 0, 0], // uniform
      [2, -3, 1.9, -1, 0.5, 0.4, 0.3, 0.2, -4],
    ];
    const k = 9;
    const data = new Float32Array(k * cases.length);
    cases.forEach((l, p) => l.forEach((v, c) => (data[c * cases.length + p] = v)));
    const words = new Uint32Array(cases.length * 2);
    packLogitTargets({ channels: k, width: cases.length, height: 1, data }, words, 0);
    cases.forEach((l, p) => {
      const want = softmax(l);
      const got = unpackTarget(words, p, k);
      const order = want.map((v, c) => [v, c] as const).sort((a, b) => b[0] - a[0]);
      for (const [v, c] of order.slice(0, 4)) expect(Math.abs(got[c]! - v)).toBeLessThanOrEqual(0.5 / 255 + 1e-9);
      if (order[0]![0] - order[1]![0] > 0.01) expect(got.indexOf(Math.max(...got))).toBe(order[0]![1]);
      // Flattening the tail raises entropy a little: 0.035 nats of 1.9 in the spread case, 0.08 in
      // the last one (its tail mixes two likely and two unlikely classes).
      expect(Math.abs(entropy(got) - entropy(want))).toBeLessThan(0.1);
      expect(got.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 2);
    });
  });

  it('packs labels as one-hot on known classes and uniform elsewhere', () => {
    const words = new Uint32Array(3 * 2);
    packLabelTargets(Uint16Array.from([4, 3, 0]), [1, 4, 7], 3, words, 0);
    expect(Array.from(unpackTarget(words, 0, 3))).toEqual([0, 1, 0]);
    unpackTarget(words, 1, 3).forEach((v) => expect(v).toBeCloseTo(1 / 3, 12));
    unpackTarget(words, 2, 3).forEach((v) => expect(v).toBeCloseTo(1 / 3, 12));
  });

  it('narrows packed targets to fewer classes as taking the others out of the logits would', () => {
    // 100 classes (as ADE20K's 150 are for a field of 64): pixels confident in a kept class, in a
    // dropped one, spread over both, and flat.
    const k = 100;
    const cases = [
      [[3, 8]], // kept class 3, confident
      [
        [90, 7],
        [3, 5],
      ], // dropped class 90 wins, kept 3 second
      [
        [1, 2],
        [2, 1.9],
        [95, 1.8],
        [3, 1],
      ],
      [],
    ];
    const n = cases.length;
    const data = new Float32Array(k * n);
    cases.forEach((hot, p) => hot.forEach(([c, v]) => (data[c! * n + p] = v!)));
    const logits = { channels: k, width: n, height: 1, data };
    const keep = Array.from({ length: 64 }, (_, i) => i);
    const words = new Uint32Array(n * 2);
    packLogitTargets(logits, words, 0);
    const mass = packedClassMass(words, k);
    expect(mass[3]).toBeGreaterThan(1.05);
    expect(mass[90]).toBeGreaterThan(0.8);
    expect(mass[50]).toBe(0);
    narrowPackedTargets(words, k, keep);
    const exact = new Uint32Array(n * 2);
    const selection = { known: keep.map((c) => ({ name: `c${c}`, channels: [c] })), unknown: [], preset: null, absent: [] };
    packLogitTargets(selectLogits(logits, selection), exact, 0);
    for (let p = 0; p < n; p++) {
      const got = unpackTarget(words, p, keep.length);
      const want = unpackTarget(exact, p, keep.length);
      expect(got.indexOf(Math.max(...got))).toBe(want.indexOf(Math.max(...want)));
      for (let c = 0; c < keep.length; c++) expect(Math.abs(got[c]! - want[c]!)).toBeLessThan(0.02);
      expect(Math.abs(entropy(got) - entropy(want))).toBeLessThan(0.05);
    }
    // The pixel sure of a dropped class now says its runner-up: e^5 / (e^5 + 63) = 0.70.
    expect(unpackTarget(words, 1, 64)[3]).toBeCloseTo(0.7, 1);
  });

  it('refuses class counts a byte id cannot hold', () => {
    expect(() => targetClasses({ from: 'packed', classes: 300, words: new Uint32Array(2) })).toThrow(/1\.\.255 classes, got 300/);
  });
});
