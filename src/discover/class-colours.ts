/**
 * Colours of classes in label images and the viewer: categorical schemes from d3-scale-chromatic,
 * known classes by id from one set of schemes, novel classes from another (saturated, so that a
 * discovered class stands out among the known ones). Nothing (id < 0, or void 0 in ground truth)
 * is black.
 */
import { rgb } from 'd3-color';
import { schemeDark2, schemePaired, schemeSet3, schemeTableau10 } from 'd3-scale-chromatic';

export type Rgb8 = [number, number, number];

const toRgb = (css: string): Rgb8 => {
  const c = rgb(css);
  return [c.r, c.g, c.b];
};
const KNOWN: readonly Rgb8[] = [...schemeTableau10, ...schemeSet3, ...schemePaired].map(toRgb);
const NOVEL: readonly Rgb8[] = [...schemeDark2].map(toRgb);
const NOTHING: Rgb8 = [0, 0, 0];

/** The colour of known class `id` (dataset ids for ground truth: 0 is void). */
export function knownColour(id: number, voidIsZero = false): Rgb8 {
  if (id < 0 || (voidIsZero && id === 0)) return NOTHING;
  return KNOWN[id % KNOWN.length]!;
}

/** The colour of the n-th novel class (0-based). */
export function novelColour(n: number): Rgb8 {
  return n < 0 ? NOTHING : NOVEL[n % NOVEL.length]!;
}

/**
 * The colour of a discovered class: a known one (segmenter index < K) takes its ground-truth
 * class's colour (`toScanId`, the scan id of each segmenter class, -1 where none), so that it
 * matches the ground truth; a novel one (id >= K) a novel colour.
 */
export function discoveredColour(id: number, toScanId: ArrayLike<number>): Rgb8 {
  const k = toScanId.length;
  if (id < 0) return NOTHING;
  if (id >= k) return novelColour(id - k);
  return knownColour(toScanId[id]! >= 0 ? toScanId[id]! : id);
}
