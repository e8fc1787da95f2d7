/**
 * The 13 NYUv2 classes of the NeurNCD paper, with the usual NYUv2-13 ids (alphabetical, 0 = void)
 * and the paper's split: the segmenter is taught 9 classes; ceiling, picture, TV and window are
 * the novel classes that discovery has to find.
 */
export interface ClassInfo {
  id: number;
  name: string;
  known: boolean;
}

export const NYU13_CLASSES: readonly ClassInfo[] = [
  { id: 1, name: 'bed', known: true },
  { id: 2, name: 'book', known: true },
  { id: 3, name: 'ceiling', known: false },
  { id: 4, name: 'chair', known: true },
  { id: 5, name: 'floor', known: true },
  { id: 6, name: 'furniture', known: true },
  { id: 7, name: 'objects', known: true },
  { id: 8, name: 'picture', known: false },
  { id: 9, name: 'sofa', known: true },
  { id: 10, name: 'table', known: true },
  { id: 11, name: 'tv', known: false },
  { id: 12, name: 'wall', known: true },
  { id: 13, name: 'window', known: false },
];

export const VOID_CLASS = 0;

export const CLASS_ID = {
  bed: 1,
  book: 2,
  ceiling: 3,
  chair: 4,
  floor: 5,
  furniture: 6,
  objects: 7,
  picture: 8,
  sofa: 9,
  table: 10,
  tv: 11,
  wall: 12,
  window: 13,
} as const;
