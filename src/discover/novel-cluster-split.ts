/**
 * Novel clusters split on appearance. The field's features are class distributions, and a
 * segmenter that knows neither a picture nor a window maps both to the same mix of wall and
 * objects: clustered on those features, the two share clusters, and one object scatters over
 * several. What the segmenter's last layer saw (its feature map, segment-appearance.ts) still
 * tells them apart. So, once the distributions have said what is novel:
 *
 *  1. each novel cluster is re-clustered by HDBSCAN on the cosine distance of its segments'
 *     appearance (clusters too small to hold two sub-clusters stay whole; HDBSCAN's noise joins
 *     the nearest sub-cluster);
 *  2. sub-clusters of any novel cluster whose mean appearances are nearly parallel are merged
 *     (one object that fell into two clusters becomes one again);
 *  3. a sub-cluster with too small a share of the pixels is not a class: each of its segments
 *     joins the sub-cluster it looks most like.
 *
 * Known clusters are never touched: the segmenter's confident classes stay as they are.
 * Settings replayed on features dumped from discover runs (README, Discovery).
 */
import { hdbscan } from './hdbscan.ts';
import { cosine, type SegmentFeatures } from './segment-features.ts';

export interface AppearanceSplitSettings {
  /** HDBSCAN inside a novel cluster: the fewest segments a sub-cluster has. */
  minClusterSize: number;
  minSamples: number;
  /** Sub-clusters whose mean appearances have at least this cosine are one. */
  mergeSimilarity: number;
  /** A sub-cluster with less than this share of all the pixels joins the others. */
  minShare: number;
}

export const APPEARANCE_SPLIT: AppearanceSplitSettings = { minClusterSize: 6, minSamples: 3, mergeSimilarity: 0.95, minShare: 0.002 };

export interface NovelSplit {
  /** Cluster per segment: known clusters keep their index, novel sub-cluster j is `clusters + j`. */
  labels: Int32Array;
  /** Per novel sub-cluster: the novel clusters its segments came from. */
  parents: number[][];
  /** Per novel sub-cluster: its pixel-weighted mean appearance. */
  appearance: Float32Array[];
}

interface Group {
  members: number[];
  parents: Set<number>;
  mean: Float32Array;
  mass: number;
}

/**
 * `labels`: every segment's cluster (0..clusters-1, or -1); `novel[c]`: cluster c is novel;
 * `appearance`: one row per segment; `weights`: pixels per segment.
 */
export function splitNovelClusters(
  labels: Int32Array,
  clusters: number,
  novel: readonly boolean[],
  appearance: SegmentFeatures,
  weights: ArrayLike<number>,
  settings: AppearanceSplitSettings = APPEARANCE_SPLIT,
): NovelSplit {
  if (appearance.count !== labels.length)
    throw new RangeError(`appearance split: ${appearance.count} appearance rows for ${labels.length} segments`);
  const { dims, data } = appearance;
  const group = (members: number[], parents: Iterable<number>): Group => {
    const mean = new Float32Array(dims);
    let mass = 0;
    for (const s of members) {
      const w = weights[s]!;
      mass += w;
      for (let d = 0; d < dims; d++) mean[d]! += w * data[s * dims + d]!;
    }
    if (mass > 0) for (let d = 0; d < dims; d++) mean[d]! /= mass;
    return { members, parents: new Set(parents), mean, mass };
  };
  const closest = (s: number, groups: readonly Group[]): number => {
    let best = 0;
    let bestSim = -Infinity;
    groups.forEach((g, i) => {
      const sim = cosine(data, s * dims, g.mean, 0, dims);
      if (sim > bestSim) [best, bestSim] = [i, sim];
    });
    return best;
  };

  let groups: Group[] = [];
  for (let c = 0; c < clusters; c++) {
    if (!novel[c]) continue;
    const pool: number[] = [];
    for (let s = 0; s < labels.length; s++) if (labels[s] === c) pool.push(s);
    if (pool.length === 0) continue;
    groups.push(...splitOne(pool, c));
  }

  function splitOne(pool: number[], parent: number): Group[] {
    const n = pool.length;
    if (n < 2 * settings.minClusterSize) return [group(pool, [parent])];
    const distance = new Float32Array(n * n);
    for (let a = 0; a < n; a++) {
      for (let b = a + 1; b < n; b++)
        distance[a * n + b] = distance[b * n + a] = Math.max(0, 1 - cosine(data, pool[a]! * dims, data, pool[b]! * dims, dims));
    }
    const sub = hdbscan(distance, n, { minClusterSize: settings.minClusterSize, minSamples: settings.minSamples });
    if (sub.clusters < 2) return [group(pool, [parent])];
    const members = Array.from({ length: sub.clusters }, (): number[] => []);
    pool.forEach((s, i) => sub.labels[i]! >= 0 && members[sub.labels[i]!]!.push(s));
    const cores = members.map((m) => group(m, [parent]));
    pool.forEach((s, i) => sub.labels[i]! < 0 && members[closest(s, cores)]!.push(s));
    return members.map((m) => group(m, [parent]));
  }

  // Merge the most similar pair until no pair is similar enough.
  for (;;) {
    let pair: [number, number] | null = null;
    let bestSim = settings.mergeSimilarity;
    for (let i = 0; i < groups.length; i++) {
      for (let j = i + 1; j < groups.length; j++) {
        const sim = cosine(groups[i]!.mean, 0, groups[j]!.mean, 0, dims);
        if (sim >= bestSim) [pair, bestSim] = [[i, j], sim];
      }
    }
    if (!pair) break;
    const [i, j] = pair;
    groups[i] = group([...groups[i]!.members, ...groups[j]!.members], [...groups[i]!.parents, ...groups[j]!.parents]);
    groups.splice(j, 1);
  }

  // Dissolve sub-clusters too small to be a class, smallest first.
  let total = 0;
  for (let s = 0; s < labels.length; s++) if (labels[s]! >= 0) total += weights[s]!;
  for (;;) {
    const small = groups.filter((g) => g.mass < settings.minShare * total).sort((a, b) => a.mass - b.mass)[0];
    if (!small || groups.length < 2) break;
    groups = groups.filter((g) => g !== small);
    const joined = groups.map((g) => ({ members: [...g.members], parents: new Set(g.parents) }));
    for (const s of small.members) {
      const to = joined[closest(s, groups)]!;
      to.members.push(s);
      for (const p of small.parents) to.parents.add(p);
    }
    groups = joined.map((g) => group(g.members, g.parents));
  }

  const out = Int32Array.from(labels);
  groups.forEach((g, j) => g.members.forEach((s) => (out[s] = clusters + j)));
  return { labels: out, parents: groups.map((g) => [...g.parents].sort((a, b) => a - b)), appearance: groups.map((g) => g.mean) };
}
