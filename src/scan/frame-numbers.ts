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
