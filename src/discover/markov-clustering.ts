/**
 * Markov clustering (MCL, van Dongen 2000) of a graph given as a dense symmetric affinity matrix.
 *
 * Flow is simulated on the column-stochastic matrix M (column j = where a random walker at j
 * goes next). Each iteration alternates
 *   - expansion: M ← M^e, walks of e steps, which spreads flow along the graph;
 *   - inflation: every entry raised to the power r, columns renormalised, which boosts strong
 *     flow and starves weak flow.
 * Flow dies on the weak edges between dense regions and the process converges to a matrix in
 * which each column's flow sits on "attractor" nodes; nodes sharing attractors form a cluster.
 * The number of clusters is not given: inflation sets the granularity. Larger r sharpens harder,
 * so flow cannot cross even moderately weak links and clusters come out smaller and more
 * numerous; r → 1 lets expansion win and everything merges. NeurNCD uses r = 12, far beyond
 * the 1.4–6 mcl suggests: only near-identical segment features end up together.
 *
 * Sparsity: the affinity is usually dense (cosine similarity of non-negative features is rarely
 * 0). Every iterate is pruned as mcl does (entries below a threshold dropped, at most
 * `maxEntriesPerColumn` kept per column, renormalised), and so is the input, which mcl does not
 * do: expansion is then a sparse × sparse product costing n·k² for k entries a column instead of
 * the dense n³. On a dense graph this also matters for the result, not only for speed: there a
 * walker leaves its cluster more often than not (many weak edges outweigh a few strong ones),
 * the first expansion blurs every column alike, and MCL can return a single cluster. Keeping
 * each node's strongest edges, or `preInflation` (mcl's -pi), keeps the first expansion local.
 */

export interface MarkovClusteringOptions {
  /** Power applied to every entry after expansion; higher gives more, smaller clusters. */
  inflation?: number;
  /**
   * Power applied to the affinity before the first expansion. 1 (the paper) leaves it as is;
   * values well above 1 sharpen a dense, low-contrast affinity so that clusters do not merge.
   */
  preInflation?: number;
  /** Number of random-walk steps per iteration (the matrix power); an integer ≥ 2. */
  expansion?: number;
  /** Entries of a column-stochastic iterate below this are set to 0. */
  pruneThreshold?: number;
  /** At most this many largest entries are kept in each column (mcl's "selection"). */
  maxEntriesPerColumn?: number;
  maxIterations?: number;
  /** Converged when no entry changes by more than this in one iteration. */
  tolerance?: number;
}

export interface MarkovClusteringResult {
  /** Cluster of each node, 0..clusters-1, numbered in order of each cluster's first node. */
  labels: Int32Array;
  clusters: number;
  /** Expansion–inflation rounds run. */
  iterations: number;
  /** False when maxIterations ran out first; the labels are then read off the last iterate. */
  converged: boolean;
}

/**
 * The paper's inflation and expansion. Pruning: entries under 1e-4 of a column's flow carry
 * nothing visible after a 12th power; 256 entries a column keep n = 2000 near 2 s in Node.
 */
export const NEURNCD_MCL: Required<MarkovClusteringOptions> = {
  inflation: 12,
  preInflation: 1,
  expansion: 2,
  pruneThreshold: 1e-4,
  maxEntriesPerColumn: 256,
  maxIterations: 100,
  tolerance: 1e-6,
};

/** A sparse matrix stored by columns: column j holds rows[start[j]..start[j+1]) and values. */
interface SparseColumns {
  n: number;
  start: Int32Array;
  rows: Int32Array;
  values: Float64Array;
}

/**
 * Clusters the nodes of `affinity` (n×n, row-major, symmetric, non-negative; its diagonal is
 * ignored and replaced by the self-loops MCL needs).
 */
export function markovClustering(affinity: Float32Array, n: number, options: MarkovClusteringOptions = {}): MarkovClusteringResult {
  const settings = { ...NEURNCD_MCL, ...options };
  if (affinity.length !== n * n) throw new Error(`affinity has ${affinity.length} entries, expected ${n}×${n}`);
  if (!Number.isInteger(settings.expansion) || settings.expansion < 2)
    throw new Error(`expansion must be an integer ≥ 2, got ${settings.expansion}`);
  if (!(settings.inflation > 1)) throw new Error(`inflation must be > 1, got ${settings.inflation}`);
  if (!(settings.preInflation > 0)) throw new Error(`preInflation must be > 0, got ${settings.preInflation}`);
  if (!(settings.maxEntriesPerColumn >= 1)) throw new Error(`maxEntriesPerColumn must be ≥ 1, got ${settings.maxEntriesPerColumn}`);

  const pruner = new ColumnPruner(n, settings.pruneThreshold, settings.maxEntriesPerColumn);
  let flow = pruner.run(withSelfLoops(affinity, n), settings.preInflation);
  let iterations = 0;
  let converged = false;
  while (iterations < settings.maxIterations && !converged) {
    let expanded = flow;
    for (let step = 1; step < settings.expansion; step++) expanded = multiply(flow, expanded);
    const next = pruner.run(expanded, settings.inflation);
    converged = largestChange(flow, next) <= settings.tolerance;
    flow = next;
    iterations++;
  }
  return { ...clustersFromFlow(flow), iterations, converged };
}

/**
 * The input as sparse columns, with every node's self-loop set to the largest affinity of its
 * row. Self-loops keep flow from oscillating on bipartite-like structure and let each dense
 * region keep an attractor. Using the row maximum rather than 1 keeps them commensurate with
 * the edges, so scaling the affinity does not change the clustering; an isolated node (no
 * edge at all) gets 1 and so remains its own cluster.
 */
function withSelfLoops(affinity: Float32Array, n: number): SparseColumns {
  const start = new Int32Array(n + 1);
  const loops = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let count = 0;
    for (let i = 0; i < n; i++) {
      const a = affinity[j * n + i]!;
      if (!(a >= 0) || a === Infinity) throw new Error(`affinity[${j}][${i}] = ${a}: must be finite and non-negative`);
      if (i !== j && a > 0) {
        loops[j] = Math.max(loops[j]!, a);
        count++;
      }
    }
    if (loops[j] === 0) loops[j] = 1;
    start[j + 1] = start[j]! + count + 1;
  }
  const rows = new Int32Array(start[n]!);
  const values = new Float64Array(start[n]!);
  let out = 0;
  // The matrix is symmetric, so row j read contiguously is column j.
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      const a = i === j ? loops[j]! : affinity[j * n + i]!;
      if (a > 0) {
        rows[out] = i;
        values[out++] = a;
      }
    }
  }
  return { n, start, rows, values };
}

/**
 * Raises entries to a power, normalises each column to sum 1, prunes and renormalises: the
 * inflation step, and (with the pre-inflation power) how the input becomes stochastic.
 */
class ColumnPruner {
  private readonly column: Float64Array;
  private readonly selection: Float64Array;

  constructor(
    n: number,
    private readonly threshold: number,
    private readonly maxEntries: number,
  ) {
    this.column = new Float64Array(n);
    this.selection = new Float64Array(n);
  }

  run(m: SparseColumns, power: number): SparseColumns {
    const { n } = m;
    const start = new Int32Array(n + 1);
    const capacity = Math.min(m.rows.length, n * this.maxEntries);
    const rows = new Int32Array(capacity);
    const values = new Float64Array(capacity);
    let out = 0;
    for (let j = 0; j < n; j++) {
      const from = m.start[j]!;
      const count = m.start[j + 1]! - from;
      let sum = 0;
      let max = 0;
      for (let e = 0; e < count; e++) {
        const v = power === 1 ? m.values[from + e]! : m.values[from + e]! ** power;
        this.column[e] = v;
        sum += v;
        max = Math.max(max, v);
      }
      // The column's largest entry always survives, so no column loses all its flow.
      let cut = Math.min(this.threshold * sum, max);
      if (count > this.maxEntries) {
        this.selection.set(this.column.subarray(0, count));
        cut = Math.max(cut, kthLargest(this.selection, count, this.maxEntries));
      }
      const columnStart = out;
      let keptSum = 0;
      for (let e = 0; e < count && out - columnStart < this.maxEntries; e++) {
        const v = this.column[e]!;
        if (v >= cut && v > 0) {
          rows[out] = m.rows[from + e]!;
          values[out++] = v;
          keptSum += v;
        }
      }
      for (let e = columnStart; e < out; e++) values[e]! /= keptSum;
      start[j + 1] = out;
    }
    return { n, start, rows: rows.subarray(0, out), values: values.subarray(0, out) };
  }
}

/** The k-th largest of values[0..count), 1 ≤ k ≤ count; reorders values (quickselect). */
function kthLargest(values: Float64Array, count: number, k: number): number {
  const target = k - 1;
  let lo = 0;
  let hi = count - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i]! > pivot) i++;
      while (values[j]! < pivot) j--;
      if (i <= j) {
        const t = values[i]!;
        values[i++] = values[j]!;
        values[j--] = t;
      }
    }
    // Now values[lo..j] ≥ pivot ≥ values[i..hi], and anything between equals the pivot.
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return pivot;
  }
  return values[target]!;
}

/** a · b, column by column: column j of the product is Σ_k b[k][j] · (column k of a). */
function multiply(a: SparseColumns, b: SparseColumns): SparseColumns {
  const { n } = a;
  // Entries are positive, so a zero in the accumulator marks a row not yet seen in this column.
  const accumulator = new Float64Array(n);
  const touchedRows = new Int32Array(n);
  const start = new Int32Array(n + 1);
  let rows = new Int32Array(Math.max(16, b.rows.length * 2));
  let values = new Float64Array(rows.length);
  let out = 0;
  for (let j = 0; j < n; j++) {
    let count = 0;
    for (let e = b.start[j]!; e < b.start[j + 1]!; e++) {
      const k = b.rows[e]!;
      const weight = b.values[e]!;
      for (let f = a.start[k]!; f < a.start[k + 1]!; f++) {
        const i = a.rows[f]!;
        const sum = accumulator[i]!;
        const product = weight * a.values[f]!;
        if (sum === 0) {
          if (product === 0) continue;
          touchedRows[count++] = i;
        }
        accumulator[i] = sum + product;
      }
    }
    if (out + count > rows.length) {
      const size = Math.max(out + count, rows.length * 2);
      rows = grow(rows, new Int32Array(size));
      values = grow(values, new Float64Array(size));
    }
    for (let t = 0; t < count; t++) {
      const i = touchedRows[t]!;
      rows[out] = i;
      values[out++] = accumulator[i]!;
      accumulator[i] = 0;
    }
    start[j + 1] = out;
  }
  return { n, start, rows: rows.subarray(0, out), values: values.subarray(0, out) };
}

function grow<T extends Int32Array | Float64Array>(old: T, bigger: T): T {
  bigger.set(old);
  return bigger;
}

/** Largest |a − b| over all entries (an entry missing from one side counts as 0 there). */
function largestChange(a: SparseColumns, b: SparseColumns): number {
  const dense = new Float64Array(a.n);
  let worst = 0;
  for (let j = 0; j < a.n; j++) {
    for (let e = a.start[j]!; e < a.start[j + 1]!; e++) dense[a.rows[e]!] = a.values[e]!;
    for (let e = b.start[j]!; e < b.start[j + 1]!; e++) {
      const i = b.rows[e]!;
      worst = Math.max(worst, Math.abs(dense[i]! - b.values[e]!));
      dense[i] = 0;
    }
    // What is left belongs to entries of a that b dropped.
    for (let e = a.start[j]!; e < a.start[j + 1]!; e++) {
      worst = Math.max(worst, dense[a.rows[e]!]!);
      dense[a.rows[e]!] = 0;
    }
  }
  return worst;
}

/**
 * Reads clusters off the (converged) flow. Attractors are nodes that keep flow on themselves;
 * attractors that send flow to each other form one attractor system, i.e. one cluster. Every
 * node joins the system receiving most of its flow, so a node split between several clusters
 * goes to the strongest. A node whose flow reaches no attractor (only possible when stopped
 * before convergence) forms its own cluster.
 */
function clustersFromFlow(flow: SparseColumns): { labels: Int32Array; clusters: number } {
  const { n } = flow;
  const isAttractor = new Uint8Array(n);
  for (let j = 0; j < n; j++) {
    for (let e = flow.start[j]!; e < flow.start[j + 1]!; e++) if (flow.rows[e] === j) isAttractor[j] = 1;
  }
  const system = new DisjointSets(n);
  for (let j = 0; j < n; j++) {
    if (!isAttractor[j]) continue;
    for (let e = flow.start[j]!; e < flow.start[j + 1]!; e++) if (isAttractor[flow.rows[e]!]) system.union(j, flow.rows[e]!);
  }

  const flowToSystem = new Float64Array(n);
  const labels = new Int32Array(n);
  const labelOfRoot = new Int32Array(n).fill(-1);
  let clusters = 0;
  for (let j = 0; j < n; j++) {
    let best = j;
    let bestFlow = 0;
    for (let e = flow.start[j]!; e < flow.start[j + 1]!; e++) {
      const i = flow.rows[e]!;
      if (isAttractor[i]) flowToSystem[system.find(i)]! += flow.values[e]!;
    }
    for (let e = flow.start[j]!; e < flow.start[j + 1]!; e++) {
      const i = flow.rows[e]!;
      if (!isAttractor[i]) continue;
      const root = system.find(i);
      // Ties go to the lowest-numbered system, so equal splits are resolved the same way every run.
      if (flowToSystem[root]! > bestFlow || (flowToSystem[root] === bestFlow && root < best)) {
        bestFlow = flowToSystem[root]!;
        best = root;
      }
    }
    for (let e = flow.start[j]!; e < flow.start[j + 1]!; e++) flowToSystem[system.find(flow.rows[e]!)] = 0;
    if (labelOfRoot[best] === -1) labelOfRoot[best] = clusters++;
    labels[j] = labelOfRoot[best]!;
  }
  return { labels, clusters };
}

class DisjointSets {
  private readonly parent: Int32Array;

  constructor(n: number) {
    this.parent = Int32Array.from({ length: n }, (_, i) => i);
  }

  find(x: number): number {
    while (this.parent[x] !== x) {
      this.parent[x] = this.parent[this.parent[x]!]!;
      x = this.parent[x]!;
    }
    return x;
  }

  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    // The smaller index becomes the root so that roots are stable and easy to reason about.
    if (ra < rb) this.parent[rb] = ra;
    else if (rb < ra) this.parent[ra] = rb;
  }
}
