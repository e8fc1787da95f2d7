/**
 * From segment features to classes: one graph of the segments of many views (so one object gets
 * one label from every view), clustered by cosine affinity with Markov clustering (the paper's)
 * or HDBSCAN; a cluster whose mean distribution is confidently one of the segmenter's classes
 * is known, and each of its segments takes its own most probable class (clustering is there to
 * find what the segmenter does not know, not to re-decide what it does: two known classes that
 * fall into one cluster stay apart); the other clusters are novel classes, split further on
 * the segments' appearance when the segmenter gives one (novel-cluster-split.ts). Segments of a
 * known class whose appearance is unlike anything the segmenter was taught as that class
 * (atypical-segments.ts) leave it and form a novel cluster of their own.
 *
 * Affinities are cosines between square roots of the distributions (the Hellinger /
 * Bhattacharyya geometry of probability vectors) with the entropy appended: on raw
 * probabilities the dominant class hides the tail, and the tail is what tells a picture
 * (wall + book) from a window (wall + objects) when the segmenter knows neither.
 *
 * Each new clustering is matched to the last (Hungarian, on shared pixels) so that a class keeps
 * its id, name and colour while training goes on; a novel class that finds no match gets the
 * next free number.
 */
import { maximumAssignment } from '../eval/hungarian.ts';
import { atypicalSegments } from './atypical-segments.ts';
import { hdbscan } from './hdbscan.ts';
import { markovClustering } from './markov-clustering.ts';
import { splitNovelClusters } from './novel-cluster-split.ts';
import { affinity, type SegmentFeatures } from './segment-features.ts';

export const CLUSTERING_ALGORITHMS = ['hdbscan', 'mcl'] as const;
export type ClusteringAlgorithm = (typeof CLUSTERING_ALGORITHMS)[number];

export interface DiscoverySettings {
  algorithm: ClusteringAlgorithm;
  /** MCL inflation: higher splits finer (paper: 12). */
  inflation: number;
  /** MCL: each segment keeps its strongest `neighbours` affinities (a sparse graph clusters faster and cleaner). */
  neighbours: number;
  /** HDBSCAN: the fewest segments a cluster has. */
  minClusterSize: number;
  /**
   * HDBSCAN: a segment's density is measured at its `minSamples`-th nearest neighbour. Below
   * minClusterSize so that a small object seen in few keyframes (a picture: a segment or two in
   * each of five views) is dense enough to stand as a cluster of its own.
   */
  minSamples: number;
  /** A cluster is known when its mean distribution gives one class at least this... */
  confidence: number;
  /**
   * ...and its mean normalised entropy (ε / ln K) stays below this multiple of the median over
   * the graph's segments (and below MAX_KNOWN_ENTROPY): a segmenter can lean to a class it is
   * unsure of. Relative, because the field's entropy falls as it trains and every segmenter has
   * its own scale.
   */
  novelEntropyRatio: number;
  /** Weight of the entropy entry of a feature against the probabilities. */
  entropyWeight: number;
  /** A novel cluster with less than this share of the pixels is not a class: its segments join the nearest class. */
  minNovelShare: number;
}

/** Above this normalised entropy a cluster is never known, even in a scene that is mostly novel. */
export const MAX_KNOWN_ENTROPY = 0.5;

/**
 * Defaults as measured on generated rooms (docs/discovery.md, docs/results.md): HDBSCAN, since MCL at the paper's
 * inflation 12 splits this graph into hundreds of small clusters. A ratio of 1.2 to the median
 * entropy kept uncertain known classes (objects, table) known where a fixed 0.35 had turned them
 * novel. minSamples 3 (instead of HDBSCAN's usual minClusterSize) lets a small object seen in
 * few keyframes stand as a cluster. With features fused across views (view-fused-features.ts)
 * segments of one class gather tightly enough that clusters of at least 12 segments (half the
 * 24 keyframes) and the entropy entry at weight 1 split the novel classes best. Replayed on
 * features dumped from discover runs (rooms 2001, 2002, 3101 at 400-2000 training steps), mIoU
 * against the unfused defaults before (clusters of 8, entropy weight 2): 56.1 -> 74.5 and
 * 58.2 -> 64.2 on 3101 at 2000 and 1000 steps, 85.2 -> 79.9 on 2001 at 1200, 77.5 -> 78.5 on
 * 2002 at 800, 80.8 -> 81.9 on 2001 at 800, 61.3 -> 62.8 on 2002 at 400.
 */
export const DEFAULT_DISCOVERY: DiscoverySettings = {
  algorithm: 'hdbscan',
  inflation: 12,
  neighbours: 12,
  minClusterSize: 12,
  minSamples: 3,
  // Not 0.5: ADE20K gives a room's floor, view after view, floor 0.47, wall 0.31, bed 0.20 with low
  // entropy (room 3502, docs/results.md); a majority rule made that known class new.
  confidence: 0.45,
  novelEntropyRatio: 1.2,
  entropyWeight: 1,
  minNovelShare: 0.005,
};

export interface DiscoveredClass {
  /** Stable id: the segmenter's class index for a known class; K + n - 1 for `novel-n`. */
  id: number;
  name: string;
  known: boolean;
  /** Share of the clustered segments' pixels. */
  share: number;
  /** Discovery update in which the class first appeared (0-based). */
  since: number;
  /** Mean feature of its segments (pixel-weighted), K + 1 entries. */
  prototype: Float32Array;
  /**
   * A novel class split on appearance (novel-cluster-split.ts): its mean appearance, and the
   * clusters of this update it came from (classes that share one were told apart by appearance
   * only, and a segment is placed among them by appearance too).
   */
  appearance?: Float32Array;
  family?: readonly number[];
}

/** A class as the legend, the run's events and metrics.json show it (without its features). */
export interface ClassSummary {
  id: number;
  name: string;
  known: boolean;
  share: number;
  since: number;
}

export function summariseClasses(classes: readonly DiscoveredClass[]): ClassSummary[] {
  return classes.map((c) => ({ id: c.id, name: c.name, known: c.known, share: c.share, since: c.since }));
}

/** What the clustering may use besides the features, per segment (rows in the features' order). */
export interface SegmentCues {
  /**
   * The same segments as the last update's, so that classes are matched to the last update's by
   * shared segments rather than by prototypes (default true).
   */
  sameSegments?: boolean;
  /** Each segment's appearance (segment-appearance.ts): novel clusters are split on it. */
  appearance?: SegmentFeatures;
  /** Each segment's distance to each of the K classes in the segmenter's feature statistics (classDistances()). */
  classDistances?: SegmentFeatures;
}

export interface DiscoveryUpdate {
  /** Index of this update (0-based). */
  update: number;
  classes: DiscoveredClass[];
  /** Class id of each clustered segment. */
  classOfSegment: Int32Array;
  /** Raw clusters before known classes were merged (for diagnostics). */
  clusters: number;
}

export function checkDiscoverySettings(s: DiscoverySettings): void {
  const fail = (name: string, why: string): never => {
    throw new RangeError(`discovery: ${name} ${why}`);
  };
  if (!CLUSTERING_ALGORITHMS.includes(s.algorithm)) fail('algorithm', `must be 'mcl' or 'hdbscan', got ${String(s.algorithm)}`);
  if (!(s.inflation > 1)) fail('inflation', `must be greater than 1, got ${s.inflation}`);
  if (!Number.isInteger(s.neighbours) || s.neighbours < 1) fail('neighbours', `must be a positive integer, got ${s.neighbours}`);
  if (!Number.isInteger(s.minClusterSize) || s.minClusterSize < 2)
    fail('minClusterSize', `must be an integer of at least 2, got ${s.minClusterSize}`);
  if (!Number.isInteger(s.minSamples) || s.minSamples < 1) fail('minSamples', `must be a positive integer, got ${s.minSamples}`);
  if (!(s.confidence > 0 && s.confidence <= 1)) fail('confidence', `must be in (0, 1], got ${s.confidence}`);
  if (!(s.novelEntropyRatio > 0)) fail('novelEntropyRatio', `must be positive, got ${s.novelEntropyRatio}`);
  if (!(s.entropyWeight > 0)) fail('entropyWeight', `must be positive, got ${s.entropyWeight}`);
  if (!(s.minNovelShare >= 0 && s.minNovelShare < 1)) fail('minNovelShare', `must be in [0, 1), got ${s.minNovelShare}`);
}

/** Affinities, each segment keeping its `neighbours` strongest (symmetrised by max). */
function sparseAffinity(f: SegmentFeatures, neighbours: number): Float32Array {
  const n = f.count;
  const full = new Float32Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = i; j < n; j++) full[i * n + j] = full[j * n + i] = Math.max(affinity(f.data, i, f.data, j, f.dims), 0);
  const kept = new Float32Array(n * n);
  const indices = Array.from({ length: n }, (_, j) => j);
  for (let i = 0; i < n; i++) {
    const row = full.subarray(i * n, (i + 1) * n);
    const best = [...indices].sort((a, b) => row[b]! - row[a]!).slice(0, neighbours + 1);
    for (const j of best) kept[i * n + j] = kept[j * n + i] = row[j]!;
  }
  return kept;
}

function affinityDistances(f: SegmentFeatures): Float32Array {
  const n = f.count;
  const d = new Float32Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) d[i * n + j] = d[j * n + i] = Math.max(0, 1 - affinity(f.data, i, f.data, j, f.dims));
  return d;
}

/** Pixel-weighted mean feature of the segments with each label (labels 0..count-1; -1 skipped). */
function prototypes(
  f: SegmentFeatures,
  labels: Int32Array,
  weights: ArrayLike<number>,
  count: number,
): { mean: Float32Array[]; mass: Float64Array } {
  const mean = Array.from({ length: count }, () => new Float32Array(f.dims));
  const mass = new Float64Array(count);
  for (let s = 0; s < f.count; s++) {
    const l = labels[s]!;
    if (l < 0) continue;
    const w = weights[s]!;
    mass[l]! += w;
    for (let d = 0; d < f.dims; d++) mean[l]![d]! += w * f.data[s * f.dims + d]!;
  }
  mean.forEach((m, l) => mass[l]! > 0 && m.forEach((_, d) => (m[d]! /= mass[l]!)));
  return { mean, mass };
}

/** The most probable of the K classes in a feature (or prototype) starting at `at`. */
export function argmaxClass(f: ArrayLike<number>, at: number, k: number): number {
  let best = 0;
  for (let c = 1; c < k; c++) if (f[at + c]! > f[at + best]!) best = c;
  return best;
}

/** Median normalised entropy of the segments (the entropy entry divided by its weight). */
function medianEntropy(f: SegmentFeatures, entropyWeight: number): number {
  if (f.count === 0) return 0;
  const e = Float64Array.from({ length: f.count }, (_, s) => f.data[s * f.dims + f.dims - 1]! / entropyWeight).sort();
  return e[e.length >> 1]!;
}

function nearest(f: Float32Array, fi: number, candidates: Float32Array[], dims: number): number {
  let best = -1;
  let bestSim = -Infinity;
  candidates.forEach((c, i) => {
    const sim = affinity(f, fi, c, 0, dims);
    if (sim > bestSim) [best, bestSim] = [i, sim];
  });
  return best;
}

export class ClassDiscovery {
  private previous: DiscoveryUpdate | null = null;
  private updates = 0;
  private novelCount = 0;

  private current: DiscoverySettings;

  constructor(
    /** The segmenter's class names (K). */
    readonly classNames: readonly string[],
    settings: DiscoverySettings = DEFAULT_DISCOVERY,
  ) {
    checkDiscoverySettings(settings);
    this.current = settings;
  }

  get settings(): DiscoverySettings {
    return this.current;
  }

  /** Other settings from the next update on; classes found so far keep their ids. */
  reconfigure(settings: DiscoverySettings): void {
    checkDiscoverySettings(settings);
    this.current = settings;
  }

  get last(): DiscoveryUpdate | null {
    return this.previous;
  }

  /**
   * Clusters the segments (`weights`: their pixel counts). With `sameSegments` (the segments of
   * the last update, in the same order: the keyframes while the field trains) ids carry over by
   * shared pixels; otherwise (other segments: the next frame of per-frame discovery) classes are
   * matched by their prototypes. With an appearance per segment, novel clusters are split on it
   * (novel-cluster-split.ts); with class distances, atypical segments of known classes become
   * novel (atypical-segments.ts).
   */
  update(features: SegmentFeatures, weights: ArrayLike<number>, cues: SegmentCues = {}): DiscoveryUpdate {
    const { sameSegments = true, appearance, classDistances } = cues;
    const k = this.classNames.length;
    if (features.dims !== k + 1)
      throw new RangeError(`discovery: features have ${features.dims} entries, expected ${k + 1} (K classes + entropy)`);
    const s = this.settings;
    const n = features.count;
    const raw =
      n === 0
        ? { labels: new Int32Array(0), clusters: 0 }
        : s.algorithm === 'mcl'
          ? markovClustering(sparseAffinity(features, s.neighbours), n, { inflation: s.inflation })
          : hdbscan(affinityDistances(features), n, { minClusterSize: s.minClusterSize, minSamples: s.minSamples });
    // HDBSCAN's noise joins the nearest cluster: every segment gets a label.
    let protos = prototypes(features, raw.labels, weights, raw.clusters);
    let labels: Int32Array = Int32Array.from(raw.labels, (l, i) =>
      l >= 0 || raw.clusters === 0 ? l : nearest(features.data, i, protos.mean, features.dims),
    );
    protos = prototypes(features, labels, weights, raw.clusters);
    const total = protos.mass.reduce((a, b) => a + b, 0) || 1;

    // Known or novel; small novel clusters are not classes.
    const entropyLimit = Math.min(MAX_KNOWN_ENTROPY, s.novelEntropyRatio * medianEntropy(features, s.entropyWeight));
    const isKnown = protos.mean.map((m) => m[argmaxClass(m, 0, k)]! >= s.confidence && m[k]! / s.entropyWeight < entropyLimit);
    const kept = protos.mean.map((_, c) => protos.mass[c]! > 0 && (isKnown[c]! || protos.mass[c]! / total >= s.minNovelShare));
    const keptIndex = protos.mean.flatMap((_, c) => (kept[c] ? [c] : []));
    if (keptIndex.length > 0) {
      const keptMeans = keptIndex.map((c) => protos.mean[c]!);
      for (let i = 0; i < n; i++) {
        if (labels[i]! >= 0 && !kept[labels[i]!]) labels[i] = keptIndex[nearest(features.data, i, keptMeans, features.dims)]!;
      }
    }
    // Each known class's atypical segments, when they are enough pixels to be a class, are one
    // more novel cluster.
    let isKnownCluster = [...isKnown];
    const novelCluster = protos.mean.map((_, c) => kept[c]! && !isKnown[c]);
    if (classDistances) {
      if (classDistances.dims !== k) throw new RangeError(`discovery: class distances have ${classDistances.dims} entries, expected ${k}`);
      const knownClassOf = Int32Array.from(labels, (l, i) =>
        l >= 0 && isKnown[l] ? argmaxClass(features.data, i * features.dims, k) : -1,
      );
      const atypical = atypicalSegments(knownClassOf, classDistances, weights);
      const mass = new Float64Array(k);
      atypical.forEach((c, i) => c >= 0 && (mass[c]! += weights[i]!));
      const clusterOf = new Int32Array(k).fill(-1);
      mass.forEach((m, c) => {
        if (m / total < s.minNovelShare) return;
        clusterOf[c] = isKnownCluster.length;
        isKnownCluster.push(false);
        novelCluster.push(true);
      });
      atypical.forEach((c, i) => {
        if (c >= 0 && clusterOf[c]! >= 0) labels[i] = clusterOf[c]!;
      });
    }
    const clusters = isKnownCluster.length;
    // Novel clusters split on appearance: sub-cluster j becomes cluster `clusters + j`, novel.
    let split: ReturnType<typeof splitNovelClusters> | null = null;
    if (appearance) {
      split = splitNovelClusters(labels, clusters, novelCluster, appearance, weights);
      labels = split.labels;
      isKnownCluster = [...isKnownCluster, ...split.parents.map(() => false)];
    }
    const subOf = (cluster: number): number => cluster - clusters;
    // A segment of a known cluster is its own most probable class; a novel cluster is one class.
    const groups: { known: number; sub: number }[] = [];
    const groupOfKnown = new Map<number, number>();
    const groupOfCluster = new Map<number, number>();
    const groupLabels = Int32Array.from(labels, (l, i) => {
      if (l < 0) return -1;
      if (isKnownCluster[l]) {
        const known = argmaxClass(features.data, i * features.dims, k);
        if (!groupOfKnown.has(known)) groupOfKnown.set(known, groups.push({ known, sub: -1 }) - 1);
        return groupOfKnown.get(known)!;
      }
      if (!groupOfCluster.has(l)) groupOfCluster.set(l, groups.push({ known: -1, sub: split ? subOf(l) : -1 }) - 1);
      return groupOfCluster.get(l)!;
    });
    const g = prototypes(features, groupLabels, weights, groups.length);
    const ids = this.assignIds(groups, g.mean, groupLabels, weights, sameSegments && this.previous?.classOfSegment.length === n);

    const classOfSegment = Int32Array.from(groupLabels, (l) => (l >= 0 ? ids[l]! : -1));
    const since = new Map(this.previous?.classes.map((c) => [c.id, c.since]));
    const classes = groups
      .map((grp, i): DiscoveredClass => {
        const id = ids[i]!;
        return {
          id,
          name: grp.known >= 0 ? this.classNames[grp.known]! : `novel-${id - k + 1}`,
          known: grp.known >= 0,
          share: g.mass[i]! / total,
          since: since.get(id) ?? this.updates,
          prototype: g.mean[i]!,
          ...(split && grp.sub >= 0 ? { appearance: split.appearance[grp.sub]!, family: split.parents[grp.sub]! } : {}),
        };
      })
      .sort((a, b) => a.id - b.id);
    const result: DiscoveryUpdate = { update: this.updates++, classes, classOfSegment, clusters: raw.clusters };
    this.previous = result;
    return result;
  }

  /** Ids for this update's groups: known classes by class; novel ones matched to the last update's novel classes. */
  private assignIds(
    groups: readonly { known: number }[],
    means: Float32Array[],
    groupLabels: Int32Array,
    weights: ArrayLike<number>,
    sameSegments: boolean,
  ): number[] {
    const k = this.classNames.length;
    const ids = groups.map((grp) => (grp.known >= 0 ? grp.known : -1));
    const novel = groups.flatMap((grp, i) => (grp.known < 0 ? [i] : []));
    const before = this.previous?.classes.filter((c) => !c.known) ?? [];
    if (novel.length > 0 && before.length > 0) {
      const n = groupLabels.length;
      const score = novel.map((gi) =>
        before.map((c) => {
          if (!sameSegments) return Math.max(affinity(means[gi]!, 0, c.prototype, 0, c.prototype.length), 0);
          let shared = 0;
          for (let i = 0; i < n; i++) if (groupLabels[i] === gi && this.previous!.classOfSegment[i] === c.id) shared += weights[i]!;
          return shared;
        }),
      );
      for (const [row, col] of maximumAssignment(score)) if (score[row]![col]! > 0) ids[novel[row]!] = before[col]!.id;
    }
    for (const gi of novel) if (ids[gi]! < 0) ids[gi] = k + this.novelCount++;
    return ids;
  }
}
