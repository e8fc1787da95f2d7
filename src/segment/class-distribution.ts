/**
 * From logits to what discovery reads: per-pixel softmax probabilities, their entropy
 * ε = -Σ p ln p (natural log, so 0..ln K: low where the segmenter is sure, high where it is not,
 * which is what reveals novel classes) and the argmax class. Maps are channel-major (FeatureMap).
 */
import type { FeatureMap } from './feature-query.ts';

/** Softmax over the channels of every pixel (max-subtracted, so large logits do not overflow). */
export function softmax(logits: FeatureMap): FeatureMap {
  const { channels: k, width, height, data } = logits;
  const n = width * height;
  const out = new Float32Array(data.length);
  for (let p = 0; p < n; p++) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, data[c * n + p]!);
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const e = Math.exp(data[c * n + p]! - max);
      out[c * n + p] = e;
      sum += e;
    }
    for (let c = 0; c < k; c++) out[c * n + p]! /= sum;
  }
  return { channels: k, width, height, data: out };
}

/** Entropy of each pixel's distribution, natural log; 0·ln 0 counts as 0. */
export function entropy(probabilities: FeatureMap): Float32Array {
  const { channels: k, width, height, data } = probabilities;
  const n = width * height;
  const out = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    let h = 0;
    for (let c = 0; c < k; c++) {
      const q = data[c * n + p]!;
      if (q > 0) h -= q * Math.log(q);
    }
    out[p] = h;
  }
  return out;
}

/** Index of the largest channel of each pixel; ties go to the lowest index. */
export function argmax(map: FeatureMap): Uint16Array {
  const { channels: k, width, height, data } = map;
  const n = width * height;
  const out = new Uint16Array(n);
  for (let p = 0; p < n; p++) {
    let best = 0;
    let bestValue = data[p]!;
    for (let c = 1; c < k; c++) {
      const v = data[c * n + p]!;
      if (v > bestValue) {
        bestValue = v;
        best = c;
      }
    }
    out[p] = best;
  }
  return out;
}
