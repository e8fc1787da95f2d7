/**
 * Feature modulation (NeurNCD): a segment's feature is the mean class distribution of its pixels,
 * each pixel weighted by its confidence 1 − ε/ln K, followed by the mean normalised entropy.
 * Confident pixels decide what a segment looks like; where every pixel is unsure (a class the
 * segmenter was never taught), the mean keeps the shape of the uncertainty, and the entropy term
 * sets such segments apart from confidently known ones.
 */

/** What discovery reads per pixel: class probabilities and the normalised entropy ε/ln K (0..1). */
export interface PixelDistributions {
  count: number;
  k: number;
  /** Row-major: `count` x `stride` floats. */
  data: Float32Array;
  stride: number;
  /** Offsets of the probabilities and of ε/ln K inside a record. */
  probsAt: number;
  entropyAt: number;
}

export interface SegmentFeatures {
  /** Number of segments. */
  count: number;
  /** Feature length: K probabilities + 1 entropy. */
  dims: number;
  /** count x dims, row-major. */
  data: Float32Array;
}

/** Confidence never reaches 0 entirely, so a segment of only uniform pixels still has a mean. */
const MIN_WEIGHT = 1e-3;

/**
 * One feature per segment from its sampled pixels (`offsets`: segment s owns samples
 * offsets[s]..offsets[s+1]); `entropyWeight` scales the entropy entry against the
 * probabilities (1: as the paper).
 */
export function segmentFeatures(pixels: PixelDistributions, offsets: Uint32Array, entropyWeight = 1): SegmentFeatures {
  const { k, data, stride, probsAt, entropyAt } = pixels;
  const count = offsets.length - 1;
  const dims = k + 1;
  const out = new Float32Array(count * dims);
  for (let s = 0; s < count; s++) {
    const from = offsets[s]!;
    const to = offsets[s + 1]!;
    const f = out.subarray(s * dims, (s + 1) * dims);
    let weights = 0;
    let entropy = 0;
    for (let i = from; i < to; i++) {
      const rec = i * stride;
      const e = Math.min(Math.max(data[rec + entropyAt]!, 0), 1);
      const w = Math.max(1 - e, MIN_WEIGHT);
      for (let c = 0; c < k; c++) f[c]! += w * data[rec + probsAt + c]!;
      weights += w;
      entropy += e;
    }
    if (to > from) {
      for (let c = 0; c < k; c++) f[c]! /= weights;
      f[k] = (entropyWeight * entropy) / (to - from);
    }
  }
  return { count, dims, data: out };
}

/**
 * Affinity of two segment features (rows a and b; K probabilities then the entropy): the cosine
 * of [√p, ε]. Square roots put distributions in the Hellinger geometry, where a class at 0.15
 * weighs as much against one at 0.02 as the dominant class does against its rival, so the tail
 * of a distribution (what an unknown object is confused with) counts.
 */
export function affinity(a: Float32Array, ai: number, b: Float32Array, bi: number, dims: number): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let d = 0; d < dims; d++) {
    const last = d === dims - 1;
    const x = last ? a[ai * dims + d]! : Math.sqrt(Math.max(a[ai * dims + d]!, 0));
    const y = last ? b[bi * dims + d]! : Math.sqrt(Math.max(b[bi * dims + d]!, 0));
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

/** Plain cosine of the `dims` values starting at a[ai] and b[bi] (element offsets, not rows): for appearances, which are not distributions (no square roots). */
export function cosine(a: ArrayLike<number>, ai: number, b: ArrayLike<number>, bi: number, dims: number): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let d = 0; d < dims; d++) {
    const x = a[ai + d]!;
    const y = b[bi + d]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}
