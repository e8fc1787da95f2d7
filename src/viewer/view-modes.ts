/**
 * The viewer's view modes: one rendered view of the field (src/field/view-renderer.ts) turned into
 * RGBA pixels that the viewer uploads as a texture. Pure functions of the view and of what the
 * caller knows beyond it (class colours, the discovered class map, ground truth, the photo, a PCA
 * basis), so that every mode can be tested, and run in a worker, without a DOM or a GPU.
 *
 * Continuous quantities use perceptual colour maps whose luminance rises monotonically (viridis,
 * inferno, magma), so that brighter always means more (nearer, more uncertain, more wrong), also
 * for readers who do not see colour.
 */
import { seededUniform } from '../math/seeded-uniform.ts';
import { rgb as parseColour } from 'd3-color';
import { interpolateInferno, interpolateMagma, interpolateViridis } from 'd3-scale-chromatic';
import type { RenderedView } from '../field/view-renderer.ts';

/** What the modes read of a rendered view (per-pixel arrays row-major, top row first). */
export type ViewImage = Pick<RenderedView, 'width' | 'height' | 'k' | 'rgb' | 'depth' | 'opacity' | 'probs' | 'entropyNormalised'>;

export type Rgb8 = [number, number, number];

export const VIEW_MODES = [
  { id: 'rgb', label: 'RGB' },
  { id: 'depth', label: 'Depth' },
  { id: 'semantics', label: 'Known classes' },
  { id: 'entropy', label: 'Entropy' },
  { id: 'classes', label: 'Novel classes' },
  { id: 'pca', label: 'Embedding PCA' },
  { id: 'ground-truth', label: 'Ground truth' },
  { id: 'error', label: 'Error vs photo' },
] as const satisfies readonly { id: string; label: string }[];

export type ViewMode = (typeof VIEW_MODES)[number]['id'];

export function isViewMode(id: string): id is ViewMode {
  return VIEW_MODES.some((m) => m.id === id);
}

/** The three principal components of the per-pixel embedding and the range each maps onto 0..255. */
export interface PcaBasis {
  /** Mean of the (per-pixel centred) log-probabilities, k. */
  mean: Float32Array;
  /** Three unit vectors of length k, one after the other (3 * k). */
  components: Float32Array;
  /** 2nd percentile of the projections on each component: maps to 0. */
  low: [number, number, number];
  /** 98th percentile of the projections on each component: maps to 255. */
  high: [number, number, number];
}

/** What a mode needs beyond the view. */
export interface ViewModeContext {
  /** Colour of a class id: known ids are segmenter indices 0..k-1, novel ids >= k. Negative ids are never asked for. */
  classColour(id: number): Rgb8;
  /** Per-pixel class id (known and novel; -1 for nothing), for 'classes'. */
  classes?: Int32Array;
  /** The scan's labels for this view (0 is void), for 'ground-truth'. */
  groundTruth?: { labels: Uint16Array; colour(id: number): Rgb8 };
  /** The scan's photo at this view, sRGB 0..1, 3 per pixel, for 'error'. */
  photo?: Float32Array;
  /** From `fitPca`, for 'pca'. */
  pca?: PcaBasis;
}

/** Class id -1, "nothing": dark grey rather than black so that it stays apart from empty space. */
export const NOTHING_COLOUR: Readonly<Rgb8> = [48, 48, 48];
/** Pixels with no depth (empty space). */
export const DEPTH_BACKGROUND: Readonly<Rgb8> = [0, 0, 0];

/** Below this opacity a pixel's depth is mostly the background's absence: too unreliable to divide by. */
const DEPTH_MIN_OPACITY = 0.05;
/** The fixed top of the error scale: a mean channel error of 0.5 is already completely wrong. */
const ERROR_SCALE = 0.5;
/** Pixels that PCA samples: those the field holds a surface at. */
const PCA_MIN_OPACITY = 0.5;
/** Floor of the probabilities before the log, so that a zero probability stays finite. */
const PCA_MIN_PROB = 1e-6;

/** 256 colours of a d3 interpolator, so that a pixel costs a lookup rather than a CSS parse. */
function lookupTable(interpolate: (t: number) => string): Uint8Array {
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const c = parseColour(interpolate(i / 255));
    lut[3 * i] = c.r;
    lut[3 * i + 1] = c.g;
    lut[3 * i + 2] = c.b;
  }
  return lut;
}

const VIRIDIS = lookupTable(interpolateViridis);
const INFERNO = lookupTable(interpolateInferno);
const MAGMA = lookupTable(interpolateMagma);

/** Writes the colour map's colour of `t` (clamped to 0..1; NaN as 0) at pixel `i`. */
function mapColour(out: Uint8ClampedArray, i: number, lut: Uint8Array, t: number): void {
  const j = 3 * Math.round(255 * (t > 0 ? (t < 1 ? t : 1) : 0));
  out[4 * i] = lut[j]!;
  out[4 * i + 1] = lut[j + 1]!;
  out[4 * i + 2] = lut[j + 2]!;
  out[4 * i + 3] = 255;
}

function setPixel(out: Uint8ClampedArray, i: number, c: Readonly<Rgb8>, scale = 1): void {
  out[4 * i] = c[0] * scale;
  out[4 * i + 1] = c[1] * scale;
  out[4 * i + 2] = c[2] * scale;
  out[4 * i + 3] = 255;
}

/** The q-quantile (0..1) of ascending `sorted`, linearly interpolated between ranks (as d3.quantile). */
function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

function checkLength(mode: ViewMode | 'similar', what: string, array: ArrayLike<number>, expected: number): void {
  if (array.length !== expected) throw new Error(`view mode '${mode}': ${what} has ${array.length} values, expected ${expected}`);
}

/**
 * RGBA (width * height * 4, row-major, top row first, alpha 255) of `view` in `mode`. Throws, naming
 * the mode, when the context lacks what the mode needs.
 */
export function renderViewMode(mode: ViewMode, view: ViewImage, context: ViewModeContext): Uint8ClampedArray {
  const n = view.width * view.height;
  const out = new Uint8ClampedArray(n * 4);
  switch (mode) {
    case 'rgb': {
      checkLength(mode, 'rgb', view.rgb, 3 * n);
      for (let i = 0; i < n; i++) {
        // Uint8ClampedArray clamps to 0..255 and rounds.
        out[4 * i] = view.rgb[3 * i]! * 255;
        out[4 * i + 1] = view.rgb[3 * i + 1]! * 255;
        out[4 * i + 2] = view.rgb[3 * i + 2]! * 255;
        out[4 * i + 3] = 255;
      }
      return out;
    }
    case 'depth':
      return renderDepth(view, out);
    case 'semantics': {
      checkLength(mode, 'probs', view.probs, view.k * n);
      checkLength(mode, 'opacity', view.opacity, n);
      for (let i = 0; i < n; i++) {
        const c = argmax(view.probs, i * view.k, view.k);
        // Towards black with the transmittance: the field's class in empty space means nothing.
        setPixel(out, i, c < 0 ? NOTHING_COLOUR : context.classColour(c), clamp01(view.opacity[i]!));
      }
      return out;
    }
    case 'entropy': {
      checkLength(mode, 'entropyNormalised', view.entropyNormalised, n);
      // A fixed 0..1 scale rather than this view's range: the same colour means the same
      // uncertainty in every frame, so that the user sees it fall as training goes on.
      for (let i = 0; i < n; i++) mapColour(out, i, INFERNO, view.entropyNormalised[i]!);
      return out;
    }
    case 'classes': {
      const classes = context.classes;
      if (!classes) throw new Error(`view mode 'classes': no class map for this view yet (classes have not been discovered)`);
      checkLength(mode, 'class map', classes, n);
      for (let i = 0; i < n; i++) {
        const c = classes[i]!;
        setPixel(out, i, c < 0 ? NOTHING_COLOUR : context.classColour(c));
      }
      return out;
    }
    case 'pca': {
      const basis = context.pca;
      if (!basis) throw new Error(`view mode 'pca': no PCA basis (fit one with fitPca first)`);
      return renderPca(view, basis, out);
    }
    case 'ground-truth': {
      const gt = context.groundTruth;
      if (!gt) throw new Error(`view mode 'ground-truth': this scan has no ground-truth labels`);
      checkLength(mode, 'ground-truth labels', gt.labels, n);
      const VOID: Rgb8 = [0, 0, 0];
      for (let i = 0; i < n; i++) {
        const id = gt.labels[i]!;
        setPixel(out, i, id === 0 ? VOID : gt.colour(id));
      }
      return out;
    }
    case 'error': {
      const photo = context.photo;
      if (!photo) throw new Error(`view mode 'error': no photo to compare with (only training views have one)`);
      checkLength(mode, 'rgb', view.rgb, 3 * n);
      checkLength(mode, 'photo', photo, 3 * n);
      // A fixed scale rather than this view's range: a view that is nearly right should look dark,
      // not have its small errors stretched to full brightness.
      for (let i = 0; i < n; i++) {
        const e =
          (Math.abs(view.rgb[3 * i]! - photo[3 * i]!) +
            Math.abs(view.rgb[3 * i + 1]! - photo[3 * i + 1]!) +
            Math.abs(view.rgb[3 * i + 2]! - photo[3 * i + 2]!)) /
          3;
        mapColour(out, i, MAGMA, e / ERROR_SCALE);
      }
      return out;
    }
    default: {
      const unknown: never = mode;
      throw new Error(`unknown view mode '${String(unknown)}'`);
    }
  }
}

/** Mean over pixels and channels of |rendered - photo| (sRGB 0..1, 3 per pixel). */
export function meanAbsoluteError(rendered: ArrayLike<number>, photo: ArrayLike<number>): number {
  if (rendered.length !== photo.length)
    throw new Error(`meanAbsoluteError: ${rendered.length} rendered values against ${photo.length} in the photo`);
  if (rendered.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < rendered.length; i++) sum += Math.abs(rendered[i]! - photo[i]!);
  return sum / rendered.length;
}

function clamp01(x: number): number {
  return x > 0 ? (x < 1 ? x : 1) : 0;
}

/** Index of the largest of `count` values from `offset` (the first on ties), -1 when count is 0. */
export function argmax(values: Float32Array, offset: number, count: number): number {
  let best = -1;
  let bestValue = -Infinity;
  for (let c = 0; c < count; c++) {
    const v = values[offset + c]!;
    if (v > bestValue) {
      bestValue = v;
      best = c;
    }
  }
  return best;
}

function renderDepth(view: ViewImage, out: Uint8ClampedArray): Uint8ClampedArray {
  const n = view.width * view.height;
  checkLength('depth', 'depth', view.depth, n);
  checkLength('depth', 'opacity', view.opacity, n);
  // The renderer's depth is sum w_i t_i, which shrinks with the opacity; dividing gives the depth
  // of the surface the pixel sees. Where little is opaque that ratio is noise, so it is background.
  const surface = new Float32Array(n).fill(NaN);
  const valid: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = view.opacity[i]!;
    if (!(a > DEPTH_MIN_OPACITY)) continue;
    const d = view.depth[i]! / a;
    if (!Number.isFinite(d)) continue;
    surface[i] = d;
    valid.push(d);
  }
  // The 2nd..98th percentiles rather than min..max: a few floaters (stray density near the camera
  // early in training) or far outliers would otherwise take up most of the colour map and leave
  // the scene itself in a couple of shades.
  const sorted = Float64Array.from(valid).sort();
  const near = quantileSorted(sorted, 0.02);
  const far = quantileSorted(sorted, 0.98);
  const range = far - near;
  for (let i = 0; i < n; i++) {
    const d = surface[i]!;
    if (Number.isNaN(d)) setPixel(out, i, DEPTH_BACKGROUND);
    // Near is bright: viridis' luminance rises with t, and what is close matters most to the eye.
    else mapColour(out, i, VIRIDIS, range > 0 ? 1 - (d - near) / range : 0.5);
  }
  return out;
}

/**
 * The embedding features of pixel `i` into `x` (k): log-probabilities, centred over the classes.
 * The field renders softmax(logits), and log softmax(l) = l - logsumexp(l): the logits up to a
 * per-pixel constant. Removing each pixel's mean removes that constant exactly, so PCA sees the
 * embedding itself and not how peaked each pixel's distribution is (which would otherwise take a
 * component of its own along the all-ones direction).
 */
function embeddingOf(probs: Float32Array, i: number, k: number, x: Float64Array): void {
  let mean = 0;
  for (let c = 0; c < k; c++) {
    const v = Math.log(Math.max(probs[i * k + c]!, PCA_MIN_PROB));
    x[c] = v;
    mean += v;
  }
  mean /= k;
  for (let c = 0; c < k; c++) x[c] = x[c]! - mean;
}

/**
 * The three principal components of the per-pixel embedding of `view`, over a deterministic
 * subsample (`samples`, default 4096, drawn with `seed`) of its opaque pixels (opacity > 0.5); all
 * pixels when none is opaque yet (early in training), so that the mode still shows something.
 * Components are unit vectors, each with its largest-magnitude entry positive so that refitting on
 * similar data keeps the colours; a component the data does not span is zero.
 */
export function fitPca(view: ViewImage, options: { samples?: number; seed?: number } = {}): PcaBasis {
  const { k } = view;
  const n = view.width * view.height;
  const samples = Math.max(1, Math.floor(options.samples ?? 4096));
  if (k < 1) throw new Error('fitPca: the view has no classes');
  if (view.probs.length !== k * n) throw new Error(`fitPca: probs has ${view.probs.length} values, expected ${k * n}`);
  if (view.opacity.length !== n) throw new Error(`fitPca: opacity has ${view.opacity.length} values, expected ${n}`);

  let pool: number[] = [];
  for (let i = 0; i < n; i++) if (view.opacity[i]! > PCA_MIN_OPACITY) pool.push(i);
  if (pool.length === 0) pool = Array.from({ length: n }, (_, i) => i);
  if (pool.length === 0) throw new Error('fitPca: the view has no pixels');
  // A seeded partial Fisher-Yates shuffle: a uniform subsample of the opaque pixels, the same each run.
  const rand = seededUniform(options.seed ?? 0x5eed);
  const m = Math.min(samples, pool.length);
  if (m < pool.length)
    for (let j = 0; j < m; j++) {
      const r = j + Math.floor(rand() * (pool.length - j));
      [pool[j], pool[r]] = [pool[r]!, pool[j]!];
    }
  const chosen = pool.slice(0, m);

  const data = new Float64Array(m * k);
  const x = new Float64Array(k);
  const mean = new Float64Array(k);
  chosen.forEach((pixel, s) => {
    embeddingOf(view.probs, pixel, k, x);
    data.set(x, s * k);
    for (let c = 0; c < k; c++) mean[c] = mean[c]! + x[c]!;
  });
  for (let c = 0; c < k; c++) mean[c] = mean[c]! / m;
  for (let s = 0; s < m; s++) for (let c = 0; c < k; c++) data[s * k + c] = data[s * k + c]! - mean[c]!;

  // k x k covariance: k is small (the segmenter's classes), so this is cheap next to the sampling.
  const cov = new Float64Array(k * k);
  for (let s = 0; s < m; s++) {
    const row = s * k;
    for (let a = 0; a < k; a++) {
      const xa = data[row + a]!;
      if (xa === 0) continue;
      for (let b = a; b < k; b++) cov[a * k + b] = cov[a * k + b]! + xa * data[row + b]!;
    }
  }
  for (let a = 0; a < k; a++)
    for (let b = a; b < k; b++) {
      const v = cov[a * k + b]! / m;
      cov[a * k + b] = v;
      cov[b * k + a] = v;
    }

  const components = powerIterationComponents(cov, k, 3);

  const low: [number, number, number] = [0, 0, 0];
  const high: [number, number, number] = [0, 0, 0];
  const projections = new Float64Array(m);
  for (let p = 0; p < 3; p++) {
    for (let s = 0; s < m; s++) {
      let dot = 0;
      for (let c = 0; c < k; c++) dot += data[s * k + c]! * components[p * k + c]!;
      projections[s] = dot;
    }
    projections.sort();
    // Percentiles rather than extremes, for the same reason as the depth range: a few outlying
    // pixels must not wash out the colours of all the others.
    low[p] = quantileSorted(projections, 0.02);
    high[p] = quantileSorted(projections, 0.98);
  }
  return { mean: Float32Array.from(mean), components: Float32Array.from(components), low, high };
}

/**
 * The leading `count` eigenvectors of symmetric positive semi-definite `matrix` (k x k, modified:
 * deflated), by power iteration with deflation. Each iterate is also kept orthogonal to the vectors
 * already found, so that rounding in the deflation cannot bring a found direction back.
 */
function powerIterationComponents(matrix: Float64Array, k: number, count: number): Float64Array {
  const out = new Float64Array(count * k);
  // Eigenvalues below this share of the largest are rounding noise: the data has fewer directions.
  let trace = 0;
  for (let a = 0; a < k; a++) trace += matrix[a * k + a]!;
  const negligible = 1e-12 * Math.max(trace, Number.MIN_VALUE);
  const rand = seededUniform(0x9ca);
  let v = new Float64Array(k);
  let w = new Float64Array(k);
  for (let p = 0; p < count; p++) {
    // A pseudo-random start: a fixed one such as all ones would be orthogonal to every component of
    // centred log-probabilities (their entries sum to zero) and never converge.
    for (let c = 0; c < k; c++) v[c] = rand() - 0.5;
    if (!orthonormalise(v, out, p, k)) continue;
    let spanned = true;
    for (let iter = 0; iter < 1000 && spanned; iter++) {
      multiply(matrix, v, w, k);
      spanned = orthonormalise(w, out, p, k);
      if (!spanned) break;
      let change = 0;
      for (let c = 0; c < k; c++) change = Math.max(change, Math.abs(w[c]! - v[c]!));
      [v, w] = [w, v];
      if (change < 1e-10) break;
    }
    if (!spanned) continue;
    multiply(matrix, v, w, k);
    let lambda = 0;
    for (let c = 0; c < k; c++) lambda += v[c]! * w[c]!;
    if (!(lambda > negligible)) continue;
    // Sign: the largest-magnitude entry positive (the first such on ties), so the colours do not
    // flip between fits of nearly the same data.
    let big = 0;
    for (let c = 1; c < k; c++) if (Math.abs(v[c]!) > Math.abs(v[big]!) + 1e-12) big = c;
    const sign = v[big]! < 0 ? -1 : 1;
    for (let c = 0; c < k; c++) out[p * k + c] = sign * v[c]!;
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) matrix[a * k + b] = matrix[a * k + b]! - lambda * v[a]! * v[b]!;
  }
  return out;
}

function multiply(matrix: Float64Array, v: Float64Array, out: Float64Array, k: number): void {
  for (let a = 0; a < k; a++) {
    let s = 0;
    for (let b = 0; b < k; b++) s += matrix[a * k + b]! * v[b]!;
    out[a] = s;
  }
}

/** Removes from `v` the first `found` vectors of `basis` and normalises it; false when nothing is left. */
function orthonormalise(v: Float64Array, basis: Float64Array, found: number, k: number): boolean {
  for (let p = 0; p < found; p++) {
    let dot = 0;
    for (let c = 0; c < k; c++) dot += v[c]! * basis[p * k + c]!;
    for (let c = 0; c < k; c++) v[c] = v[c]! - dot * basis[p * k + c]!;
  }
  let norm = 0;
  for (let c = 0; c < k; c++) norm += v[c]! * v[c]!;
  norm = Math.sqrt(norm);
  if (!(norm > 1e-150)) return false;
  for (let c = 0; c < k; c++) v[c] = v[c]! / norm;
  return true;
}

function renderPca(view: ViewImage, basis: PcaBasis, out: Uint8ClampedArray): Uint8ClampedArray {
  const { k } = view;
  const n = view.width * view.height;
  if (basis.mean.length !== k || basis.components.length !== 3 * k)
    throw new Error(`view mode 'pca': the PCA basis is for ${basis.mean.length} classes, the view has ${k} (refresh the basis)`);
  checkLength('pca', 'probs', view.probs, k * n);
  checkLength('pca', 'opacity', view.opacity, n);
  const x = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    embeddingOf(view.probs, i, k, x);
    const alpha = clamp01(view.opacity[i]!);
    for (let p = 0; p < 3; p++) {
      let dot = 0;
      for (let c = 0; c < k; c++) dot += (x[c]! - basis.mean[c]!) * basis.components[p * k + c]!;
      const span = basis.high[p]! - basis.low[p]!;
      const t = span > 0 ? clamp01((dot - basis.low[p]!) / span) : 0.5;
      // Towards black with the transmittance, as in 'semantics': empty space has no embedding to show.
      out[4 * i + p] = 255 * t * alpha;
    }
    out[4 * i + 3] = 255;
  }
  return out;
}

/** Pixel `i`'s embedding (centred log-probabilities, as PCA and the inspector show it). */
export function pixelEmbedding(view: Pick<ViewImage, 'k' | 'probs'>, i: number): Float64Array {
  const x = new Float64Array(view.k);
  embeddingOf(view.probs, i, view.k, x);
  return x;
}

/**
 * Cosine similarity of every pixel's embedding to `target` (a `pixelEmbedding`), negatives as 0:
 * the inspector's "similar" view. Centred logits point one way for every pixel of a class and
 * elsewhere for other classes, so the map separates objects without a stretch; the probabilities
 * themselves would not (two distributions that are mostly one class each still have a cosine
 * near 1 once their tails are counted).
 */
export function similarityMap(view: Pick<ViewImage, 'width' | 'height' | 'k' | 'probs'>, target: Float64Array): Float32Array {
  const { k } = view;
  const n = view.width * view.height;
  if (target.length !== k) throw new Error(`similar view: the clicked embedding has ${target.length} entries, the view ${k}`);
  checkLength('similar', 'probs', view.probs, k * n);
  let targetNorm = 0;
  for (let c = 0; c < k; c++) targetNorm += target[c]! * target[c]!;
  const x = new Float64Array(k);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    embeddingOf(view.probs, i, k, x);
    let dot = 0;
    let norm = 0;
    for (let c = 0; c < k; c++) {
      dot += x[c]! * target[c]!;
      norm += x[c]! * x[c]!;
    }
    out[i] = norm > 0 && targetNorm > 0 ? Math.max(0, dot / Math.sqrt(norm * targetNorm)) : 0;
  }
  return out;
}

/**
 * A heat map of values in 0..1 (the inspector's "similar" view), on the entropy mode's colour
 * map so that bright means "more".
 */
export function renderHeatMap(values: Float32Array, width: number, height: number): Uint8ClampedArray {
  if (values.length !== width * height) throw new Error(`heat map: ${values.length} values for a ${width}x${height} view`);
  const out = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < values.length; i++) mapColour(out, i, INFERNO, clamp01(values[i]!));
  return out;
}
