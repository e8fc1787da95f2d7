/**
 * The field's semantic supervision per pixel: a class distribution, packed into two words so that
 * a whole scan's targets fit one storage binding whatever the class count. Storing K floats per
 * pixel does not fit (200 frames at 320x240 with K = 9 is 553 MB; the default binding limit is
 * 128 MiB); two words per pixel is 123 MB for that scan.
 *
 * Packing: the four most probable classes as u8 ids (255 = none) and their probabilities as
 * unorm8; the rest of the mass is spread evenly over the other classes. A segmenter's distribution
 * keeps what the field needs from it, its argmax and (closely) its entropy: on a novel-class pixel
 * the default model spreads over a few classes, and the tail beyond four is small and near-flat.
 * ray-sampler.wgsl unpacks it into target logits ln p (floored, see there).
 */
import type { FeatureMap } from '../segment/feature-query.ts';

export const TARGET_WORDS_PER_PIXEL = 2;
/** Class ids are bytes, 255 marking an unused slot. */
export const MAX_TARGET_CLASSES = 255;
const NONE = 255;
const SLOTS = 4;

/** Where the targets come from. */
export type SemanticTargets =
  /** Ground-truth labels: one-hot on the known classes (channel = index in the list), uniform elsewhere. */
  | { from: 'labels'; knownClasses: readonly number[] }
  /** A segmenter's outputs, already packed (packLogitTargets), TARGET_WORDS_PER_PIXEL words per pixel of the uploaded frames in order. */
  | { from: 'packed'; classes: number; words: Uint32Array };

export function targetClasses(targets: SemanticTargets): number {
  const k = targets.from === 'labels' ? targets.knownClasses.length : targets.classes;
  if (!Number.isInteger(k) || k < 1 || k > MAX_TARGET_CLASSES)
    throw new RangeError(`semantic targets need 1..${MAX_TARGET_CLASSES} classes, got ${k}`);
  return k;
}

/** Writes one-hot (known id) or empty (uniform) packed targets for a label map. */
export function packLabelTargets(
  labels: Uint16Array | undefined,
  knownClasses: readonly number[],
  pixels: number,
  out: Uint32Array,
  at: number,
): void {
  const channel = new Map(knownClasses.map((id, c) => [id, c]));
  for (let p = 0; p < pixels; p++) {
    const c = labels ? channel.get(labels[p]!) : undefined;
    out[(at + p) * 2] = c === undefined ? 0xffffffff : (0xffffff00 | c) >>> 0;
    out[(at + p) * 2 + 1] = c === undefined ? 0 : 255;
  }
}

/** Writes the packed top-4 softmax of `logits` (channel-major K x n) for pixels at..at+n-1. */
export function packLogitTargets(logits: FeatureMap, out: Uint32Array, at: number): void {
  const { channels: k, data } = logits;
  const n = logits.width * logits.height;
  const prob = new Float64Array(k);
  const ids = new Int32Array(SLOTS);
  for (let p = 0; p < n; p++) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, data[c * n + p]!);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += prob[c] = Math.exp(data[c * n + p]! - max);
    ids.fill(-1);
    for (let c = 0; c < k; c++) {
      // Insertion into the four best so far, most probable first.
      let s = SLOTS - 1;
      if (ids[s]! >= 0 && prob[ids[s]!]! >= prob[c]!) continue;
      while (s > 0 && (ids[s - 1]! < 0 || prob[ids[s - 1]!]! < prob[c]!)) {
        ids[s] = ids[s - 1]!;
        s--;
      }
      ids[s] = c;
    }
    let idWord = 0;
    let probWord = 0;
    for (let s = 0; s < SLOTS; s++) {
      const c = ids[s]!;
      idWord |= (c < 0 ? NONE : c) << (8 * s);
      probWord |= (c < 0 ? 0 : Math.round((255 * prob[c]!) / sum)) << (8 * s);
    }
    out[(at + p) * 2] = idWord >>> 0;
    out[(at + p) * 2 + 1] = probWord >>> 0;
  }
}

/** Per class, the probability its slots carry, summed over the packed pixels (the flat tail left out). */
export function packedClassMass(words: Uint32Array, k: number): Float64Array {
  const mass = new Float64Array(k);
  for (let p = 0; p < words.length / TARGET_WORDS_PER_PIXEL; p++) {
    const idWord = words[p * 2]!;
    const probWord = words[p * 2 + 1]!;
    for (let s = 0; s < SLOTS; s++) {
      const c = (idWord >>> (8 * s)) & 0xff;
      if (c < k) mass[c]! += ((probWord >>> (8 * s)) & 0xff) / 255;
    }
  }
  return mass;
}

/**
 * Keeps only the classes `keep` (channels of the k packed ones, in their new order), in place:
 * the other classes are taken out of each pixel's distribution and the rest renormalised, as
 * class-selection.ts's selectLogits does for unknown classes. The packed tail is flat, so the
 * share of its mass that went to dropped classes is known without the logits.
 */
export function narrowPackedTargets(words: Uint32Array, k: number, keep: readonly number[]): void {
  const channel = new Int32Array(k).fill(-1);
  keep.forEach((c, i) => (channel[c] = i));
  const dropped = k - keep.length;
  for (let p = 0; p < words.length / TARGET_WORDS_PER_PIXEL; p++) {
    const idWord = words[p * 2]!;
    const probWord = words[p * 2 + 1]!;
    let used = 0;
    let slotMass = 0;
    let droppedSlots = 0;
    let droppedMass = 0;
    for (let s = 0; s < SLOTS; s++) {
      const c = (idWord >>> (8 * s)) & 0xff;
      if (c >= k) continue;
      const q = ((probWord >>> (8 * s)) & 0xff) / 255;
      used++;
      slotMass += q;
      if (channel[c]! < 0) {
        droppedSlots++;
        droppedMass += q;
      }
    }
    const tail = Math.max(1 - slotMass, 0);
    droppedMass += (tail * (dropped - droppedSlots)) / Math.max(k - used, 1);
    const scale = droppedMass < 1 ? 1 / (1 - droppedMass) : 0;
    let ids = 0;
    let probs = 0;
    let s2 = 0;
    for (let s = 0; s < SLOTS; s++) {
      const c = (idWord >>> (8 * s)) & 0xff;
      const to = c < k ? channel[c]! : -1;
      if (to < 0) continue;
      const q = ((probWord >>> (8 * s)) & 0xff) / 255;
      ids |= to << (8 * s2);
      probs |= Math.min(255, Math.round(255 * q * scale)) << (8 * s2);
      s2++;
    }
    for (; s2 < SLOTS; s2++) ids |= NONE << (8 * s2);
    words[p * 2] = ids >>> 0;
    words[p * 2 + 1] = probs >>> 0;
  }
}

/** The distribution a packed pixel stands for (what the shader rebuilds), for tests and tools. */
export function unpackTarget(words: Uint32Array, pixel: number, k: number): Float64Array {
  const idWord = words[pixel * 2]!;
  const probWord = words[pixel * 2 + 1]!;
  const p = new Float64Array(k);
  let mass = 0;
  let used = 0;
  for (let s = 0; s < SLOTS; s++) {
    const c = (idWord >>> (8 * s)) & 0xff;
    if (c === NONE || c >= k) continue;
    used++;
    mass += ((probWord >>> (8 * s)) & 0xff) / 255;
  }
  p.fill(Math.max(1 - mass, 0) / Math.max(k - used, 1));
  for (let s = 0; s < SLOTS; s++) {
    const c = (idWord >>> (8 * s)) & 0xff;
    if (c !== NONE && c < k) p[c] = ((probWord >>> (8 * s)) & 0xff) / 255;
  }
  return p;
}

/** The most probable class of a packed pixel (its first slot; packing puts the likeliest first), or -1. */
export function packedArgmax(words: Uint32Array, pixel: number, k: number): number {
  const c = words[pixel * TARGET_WORDS_PER_PIXEL]! & 0xff;
  return c < k ? c : -1;
}
