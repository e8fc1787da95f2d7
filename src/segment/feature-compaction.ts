/**
 * A segmenter's feature map made small enough to keep for every frame of a scan. Discovery reads
 * it once per segment (segment-appearance.ts: the mean feature over the segment's pixels), after
 * pre-segmentation, which for a scan without depth waits until the field has trained; until then
 * every frame's map is held. A real model's maps are large (DeepLabV3 ADE20K: 256 channels at a
 * quarter of 513 x 513, 17 MB a frame, a gigabyte for 60 frames), so they are averaged over
 * blocks of cells and projected onto fewer channels, both linear, so a segment's mean feature is
 * the projection of its mean up to the blocks' blur.
 *
 * The projection is a fixed random one (Johnson-Lindenstrauss): it keeps distances and angles
 * between features to within about 1/sqrt(channels), needs no fitting, and is the same for every
 * frame of every scan (seeded by the channel counts), so statistics measured on one frame's
 * features apply to another's. Maps within the budget are returned as they are.
 */
import type { FeatureMap } from './feature-query.ts';

export interface FeatureBudget {
  /** Channels kept at most (a map with more is projected). */
  channels: number;
  /** Bytes of one frame's map at most (cells are averaged in blocks until it fits). */
  bytes: number;
}

/** About 64 MB for a 60-frame scan, a quarter of a gigabyte for 400. */
export const DEFAULT_FEATURE_BUDGET: FeatureBudget = { channels: 64, bytes: 1.1 * 2 ** 20 };

/** The budget per frame for a scan of `frames` frames: at most `total` bytes for all of them. */
export function featureBudgetFor(frames: number, total = 256 * 2 ** 20): FeatureBudget {
  return { channels: DEFAULT_FEATURE_BUDGET.channels, bytes: Math.min(DEFAULT_FEATURE_BUDGET.bytes, total / Math.max(1, frames)) };
}

/** Seeded Gaussian entries (Box-Muller on a xorshift stream), `rows x cols`, scaled by 1/sqrt(rows). */
function projectionMatrix(rows: number, cols: number): Float32Array {
  let state = (0x9e3779b9 ^ (rows * 73856093) ^ (cols * 19349663)) >>> 0 || 1;
  const uniform = (): number => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return (state + 0.5) / 4294967296;
  };
  const out = new Float32Array(rows * cols);
  const scale = 1 / Math.sqrt(rows);
  for (let i = 0; i < out.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const t = 2 * Math.PI * uniform();
    out[i] = r * Math.cos(t) * scale;
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(t) * scale;
  }
  return out;
}

const projections = new Map<string, Float32Array>();

export function compactFeatureMap(map: FeatureMap, budget: FeatureBudget = DEFAULT_FEATURE_BUDGET): FeatureMap {
  const channels = Math.min(map.channels, budget.channels);
  // The smallest block that brings the map within the budget.
  let block = 1;
  const bytesAt = (b: number) => channels * Math.ceil(map.width / b) * Math.ceil(map.height / b) * 4;
  while (bytesAt(block) > budget.bytes && block < Math.max(map.width, map.height)) block++;
  if (block === 1 && channels === map.channels) return map;
  const pooled = block === 1 ? map : poolBlocks(map, block);
  if (channels === map.channels) return pooled;
  const key = `${channels}x${map.channels}`;
  let matrix = projections.get(key);
  if (!matrix) projections.set(key, (matrix = projectionMatrix(channels, map.channels)));
  return project(pooled, matrix, channels);
}

/** Means over `block` x `block` cells (the last row and column of blocks may be smaller). */
function poolBlocks(map: FeatureMap, block: number): FeatureMap {
  const { channels, width, height, data } = map;
  const w = Math.ceil(width / block);
  const h = Math.ceil(height / block);
  const out = new Float32Array(channels * w * h);
  const counts = new Float32Array(w * h);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) counts[Math.floor(y / block) * w + Math.floor(x / block)]!++;
  for (let c = 0; c < channels; c++) {
    const src = c * width * height;
    const dst = c * w * h;
    for (let y = 0; y < height; y++) {
      const row = dst + Math.floor(y / block) * w;
      for (let x = 0; x < width; x++) out[row + Math.floor(x / block)]! += data[src + y * width + x]!;
    }
    for (let i = 0; i < w * h; i++) out[dst + i]! /= counts[i]!;
  }
  return { channels, width: w, height: h, data: out };
}

function project(map: FeatureMap, matrix: Float32Array, channels: number): FeatureMap {
  const { width, height, data } = map;
  const n = width * height;
  const k = map.channels;
  const out = new Float32Array(channels * n);
  for (let r = 0; r < channels; r++) {
    const target = out.subarray(r * n, (r + 1) * n);
    for (let c = 0; c < k; c++) {
      const weight = matrix[r * k + c]!;
      const source = data.subarray(c * n, (c + 1) * n);
      for (let p = 0; p < n; p++) target[p]! += weight * source[p]!;
    }
  }
  return { channels, width, height, data: out };
}
