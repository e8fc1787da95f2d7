/**
 * The 40 NYUv2 classes (Gupta et al. 2013) with their usual ids, 0 = void: the names ScanNet
 * exports' label-filt ids get when no classes.json beside the scan names them. ScanNet's own
 * label-filt images hold its raw category ids; exports for semantic NeRFs map them to these ids
 * (scannetv2-labels.combined.tsv, column nyu40id). No known/novel split: the segmenter decides.
 */
import type { ClassName } from './scan.ts';

const NAMES = [
  'wall',
  'floor',
  'cabinet',
  'bed',
  'chair',
  'sofa',
  'table',
  'door',
  'window',
  'bookshelf',
  'picture',
  'counter',
  'blinds',
  'desk',
  'shelves',
  'curtain',
  'dresser',
  'pillow',
  'mirror',
  'floor mat',
  'clothes',
  'ceiling',
  'books',
  // NYU's own list spells it "refridgerator"; segmenters and classes.json files spell it right.
  'refrigerator',
  'television',
  'paper',
  'towel',
  'shower curtain',
  'box',
  'whiteboard',
  'person',
  'night stand',
  'toilet',
  'sink',
  'lamp',
  'bathtub',
  'bag',
  'otherstructure',
  'otherfurniture',
  'otherprop',
];

export const NYU40_CLASSES: readonly ClassName[] = NAMES.map((name, i) => ({ id: i + 1, name }));
