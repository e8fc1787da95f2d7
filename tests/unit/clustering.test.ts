import { describe, expect, it } from 'vitest';
import { hdbscan } from '../../src/discover/hdbscan.ts';
import { markovClustering } from '../../src/discover/markov-clustering.ts';
import { maximumAssignment } from '../../src/eval/hungarian.ts';

/** Deterministic uniform [0, 1) numbers (a linear congruential generator). */
function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A symmetric n×n matrix from a function of (i, j), i ≠ j; the diagonal stays 0. */
function symmetric(n: number, value: (i: number, j: number) => number): Float32Array {
  const m = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) m[i * n + j] = m[j * n + i] = value(i, j);
  return m;
}

/** Group index of each node for consecutive groups of the given sizes. */
function groupsOf(sizes: number[]): number[] {
  return sizes.flatMap((size, g) => Array<number>(size).fill(g));
}

/** Whether two labelings induce the same partition (labels may be renumbered). */
function samePartition(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  const ab = new Map<number, number>();
  const ba = new Map<number, number>();
  for (let i = 0; i < a.length; i++) {
    if ((ab.get(a[i]!) ?? b[i]) !== b[i] || (ba.get(b[i]!) ?? a[i]) !== a[i]) return false;
    ab.set(a[i]!, b[i]!);
    ba.set(b[i]!, a[i]!);
  }
  return true;
}

function euclidean(points: number[][]): Float32Array {
  return symmetric(points.length, (i, j) => Math.hypot(...points[i]!.map((x, d) => x - points[j]![d]!)));
}

describe('Markov clustering', () => {
  it('finds three cliques joined by weak edges, numbered by first node', () => {
    // Cliques {0..4}, {5..10}, {11..14}, listed out of order to check the numbering.
    const group = [0, 0, 1, 2, 1, 0, 2, 1, 0, 2, 1, 0, 1, 2, 1];
    const n = group.length;
    const affinity = symmetric(n, (i, j) => (group[i] === group[j] ? 1 : (i + j) % 4 === 0 ? 0.05 : 0));
    for (const inflation of [2, 12]) {
      const { labels, clusters, converged } = markovClustering(affinity, n, { inflation });
      expect(converged).toBe(true);
      expect(clusters).toBe(3);
      expect([...labels]).toEqual(group);
    }
  });

  it('splits finer as inflation grows', () => {
    // Four 5-cliques; cliques 0+1 and 2+3 are joined by 0.3 on every pair, the two pairs by 0.01.
    const clique = groupsOf([5, 5, 5, 5]);
    const n = clique.length;
    const affinity = symmetric(n, (i, j) => {
      const a = clique[i]!;
      const b = clique[j]!;
      return a === b ? 1 : a >> 1 === b >> 1 ? 0.3 : 0.01;
    });
    expect([...markovClustering(affinity, n, { inflation: 1.4 }).labels]).toEqual(clique.map((c) => c >> 1));
    expect([...markovClustering(affinity, n, { inflation: 12 }).labels]).toEqual(clique);
    const counts = [1.2, 1.4, 2, 3, 4, 6, 12].map((inflation) => markovClustering(affinity, n, { inflation }).clusters);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
  });

  it('keeps an isolated node as its own cluster', () => {
    const group = groupsOf([4, 4]);
    const n = group.length + 1;
    // Node 4 is inserted between the cliques with no edge at all.
    const groupOf = (i: number) => (i < 4 ? 0 : i === 4 ? -1 : 1);
    const affinity = symmetric(n, (i, j) => (groupOf(i) === -1 || groupOf(j) === -1 ? 0 : groupOf(i) === groupOf(j) ? 0.8 : 0.02));
    const { labels, clusters } = markovClustering(affinity, n);
    expect(clusters).toBe(3);
    expect([...labels]).toEqual([0, 0, 0, 0, 1, 2, 2, 2, 2]);
  });

  it('does not depend on the scale of the affinity', () => {
    const group = groupsOf([6, 3, 5]);
    const random = seededRandom(3);
    const affinity = symmetric(group.length, (i, j) => (group[i] === group[j] ? 0.7 + 0.3 * random() : 0.1 * random()));
    const scaled = affinity.map((a) => a * 1e-3);
    expect([...markovClustering(scaled, group.length).labels]).toEqual([...markovClustering(affinity, group.length).labels]);
    expect([...markovClustering(affinity, group.length).labels]).toEqual(group);
  });

  it('needs pre-inflation on a dense, low-contrast affinity', () => {
    // Noisy blocks of unequal size: 0.85–1 inside, 0.3–0.5 across. A walker leaves a small block
    // far more often than not, so without sharpening the first expansion merges blocks.
    const block = groupsOf([60, 40, 30, 20, 12, 8]);
    const random = seededRandom(5);
    const affinity = symmetric(block.length, (i, j) => (block[i] === block[j] ? 0.85 + 0.15 * random() : 0.3 + 0.2 * random()));
    const plain = markovClustering(affinity, block.length);
    expect(plain.clusters).toBeLessThan(6);
    expect(samePartition(plain.labels, block)).toBe(false);
    expect([...markovClustering(affinity, block.length, { preInflation: 4 }).labels]).toEqual(block);
  });

  it('rejects negative affinities and bad options', () => {
    const affinity = symmetric(3, () => 0.5);
    affinity[1] = -0.1;
    expect(() => markovClustering(affinity, 3)).toThrow(/non-negative/);
    expect(() => markovClustering(new Float32Array(9), 3, { expansion: 1 })).toThrow(/expansion/);
    expect(() => markovClustering(new Float32Array(8), 3)).toThrow(/entries/);
  });

  it('clusters 1500 segments with a dense cosine affinity (timing)', () => {
    // Segment features as NeurNCD builds them: a 9-class distribution weighted by confidence,
    // plus entropy. 9 known classes peak at their class; 4 novel ones spread over two classes.
    const classes = 13;
    const k = 9;
    const n = 1500;
    const random = seededRandom(11);
    const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const truth: number[] = [];
    const features: number[][] = [];
    for (let s = 0; s < n; s++) {
      const c = Math.floor(random() ** 1.3 * classes);
      truth.push(c);
      const logits = Array.from(
        { length: k },
        (_, q) => (c < k ? (q === c ? 5 : 0) : q === (2 * c) % k || q === (5 * c + 1) % k ? 2 : 0) + 0.5 * gauss(),
      );
      const top = Math.max(...logits);
      const e = logits.map((l) => Math.exp(l - top));
      const total = e.reduce((a, b) => a + b);
      const p = e.map((v) => v / total);
      const entropy = -p.reduce((h, q) => h + q * Math.log(q), 0);
      const confidence = 1 - entropy / Math.log(k);
      features.push([...p.map((q) => q * confidence), entropy]);
    }
    const norms = features.map((f) => Math.hypot(...f));
    const affinity = symmetric(n, (i, j) => features[i]!.reduce((dot, x, d) => dot + x * features[j]![d]!, 0) / (norms[i]! * norms[j]!));

    for (const preInflation of [1, 4]) {
      const start = performance.now();
      const { labels, clusters, iterations } = markovClustering(affinity, n, { preInflation });
      const ms = performance.now() - start;
      const majority = new Map<number, Map<number, number>>();
      labels.forEach((l, s) => {
        const votes = majority.get(l) ?? new Map<number, number>();
        votes.set(truth[s]!, (votes.get(truth[s]!) ?? 0) + 1);
        majority.set(l, votes);
      });
      const purity = [...majority.values()].reduce((sum, votes) => sum + Math.max(...votes.values()), 0) / n;
      console.log(
        `MCL n=${n} preInflation=${preInflation}: ${ms.toFixed(0)} ms, ${iterations} iterations, ${clusters} clusters, purity ${purity.toFixed(3)} (${classes} classes)`,
      );
      expect(labels.every((l) => l >= 0 && l < clusters)).toBe(true);
    }
  });
});

/**
 * HDBSCAN straight from the paper's definition, slowly: for each distinct mutual reachability
 * level ε from the top, every live cluster is split into the components joined by edges < ε;
 * parts of minClusterSize or more are clusters, smaller parts fall out. No dendrogram.
 */
function hdbscanByLevels(distance: Float32Array, n: number, minClusterSize: number, minSamples: number): number[] {
  const core = Array.from({ length: n }, (_, i) => {
    const row = Array.from(distance.subarray(i * n, (i + 1) * n));
    row[i] = 0;
    return row.sort((a, b) => a - b)[minSamples - 1]!;
  });
  const reach = (i: number, j: number) => Math.max(distance[i * n + j]!, core[i]!, core[j]!);
  const levels = new Set<number>();
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) levels.add(reach(i, j));
  const components = (points: number[], below: number) => {
    const seen = new Set<number>();
    const out: number[][] = [];
    for (const p of points) {
      if (seen.has(p)) continue;
      const part = [p];
      seen.add(p);
      for (let q = 0; q < part.length; q++) {
        for (const r of points) {
          if (seen.has(r) || reach(part[q]!, r) >= below) continue;
          seen.add(r);
          part.push(r);
        }
      }
      out.push(part);
    }
    return out;
  };
  const clusters = [{ points: [...Array(n).keys()], birth: 0, parent: -1, stability: 0, children: [] as number[] }];
  const fallsOutOf = new Array<number>(n).fill(0);
  let live = [0];
  for (const level of [...levels].sort((a, b) => b - a)) {
    const lambda = 1 / level;
    live = live.flatMap((id) => {
      const c = clusters[id]!;
      const parts = components(c.points, level);
      const big = parts.filter((p) => p.length >= minClusterSize);
      for (const p of parts) if (p.length < minClusterSize) p.forEach((x) => (fallsOutOf[x] = id));
      if (big.length >= 2) {
        c.stability += c.points.length * (lambda - c.birth);
        return big.map((points) => {
          c.children.push(clusters.length);
          return clusters.push({ points, birth: lambda, parent: id, stability: 0, children: [] }) - 1;
        });
      }
      c.stability += (c.points.length - (big[0]?.length ?? 0)) * (lambda - c.birth);
      c.points = big[0] ?? [];
      return big.length === 1 ? [id] : [];
    });
  }
  const selected = new Set<number>();
  const select = (id: number): number => {
    const below = clusters[id]!.children.reduce((sum, child) => sum + select(child), 0);
    if (id === 0 || clusters[id]!.stability < below) return below;
    selected.add(id);
    return clusters[id]!.stability;
  };
  select(0);
  const topSelected = (id: number) => {
    let top = -1;
    for (let c = id; c > 0; c = clusters[c]!.parent) if (selected.has(c)) top = c;
    return top;
  };
  const numbering = new Map<number, number>();
  return fallsOutOf.map((id) => {
    const top = topSelected(id);
    if (top < 0) return -1;
    if (!numbering.has(top)) numbering.set(top, numbering.size);
    return numbering.get(top)!;
  });
}

describe('HDBSCAN', () => {
  it('finds the clusters of a hand-worked line of points', () => {
    // minSamples 2: core distance = distance to the nearest other point: 1 on the groups, 17 for 30.
    // MST edges: six of 1, 3–10 of 7, 13–30 of 17. From the top: 30 falls out of the root at
    // λ = 1/17; at λ = 1/7 the root splits into {0..3} and {10..13} (4 ≥ 3 points each), whose
    // points all fall out at λ = 1: stability 4·(1 − 1/7) = 24/7 each. Both selected; 30 is noise.
    const points = [0, 1, 2, 3, 10, 11, 12, 13, 30].map((x) => [x]);
    const { labels, clusters } = hdbscan(euclidean(points), points.length, { minClusterSize: 3, minSamples: 2 });
    expect(clusters).toBe(2);
    expect([...labels]).toEqual([0, 0, 0, 0, 1, 1, 1, 1, -1]);
  });

  it('keeps a parent cluster when it is more stable than its children (excess of mass)', () => {
    // minSamples 1: mutual reachability is the distance itself. Groups A = 0..4, B = (4 + gap)..,
    // C = 100..104; AB and C are born at λ = 1/90, A and B at λ = 1/gap and die at λ = 1.
    // gap 2:   S(AB) = 10·(1/2 − 1/90) = 4.89 < S(A) + S(B) = 2·5·(1 − 1/2) = 5    → A, B, C.
    // gap 1.5: S(AB) = 10·(2/3 − 1/90) = 6.56 > 2·5·(1 − 2/3) = 3.33            → AB, C.
    const line = (gap: number) => [0, 1, 2, 3, 4, 4 + gap, 5 + gap, 6 + gap, 7 + gap, 8 + gap, 100, 101, 102, 103, 104].map((x) => [x]);
    const split = hdbscan(euclidean(line(2)), 15, { minClusterSize: 3, minSamples: 1 });
    expect([...split.labels]).toEqual(groupsOf([5, 5, 5]));
    const merged = hdbscan(euclidean(line(1.5)), 15, { minClusterSize: 3, minSamples: 1 });
    expect([...merged.labels]).toEqual(groupsOf([10, 5]));
  });

  it('matches the level-by-level definition on random blobs, ties included', () => {
    // With minSamples > 1 many mutual reachability distances tie (they equal a core distance).
    const random = seededRandom(4);
    for (let trial = 0; trial < 60; trial++) {
      const n = 10 + Math.floor(random() * 40);
      const dims = 1 + (trial % 3);
      const centres = Array.from({ length: 1 + (trial % 5) }, () => Array.from({ length: dims }, () => 10 * random()));
      const points = Array.from({ length: n }, () =>
        centres[Math.floor(random() * centres.length)]!.map((x) => x + (random() - 0.5) * (0.5 + 3 * random())),
      );
      const minClusterSize = 2 + (trial % 6);
      const minSamples = 1 + (trial % 4);
      const distance = euclidean(points);
      expect([...hdbscan(distance, n, { minClusterSize, minSamples }).labels]).toEqual(
        hdbscanByLevels(distance, n, minClusterSize, minSamples),
      );
    }
  });

  it('finds blobs of different density and leaves far points as noise', () => {
    const points: number[][] = [];
    const truth: number[] = [];
    const add = (p: number[], label: number) => {
      points.push(p);
      truth.push(label);
    };
    // Interleave blobs and noise so that the numbering by first point is tested too.
    const noise = [
      [30, 30],
      [-30, 25],
      [35, -25],
      [-25, -30],
      [0, -40],
      [45, 5],
    ];
    const random = seededRandom(9);
    for (let i = 0; i < 36; i++) {
      add([10 + 0.2 * (i % 6) + 0.01 * random(), 0.2 * Math.floor(i / 6)], 1); // sparse grid
      if (i < 25) add([0.1 * (i % 5), 0.1 * Math.floor(i / 5) + 0.01 * random()], 0); // dense grid
      if (i < 20) add([0.5 * Math.cos((i * Math.PI) / 10), 10 + 0.5 * Math.sin((i * Math.PI) / 10)], 2); // ring
      if (i < noise.length) add(noise[i]!, -1);
    }
    const { labels, clusters } = hdbscan(euclidean(points), points.length, { minClusterSize: 5 });
    expect(clusters).toBe(3);
    expect(labels.filter((l) => l === -1).length).toBe(noise.length);
    expect(samePartition(labels, truth)).toBe(true);
    expect(labels[0]).toBe(0);
  });

  it('gives all noise below minClusterSize points and rejects a minClusterSize of 1', () => {
    expect([...hdbscan(euclidean([[0], [1]]), 2, { minClusterSize: 3 }).labels]).toEqual([-1, -1]);
    expect(() => hdbscan(euclidean([[0], [1]]), 2, { minClusterSize: 1 })).toThrow(/minClusterSize/);
  });

  it('clusters 2000 points (timing)', () => {
    const random = seededRandom(21);
    const points = Array.from({ length: 2000 }, (_, i) => [(i % 8) * 5 + random(), Math.floor((i % 16) / 8) * 5 + random(), random()]);
    const distance = euclidean(points);
    const start = performance.now();
    const { clusters, labels } = hdbscan(distance, points.length, { minClusterSize: 20 });
    console.log(
      `HDBSCAN n=2000: ${(performance.now() - start).toFixed(0)} ms, ${clusters} clusters, ${labels.filter((l) => l < 0).length} noise`,
    );
    expect(clusters).toBe(16);
  });
});

/** Best total by trying every injective map from the smaller side into the larger. */
function bruteForceBest(score: number[][]): number {
  const rows = score.length;
  const columns = score[0]!.length;
  const small = Math.min(rows, columns);
  const large = Math.max(rows, columns);
  const at = (s: number, l: number) => (rows <= columns ? score[s]![l]! : score[l]![s]!);
  const used = new Array<boolean>(large).fill(false);
  const search = (s: number): number => {
    if (s === small) return 0;
    let best = -Infinity;
    for (let l = 0; l < large; l++) {
      if (used[l]) continue;
      used[l] = true;
      best = Math.max(best, at(s, l) + search(s + 1));
      used[l] = false;
    }
    return best;
  };
  return search(0);
}

describe('Hungarian assignment', () => {
  it('matches brute force on random rectangular matrices', () => {
    const random = seededRandom(17);
    for (let trial = 0; trial < 300; trial++) {
      const rows = 1 + Math.floor(random() * 8);
      const columns = 1 + Math.floor(random() * 8);
      if (rows * columns > 48) continue; // up to 6×8 and 8×6
      // Small integers half the time, so that ties are common.
      const integers = trial % 2 === 0;
      const score = Array.from({ length: rows }, () =>
        Array.from({ length: columns }, () => (integers ? Math.floor(random() * 4) : random() * 100 - 20)),
      );
      const pairs = maximumAssignment(score);
      expect(pairs.length).toBe(Math.min(rows, columns));
      expect(new Set(pairs.map(([r]) => r)).size).toBe(pairs.length);
      expect(new Set(pairs.map(([, c]) => c)).size).toBe(pairs.length);
      expect(pairs.map(([r]) => r)).toEqual([...pairs.map(([r]) => r)].sort((a, b) => a - b));
      const total = pairs.reduce((sum, [r, c]) => sum + score[r]![c]!, 0);
      expect(total).toBeCloseTo(bruteForceBest(score), 9);
    }
  });

  it('returns nothing for an empty matrix and rejects ragged rows', () => {
    expect(maximumAssignment([])).toEqual([]);
    expect(maximumAssignment([[], []])).toEqual([]);
    expect(() => maximumAssignment([[1, 2], [3]])).toThrow(/entries/);
  });
});
