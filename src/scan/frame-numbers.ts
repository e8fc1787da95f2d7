/** Frames are ordered by the number in their file name, not lexically (frame 10 after frame 9). */

export function frameNumber(path: string): number | null {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const matches = base.match(/\d+/g);
  return matches ? Number(matches[matches.length - 1]) : null;
}

export function sortByFrameNumber(paths: string[]): string[] {
  return [...paths].sort((a, b) => {
    const na = frameNumber(a);
    const nb = frameNumber(b);
    if (na !== null && nb !== null && na !== nb) return na - nb;
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

/**
 * Indices of `frames` in the order of their frame numbers: the number in each file name when every
 * frame has one, else the file names' order (nerfstudio's data parser sorts its frames by name).
 */
export function inNumberOrder(frames: readonly { name: string }[]): number[] {
  const numbers = frames.map((f) => frameNumber(f.name));
  const numbered = numbers.every((n) => n !== null);
  return frames
    .map((_, i) => i)
    .sort((a, b) => {
      if (numbered && numbers[a] !== numbers[b]) return numbers[a]! - numbers[b]!;
      const na = frames[a]!.name;
      const nb = frames[b]!.name;
      return na < nb ? -1 : na > nb ? 1 : a - b;
    });
}
