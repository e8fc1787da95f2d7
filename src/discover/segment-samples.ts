/**
 * Which pixels of each pre-segmented segment the field is asked about. A segment's feature is a
 * mean over its pixels; rendering all of them costs a whole view per frame, while a few spread
 * over the segment give the same mean within noise. Interior pixels (all four neighbours in the
 * segment) come first: on a boundary the rendered embedding mixes the two surfaces.
 */
import type { PreSegmentation } from './pre-segmentation.ts';

export interface SegmentSamples {
  /** Pixel indices (row-major), grouped by segment. */
  pixels: Uint32Array;
  /** Segment s owns pixels[offsets[s] .. offsets[s + 1]). */
  offsets: Uint32Array;
}

/** Up to `perSegment` pixels of every segment, evenly spread over its interior (or all of it when it has too little interior). */
export function sampleSegments(seg: PreSegmentation, perSegment: number): SegmentSamples {
  if (!Number.isInteger(perSegment) || perSegment < 1)
    throw new RangeError(`samples per segment must be a positive integer, got ${perSegment}`);
  const { width, height, segments, count } = seg;
  const interior = new Uint32Array(count);
  const isInterior = (p: number, s: number): boolean => {
    const x = p % width;
    const y = (p - x) / width;
    return (
      x > 0 &&
      x < width - 1 &&
      y > 0 &&
      y < height - 1 &&
      segments[p - 1] === s &&
      segments[p + 1] === s &&
      segments[p - width] === s &&
      segments[p + width] === s
    );
  };
  for (let p = 0; p < width * height; p++) {
    const s = segments[p]!;
    if (s >= 0 && isInterior(p, s)) interior[s]!++;
  }
  const offsets = new Uint32Array(count + 1);
  for (let s = 0; s < count; s++) offsets[s + 1] = offsets[s]! + Math.min(perSegment, interior[s]! > 0 ? interior[s]! : seg.pixels[s]!);
  const pixels = new Uint32Array(offsets[count]!);
  // Take every (pool / perSegment)-th pixel of the pool, counting as the scan passes it.
  const seen = new Uint32Array(count);
  const taken = new Uint32Array(count);
  for (let p = 0; p < width * height; p++) {
    const s = segments[p]!;
    if (s < 0) continue;
    const useInterior = interior[s]! > 0;
    if (useInterior && !isInterior(p, s)) continue;
    const pool = useInterior ? interior[s]! : seg.pixels[s]!;
    const want = offsets[s + 1]! - offsets[s]!;
    const i = seen[s]!++;
    // Pixel i of the pool is taken when it starts a new 1/want share of the pool.
    if (taken[s]! < want && Math.floor((i * want) / pool) === taken[s]!) pixels[offsets[s]! + taken[s]!++] = p;
  }
  return { pixels, offsets };
}
