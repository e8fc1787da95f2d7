/**
 * The ten annotated ADE20K validation photos of ../shared/data/ade20k-tiny and their scoring
 * rule (MLPerf's 32-class ADE20K): annotation v in 1..31 is ADE20K class v, 0 is any other class,
 * 255 is unlabelled; a 150-class prediction p keeps p when p <= 31 and becomes 0 otherwise
 * (channel 0, "other", is 0 already). Used by verify-ade20k.ts and the unit test of the shipped
 * model, so that both score the same way.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImageNode } from '../../src/cli/node-image-decoder.ts';
import { decodePngScalar } from '../../src/scan/image-decoding.ts';
import { SegmentationScore, type EvaluatedClass, type SegmentationResult } from '../../src/eval/segmentation-metrics.ts';

/** Annotation values 0..31 are scored; 255 is not. */
export const SCORED_CLASSES = 32;
const UNLABELLED = 255;

export interface AnnotatedPhoto {
  name: string;
  image: { width: number; height: number; rgba: Uint8ClampedArray };
  /** Annotation, one byte per pixel (0..31 or 255). */
  labels: Uint8Array;
}

/** Photo names (without extension), in order. */
export function photoNames(dir: string): string[] {
  return readdirSync(join(dir, 'images'))
    .filter((f) => f.endsWith('.jpg'))
    .map((f) => f.slice(0, -4))
    .sort();
}

export async function loadPhoto(dir: string, name: string): Promise<AnnotatedPhoto> {
  const jpg = join(dir, 'images', `${name}.jpg`);
  const png = join(dir, 'annotations', `${name}.png`);
  const image = await decodeImageNode(new Uint8Array(readFileSync(jpg)), jpg);
  const annotation = decodePngScalar(new Uint8Array(readFileSync(png)), png);
  if (annotation.width !== image.width || annotation.height !== image.height || annotation.bitDepth !== 8) {
    throw new Error(
      `${png}: ${annotation.width}x${annotation.height} ${annotation.bitDepth}-bit, the photo is ${image.width}x${image.height}`,
    );
  }
  return { name, image: { width: image.width, height: image.height, rgba: image.data }, labels: annotation.data as Uint8Array };
}

/**
 * The 32 scored classes for SegmentationScore, which keeps id 0 for void: class v is id v + 1.
 * `classNames` are the model's, channel order (channel 0 = other).
 */
export function scoredClasses(classNames: readonly string[]): EvaluatedClass[] {
  return Array.from({ length: SCORED_CLASSES }, (_, v) => ({ id: v + 1, name: classNames[v]!, known: true }));
}

/** Adds one photo: the model's argmax (151 channels) against the annotation. */
export function addPhoto(score: SegmentationScore, labels: Uint8Array, argmax: Uint16Array): void {
  const truth = new Uint16Array(labels.length);
  const predicted = new Int32Array(labels.length);
  for (let p = 0; p < labels.length; p++) {
    truth[p] = labels[p] === UNLABELLED ? 0 : labels[p]! + 1;
    predicted[p] = (argmax[p]! < SCORED_CLASSES ? argmax[p]! : 0) + 1;
  }
  score.add(truth, predicted);
}

/** mIoU and pixel accuracy of argmax maps (one per photo) under the 32-class rule. */
export function score32(classNames: readonly string[], photos: { labels: Uint8Array; argmax: Uint16Array }[]): SegmentationResult {
  const score = new SegmentationScore(scoredClasses(classNames));
  for (const p of photos) addPhoto(score, p.labels, p.argmax);
  return score.result();
}
