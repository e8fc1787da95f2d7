/**
 * HDBSCAN (Campello, Moulavi & Sander 2013) on a precomputed distance matrix: density-based
 * clusters of varying density, a number of clusters found from the data, and points in sparse
 * regions left as noise (label -1). The second clustering algorithm offered next to MCL.
 *
 *  1. core distance of a point: distance to its minSamples-th nearest neighbour, counting the
 *     point itself (as scikit-learn and the paper do), a local inverse density;
 *  2. mutual reachability max(core(a), core(b), d(a, b)) spreads sparse points away from dense
 *     regions; its minimum spanning tree (Prim on the dense matrix, O(n²)) is the single-linkage
 *     hierarchy of that space;
 *  3. the hierarchy, read from the top with λ = 1/distance (equal distances removed together),
 *     is condensed: a split counts only when at least two parts have minClusterSize points or
 *     more; smaller parts' points simply fall out of the cluster, as noise, at that λ;
 *  4. excess of mass: a cluster's stability is Σ over its points of (λ at which the point
 *     leaves − λ at which the cluster was born); going bottom-up, a cluster is kept when it is
 *     at least as stable as the best selection among its descendants. The root is never kept
 *     (scikit-learn's allow_single_cluster = false), so data with no split at all is all noise.
 *
 * Written here because no npm package fits: hdbscan-ts (1.0.17) takes coordinates with a fixed
 * squared-Euclidean metric rather than a distance matrix, its stability is not the paper's,
 * and it re-scans the points for every tree edge.
 */

export interface HdbscanOptions {
  /** Smallest group of points that counts as a cluster; at least 2. */
  minClusterSize: number;
  /** Neighbours (the point included) that define a point's core distance; default minClusterSize. */
  minSamples?: number;
}

export interface HdbscanResult {
  /** Cluster of each point, 0..clusters-1 in order of each cluster's first point; -1 = noise. */
  labels: Int32Array;
  clusters: number;
}

/** `distance` is n×n, row-major, symmetric and non-negative; its diagonal is taken as 0. */
export function hdbscan(distance: Float32Array, n: number, options: HdbscanOptions): HdbscanResult {
  const { minClusterSize } = options;
  const minSamples = options.minSamples ?? minClusterSize;
  if (distance.length !== n * n) throw new Error(`distance has ${distance.length} entries, expected ${n}×${n}`);
  if (!Number.isInteger(minClusterSize) || minClusterSize < 2)
    throw new Error(`minClusterSize must be an integer ≥ 2, got ${minClusterSize}`);
  if (!Number.isInteger(minSamples) || minSamples < 1) throw new Error(`minSamples must be an integer ≥ 1, got ${minSamples}`);
  for (let i = 0; i < n * n; i++) {
    if (!(distance[i]! >= 0) || distance[i] === Infinity)
      throw new Error(`distance[${Math.floor(i / n)}][${i % n}] = ${distance[i]}: must be finite and non-negative`);
  }
  if (n < minClusterSize) return { labels: new Int32Array(n).fill(-1), clusters: 0 };

  const core = coreDistances(distance, n, Math.min(minSamples, n));
  const tree = singleLinkage(minimumSpanningTree(distance, n, core), n);
  const condensed = condense(tree, n, minClusterSize);
  return label(condensed, selectClusters(condensed), n);
}

function coreDistances(distance: Float32Array, n: number, minSamples: number): Float64Array {
  const core = new Float64Array(n);
  const row = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    row.set(distance.subarray(i * n, (i + 1) * n));
    row[i] = 0;
    core[i] = row.sort()[minSamples - 1]!;
  }
  return core;
}

interface Edge {
  a: number;
  b: number;
  weight: number;
}

/** Prim's algorithm over the complete graph of mutual reachability distances. */
function minimumSpanningTree(distance: Float32Array, n: number, core: Float64Array): Edge[] {
  const inTree = new Uint8Array(n);
  const best = new Float64Array(n).fill(Infinity);
  const from = new Int32Array(n);
  const edges: Edge[] = [];
  let current = 0;
  inTree[0] = 1;
  for (let added = 1; added < n; added++) {
    let next = -1;
    for (let j = 0; j < n; j++) {
      if (inTree[j]) continue;
      const reach = Math.max(distance[current * n + j]!, core[current]!, core[j]!);
      if (reach < best[j]!) {
        best[j] = reach;
        from[j] = current;
      }
      if (next === -1 || best[j]! < best[next]!) next = j;
    }
    edges.push({ a: from[next]!, b: next, weight: best[next]! });
    inTree[next] = 1;
    current = next;
  }
  return edges;
}

/**
 * The single-linkage dendrogram: node ids 0..n-1 are the points, n..2n-2 the merges in order of
 * increasing distance, so the root is 2n-2.
 */
interface Dendrogram {
  left: Int32Array;
  right: Int32Array;
  height: Float64Array;
  size: Int32Array;
}

function singleLinkage(edges: Edge[], n: number): Dendrogram {
  edges.sort((x, y) => x.weight - y.weight);
  const left = new Int32Array(2 * n - 1);
  const right = new Int32Array(2 * n - 1);
  const height = new Float64Array(2 * n - 1);
  const size = new Int32Array(2 * n - 1).fill(1);
  // Union-find whose representative records the dendrogram node standing for the whole set.
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const nodeOf = Int32Array.from({ length: n }, (_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]!]!;
      x = parent[x]!;
    }
    return x;
  };
  edges.forEach((edge, m) => {
    const node = n + m;
    const ra = find(edge.a);
    const rb = find(edge.b);
    left[node] = nodeOf[ra]!;
    right[node] = nodeOf[rb]!;
    height[node] = edge.weight;
    size[node] = size[left[node]!]! + size[right[node]!]!;
    parent[rb] = ra;
    nodeOf[ra] = node;
  });
  return { left, right, height, size };
}

/**
 * The condensed tree. Clusters are numbered in order of birth, so a child always has a larger
 * number than its parent; cluster 0 is the root (all points).
 */
interface CondensedTree {
  parent: number[];
  stability: number[];
  /** The cluster each point finally falls out of. */
  fallsOutOf: Int32Array;
}

function condense(tree: Dendrogram, n: number, minClusterSize: number): CondensedTree {
  const parent = [-1];
  const birth = [0];
  const stability = [0];
  const fallsOutOf = new Int32Array(n);
  // Two equal points would give λ = ∞ and stabilities of ∞ − ∞; a huge finite λ orders the same.
  const lambdaAt = (node: number) => 1 / Math.max(tree.height[node]!, 1e-300);

  const fallOut = (node: number, cluster: number) => {
    const stack = [node];
    while (stack.length > 0) {
      const v = stack.pop()!;
      if (v < n) fallsOutOf[v] = cluster;
      else stack.push(tree.left[v]!, tree.right[v]!);
    }
  };

  // Walk down from the root; each dendrogram node on the stack carries the cluster it belongs to.
  const stack: Array<[node: number, cluster: number]> = [[2 * n - 2, 0]];
  while (stack.length > 0) {
    const [node, cluster] = stack.pop()!;
    const lambda = lambdaAt(node);
    const parts = partsAtSameHeight(tree, node);
    const isBig = (part: number) => tree.size[part]! >= minClusterSize;
    const leaving = (part: number) => tree.size[part]! * (lambda - birth[cluster]!);
    if (parts.filter(isBig).length >= 2) {
      // A true split: every point leaves the cluster now; the big parts are born as new clusters.
      stability[cluster]! += leaving(node);
      for (const part of parts) {
        if (!isBig(part)) {
          fallOut(part, cluster);
          continue;
        }
        parent.push(cluster);
        birth.push(lambda);
        stability.push(0);
        stack.push([part, parent.length - 1]);
      }
    } else {
      for (const part of parts) {
        if (isBig(part)) {
          stack.push([part, cluster]);
          continue;
        }
        stability[cluster]! += leaving(part);
        fallOut(part, cluster);
      }
    }
  }
  return { parent, stability, fallsOutOf };
}

/**
 * What a dendrogram node falls apart into at its height. Edges of equal weight are removed
 * together, as the paper defines it: a binary tree would otherwise split a 3-way tie into two
 * steps at the same λ, and a middle step can create a spurious cluster that lives for no time
 * (two small parts that together reach minClusterSize). Ties are common, since many mutual
 * reachability distances equal some point's core distance.
 */
function partsAtSameHeight(tree: Dendrogram, node: number): number[] {
  const parts: number[] = [];
  const stack = [tree.left[node]!, tree.right[node]!];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (tree.size[v]! > 1 && tree.height[v] === tree.height[node]) stack.push(tree.left[v]!, tree.right[v]!);
    else parts.push(v);
  }
  return parts;
}

/** Excess of mass: the clusters whose stability beats that of any selection below them. */
function selectClusters(tree: CondensedTree): Uint8Array {
  const count = tree.parent.length;
  const selected = new Uint8Array(count);
  const bestBelow = new Float64Array(count);
  // Children are numbered after their parent, so counting down visits them first.
  for (let c = count - 1; c >= 1; c--) {
    // Ties keep the larger cluster, as scikit-learn does; a leaf has nothing below (0).
    selected[c] = tree.stability[c]! >= bestBelow[c]! ? 1 : 0;
    bestBelow[tree.parent[c]!]! += Math.max(tree.stability[c]!, bestBelow[c]!);
  }
  // Keep only the topmost selected cluster on every path from the root.
  for (let c = 1; c < count; c++) {
    for (let a = tree.parent[c]!; a > 0; a = tree.parent[a]!) {
      if (selected[a]) {
        selected[c] = 0;
        break;
      }
    }
  }
  return selected;
}

function label(tree: CondensedTree, selected: Uint8Array, n: number): HdbscanResult {
  // Each cluster's owner is its selected ancestor (or itself); points of an unowned cluster are noise.
  const owner = new Int32Array(tree.parent.length).fill(-1);
  for (let c = 1; c < tree.parent.length; c++) owner[c] = selected[c] ? c : owner[tree.parent[c]!]!;
  const labels = new Int32Array(n);
  const labelOf = new Map<number, number>();
  for (let p = 0; p < n; p++) {
    const c = owner[tree.fallsOutOf[p]!]!;
    if (c === -1) {
      labels[p] = -1;
      continue;
    }
    if (!labelOf.has(c)) labelOf.set(c, labelOf.size);
    labels[p] = labelOf.get(c)!;
  }
  return { labels, clusters: labelOf.size };
}
