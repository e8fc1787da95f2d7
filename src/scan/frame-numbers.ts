/** Frames are ordered by the number in their file name, not lexically (frame 10 after frame 9). */

export function frameNumber(path: string): number | null {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const matches = base.match(/\d+/g);
  return matches ? Number(matches[matches.length - 1]) : null;
}

/** Frame 10 after frame 9; names without a number, or with the same one, in text order. */
function compareByFrameNumber(a: string, b: string): number {
  const na = frameNumber(a);
  const nb = frameNumber(b);
  if (na !== null && nb !== null && na !== nb) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortByFrameNumber(paths: string[]): string[] {
  return [...paths].sort(compareByFrameNumber);
}

/**
 * Indices of `frames` in the order of their frame numbers (the number in each file name; names in
 * text order where they have none, as nerfstudio's data parser sorts its frames).
 */
export function inNumberOrder(frames: readonly { name: string }[]): number[] {
  return frames.map((_, i) => i).sort((a, b) => compareByFrameNumber(frames[a]!.name, frames[b]!.name) || a - b);
}
