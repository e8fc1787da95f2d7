/**
 * Feature statistics measured on the scan itself, for a segmenter that has a feature map but came
 * without statistics of its training set (any downloaded model): per known class, the mean
 * appearance of the segments the segmenter is sure of, one shared covariance, and the class's
 * spread. Atypical segments (atypical-segments.ts) then work as with the project's own model: a
 * window the segmenter calls wall with confidence still looks unlike the scan's confident walls.
 *
 * Only confident, low-entropy segments teach a class its look, so the statistics describe what
 * the segmenter recognises well in this scan; segments of a class it never saw sit far off. But a
 * segmenter can be confident and wrong (the window it calls wall), and those segments must not
 * teach the class: the statistics are fitted again without each class's farthest segments
 * (`trim`), a robust estimate in the manner of a minimum covariance determinant. The covariance is
 * pooled over classes (too few segments per class for one each) and shrunk towards its mean
 * variance, so that it stays invertible with fewer segments than channels.
 */
import type { FeatureStatistics } from '../segment/feature-statistics.ts';
import type { SegmentFeatures } from './segment-features.ts';

export interface ScanStatisticsSettings {
  /** A segment teaches its class when its mean probability of that class is at least this... */
  confidence: number;
  /** ...and its mean normalised entropy at most this. */
  maxEntropy: number;
  /** Classes with fewer confident segments get no spread (they are never judged atypical). */
  minSegments: number;
  /** Weight of the mean variance in the shrunk covariance (0: the sample covariance). */
  shrinkage: number;
  /** The share of a class's own (kept) segments that lie within its spread. */
  quantile: number;
  /** Each refit keeps the segments of a class up to this share of its pixels, nearest first. */
  trim: number;
  /** Refits after the first fit. */
  refits: number;
  /** Inliers of a class lie within this many times its kept segments' median distance. */
  inlierFactor: number;
}

export const SCAN_STATISTICS: ScanStatisticsSettings = {
  confidence: 0.8,
  maxEntropy: 0.35,
  minSegments: 4,
  shrinkage: 0.1,
  quantile: 0.95,
  trim: 0.8,
  refits: 2,
  inlierFactor: 3,
};

interface Member {
  row: Float32Array;
  weight: number;
}

/** Per frame and segment, what the segmenter says of it and how it looks. */
export interface SegmentEvidence {
  /** Rows: the segment's mean class distribution (K) then its mean normalised entropy. */
  distribution: SegmentFeatures;
  /** Rows: the segment's mean feature (segment-appearance.ts). */
  appearance: SegmentFeatures;
  /** Pixels per segment. */
  pixels: ArrayLike<number>;
}

/** Statistics for `k` classes, or null when no class has a confident segment. */
export function measureFeatureStatistics(
  frames: readonly SegmentEvidence[],
  k: number,
  settings: ScanStatisticsSettings = SCAN_STATISTICS,
): FeatureStatistics | null {
  const dims = frames.find((f) => f.appearance.count > 0)?.appearance.dims ?? 0;
  if (dims === 0) return null;
  // The confident segments, by class.
  const members: Member[][] = Array.from({ length: k }, () => []);
  for (const f of frames) {
    if (f.distribution.dims !== k + 1)
      throw new RangeError(`scan statistics: distributions of ${f.distribution.dims - 1} classes, expected ${k}`);
    for (let s = 0; s < f.appearance.count; s++) {
      const d = f.distribution.data.subarray(s * (k + 1), (s + 1) * (k + 1));
      let best = 0;
      for (let c = 1; c < k; c++) if (d[c]! > d[best]!) best = c;
      const weight = f.pixels[s]!;
      if (weight > 0 && d[best]! >= settings.confidence && d[k]! <= settings.maxEntropy) {
        members[best]!.push({ row: f.appearance.data.subarray(s * dims, (s + 1) * dims), weight });
      }
    }
  }
  if (members.every((m) => m.length === 0)) return null;

  let kept = members;
  let fit = fitGaussians(kept, dims, settings.shrinkage);
  for (let r = 0; r < settings.refits; r++) {
    kept = kept.map((list, c) => {
      if (list.length < settings.minSegments) return list;
      const byDistance = list.map((m) => ({ m, d: mahalanobis(m.row, fit.mean, c, fit.precision, dims) })).sort((a, b) => a.d - b.d);
      const total = list.reduce((a, m) => a + m.weight, 0);
      const out: Member[] = [];
      let seen = 0;
      for (const { m } of byDistance) {
        if (out.length >= settings.minSegments && seen >= settings.trim * total) break;
        out.push(m);
        seen += m.weight;
      }
      return out;
    });
    fit = fitGaussians(kept, dims, settings.shrinkage);
  }
  const { mean, precision } = fit;
  const spread = new Float32Array(k).fill(Infinity);
  for (let c = 0; c < k; c++) {
    if (kept[c]!.length < settings.minSegments) continue;
    // The spread covers the class's inliers: every confident segment of it within a few times the
    // kept segments' median distance (trimming kept its nearest share only; a stranger stays out).
    const distances = members[c]!.map((m) => ({ distance: mahalanobis(m.row, mean, c, precision, dims), weight: m.weight }));
    const keptDistances = kept[c]!.map((m) => ({ distance: mahalanobis(m.row, mean, c, precision, dims), weight: m.weight }));
    const cutoff = settings.inlierFactor * weightedQuantile(keptDistances, 0.5);
    spread[c] = Math.max(
      weightedQuantile(
        distances.filter((d) => d.distance <= cutoff),
        settings.quantile,
      ),
      1e-6,
    );
  }
  return { classes: k, dims, mean, precision, spread };
}

/** Per class the pixel-weighted mean, and the shrunk inverse of the covariance pooled over classes. */
function fitGaussians(members: Member[][], dims: number, shrinkage: number): { mean: Float32Array; precision: Float32Array } {
  const k = members.length;
  const mean = new Float32Array(k * dims);
  const covariance = new Float64Array(dims * dims);
  let total = 0;
  for (let c = 0; c < k; c++) {
    const list = members[c]!;
    const mu = new Float64Array(dims);
    const w = list.reduce((a, m) => a + m.weight, 0);
    for (const m of list) for (let d = 0; d < dims; d++) mu[d]! += (m.weight * m.row[d]!) / w;
    mean.set(mu, c * dims);
    for (const m of list) {
      for (let a = 0; a < dims; a++) {
        const xa = m.row[a]! - mu[a]!;
        for (let b = a; b < dims; b++) covariance[a * dims + b]! += m.weight * xa * (m.row[b]! - mu[b]!);
      }
    }
    total += w;
  }
  let trace = 0;
  for (let a = 0; a < dims; a++) {
    for (let b = a; b < dims; b++) covariance[b * dims + a] = covariance[a * dims + b]! /= total;
    trace += covariance[a * dims + a]!;
  }
  // Shrunk towards (trace / dims) I: invertible whatever the number of segments.
  const level = Math.max(trace / dims, 1e-12);
  for (let a = 0; a < dims; a++)
    for (let b = 0; b < dims; b++)
      covariance[a * dims + b] = (1 - shrinkage) * covariance[a * dims + b]! + (a === b ? shrinkage * level : 0);
  return { mean, precision: Float32Array.from(invertSymmetric(covariance, dims)) };
}

function mahalanobis(row: Float32Array, mean: Float32Array, c: number, precision: Float32Array, dims: number): number {
  let q = 0;
  for (let a = 0; a < dims; a++) {
    const xa = row[a]! - mean[c * dims + a]!;
    let t = 0;
    for (let b = 0; b < dims; b++) t += precision[a * dims + b]! * (row[b]! - mean[c * dims + b]!);
    q += xa * t;
  }
  return Math.sqrt(Math.max(q, 0));
}

/** The value below which `q` of the weight lies. */
function weightedQuantile(values: { distance: number; weight: number }[], q: number): number {
  const sorted = [...values].sort((a, b) => a.distance - b.distance);
  const total = sorted.reduce((a, v) => a + v.weight, 0);
  let seen = 0;
  for (const v of sorted) {
    seen += v.weight;
    if (seen >= q * total) return v.distance;
  }
  return sorted.at(-1)!.distance;
}

/** The inverse of a symmetric positive definite matrix, by Cholesky (n x n, row-major). */
export function invertSymmetric(m: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = m[i * n + j]!;
      for (let p = 0; p < j; p++) sum -= l[i * n + p]! * l[j * n + p]!;
      if (i === j) {
        if (!(sum > 0)) throw new RangeError('scan statistics: the covariance is not positive definite');
        l[i * n + i] = Math.sqrt(sum);
      } else l[i * n + j] = sum / l[j * n + j]!;
    }
  }
  // L^-1 by forward substitution, then (L^-1)^T L^-1.
  const inv = new Float64Array(n * n);
  for (let col = 0; col < n; col++) {
    for (let i = col; i < n; i++) {
      let sum = i === col ? 1 : 0;
      for (let p = col; p < i; p++) sum -= l[i * n + p]! * inv[p * n + col]!;
      inv[i * n + col] = sum / l[i * n + i]!;
    }
  }
  const out = new Float64Array(n * n);
  for (let a = 0; a < n; a++)
    for (let b = a; b < n; b++) {
      let sum = 0;
      for (let p = Math.max(a, b); p < n; p++) sum += inv[p * n + a]! * inv[p * n + b]!;
      out[a * n + b] = out[b * n + a] = sum;
    }
  return out;
}
