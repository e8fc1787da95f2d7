/**
 * What the segmenter's features look like for each class it knows: the manifest's optional
 * `featureStatistics` (written by tools/segmenter/train.py feature-stats from its training
 * scenes). Per class a mean of the feature output, one shared inverse covariance, and the class's
 * spread (the 95th percentile of its own training patches' Mahalanobis distances).
 *
 * With them a segment's features can be measured against each class in units of that class's
 * spread (Lee et al., NeurIPS 2018: class-conditional Gaussians on a network's features tell
 * apart inputs it never saw). A window the segmenter calls wall with confidence still looks
 * nothing like the walls it was trained on: its distance to wall is several spreads, where real
 * walls sit well inside one.
 */

export interface FeatureStatistics {
  /** Rows of `mean` and entries of `spread`: the manifest's classes, in order. */
  classes: number;
  /** Channels of the feature output. */
  dims: number;
  /** classes x dims, row-major. */
  mean: Float32Array;
  /** dims x dims inverse covariance, symmetric. */
  precision: Float32Array;
  /** Per class, the distance that 95% of its training patches stay within. */
  spread: Float32Array;
}

/** Rows of features (a segment's mean feature per row, say). */
export interface FeatureRows {
  count: number;
  dims: number;
  data: Float32Array;
}

/**
 * Validates the manifest's `featureStatistics` object for `classes` classes; `fail(field,
 * problem)` reports a bad field (and throws).
 */
export function parseFeatureStatistics(
  json: Record<string, unknown>,
  classes: number,
  fail: (field: string, problem: string) => never,
): FeatureStatistics {
  const field = 'featureStatistics';
  const matrix = (name: string, rows: number, cols: number | null): { data: Float32Array; cols: number } => {
    const v = json[name];
    if (!Array.isArray(v) || v.length !== rows)
      return fail(`${field}.${name}`, `must be an array of ${rows} rows, got ${Array.isArray(v) ? v.length : typeof v}`);
    const width = cols ?? (Array.isArray(v[0]) ? v[0].length : 0);
    if (width < 1) return fail(`${field}.${name}[0]`, 'must be a non-empty array of numbers');
    const data = new Float32Array(rows * width);
    v.forEach((row: unknown, r) => {
      if (!Array.isArray(row) || row.length !== width) fail(`${field}.${name}[${r}]`, `must be an array of ${width} numbers`);
      (row as unknown[]).forEach((x, c) => {
        if (typeof x !== 'number' || !Number.isFinite(x))
          fail(`${field}.${name}[${r}][${c}]`, `must be a finite number, got ${JSON.stringify(x)}`);
        data[r * width + c] = x as number;
      });
    });
    return { data, cols: width };
  };
  const mean = matrix('mean', classes, null);
  const dims = mean.cols;
  const precision = matrix('precision', dims, dims).data;
  let largest = 0;
  for (const x of precision) largest = Math.max(largest, Math.abs(x));
  for (let a = 0; a < dims; a++) {
    if (!(precision[a * dims + a]! > 0)) fail(`${field}.precision[${a}][${a}]`, 'must be positive (an inverse covariance)');
    for (let b = a + 1; b < dims; b++) {
      if (Math.abs(precision[a * dims + b]! - precision[b * dims + a]!) > 1e-4 * largest)
        fail(`${field}.precision`, `must be symmetric ([${a}][${b}] != [${b}][${a}])`);
    }
  }
  const rawSpread = json.spread;
  if (!Array.isArray(rawSpread) || rawSpread.length !== classes)
    return fail(`${field}.spread`, `must be an array of ${classes} positive numbers`);
  const spread = Float32Array.from(rawSpread as unknown[], (x, c) => {
    if (typeof x !== 'number' || !(x > 0) || !Number.isFinite(x))
      fail(`${field}.spread[${c}]`, `must be a positive number, got ${JSON.stringify(x)}`);
    return x as number;
  });
  return { classes, dims, mean: mean.data, precision, spread };
}

/**
 * Each row's Mahalanobis distance to each class's mean, in units of that class's spread: one row
 * of `classes` entries per input row (1 = as far as the farthest 5% of the class's own training
 * patches).
 */
export function classDistances(stats: FeatureStatistics, rows: FeatureRows): FeatureRows {
  const { classes, dims, mean, precision, spread } = stats;
  if (rows.dims !== dims) throw new RangeError(`feature statistics are of ${dims} channels, the features have ${rows.dims}`);
  const out = new Float32Array(rows.count * classes);
  const x = new Float64Array(dims);
  for (let s = 0; s < rows.count; s++) {
    for (let c = 0; c < classes; c++) {
      for (let d = 0; d < dims; d++) x[d] = rows.data[s * dims + d]! - mean[c * dims + d]!;
      let q = 0;
      for (let a = 0; a < dims; a++) {
        let t = 0;
        for (let b = 0; b < dims; b++) t += precision[a * dims + b]! * x[b]!;
        q += x[a]! * t;
      }
      out[s * classes + c] = Math.sqrt(Math.max(q, 0)) / spread[c]!;
    }
  }
  return { count: rows.count, dims: classes, data: out };
}
