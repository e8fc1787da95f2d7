/**
 * Which of a segmenter's classes count as known: the user's choice, not the model's. A closed-set
 * segmenter becomes an open-set one for discovery by taking the classes marked unknown out of its
 * distribution and renormalising over the known ones, so that their pixels become uncertain, as
 * they would for a segmenter never taught them. A catch-all class (VOC's background, ADE20K's
 * "other") names no object and is never known.
 *
 * Classes may be grouped (a preset maps ADE20K's 150 classes onto the 13 NYUv2 classes of the
 * NeurNCD paper): a group's probability is the sum of its classes', the field learns one channel
 * per known group, and the legend shows the group's name.
 */
import type { FeatureMap } from './feature-query.ts';
import type { SegmenterClass, SegmenterManifest } from './segmenter-manifest.ts';

/** A known class as the field sees it: a name and the segmenter channels summed into it. */
export interface KnownClass {
  name: string;
  /** The dataset id of the class, when it is one class of the segmenter that has one. */
  id?: number;
  channels: number[];
}

export interface ClassSelection {
  /** In channel order of the field's embedding. */
  known: KnownClass[];
  /** Names (of classes, or of groups with a preset) that were left out. */
  unknown: string[];
  /** The preset the names refer to, or null for the segmenter's own classes. */
  preset: string | null;
  /**
   * Known classes the field does not learn: it has room for a limited number, and these carried
   * the least of the scan's probability (see keepKnownClasses). Their pixels become uncertain.
   */
  absent: string[];
}

/** A named grouping of a segmenter's classes, with a split of the groups into known and novel. */
export interface ClassGroupPreset {
  id: string;
  title: string;
  /** Group name -> the segmenter's class names in it. */
  groups: Record<string, readonly string[]>;
  /** The groups that are novel by default (the paper's split). */
  novel: readonly string[];
}

/**
 * ADE20K (SceneParsing, 150 classes) onto NYUv2-13, following NYUv2's own 40 -> 13 mapping (doors
 * are wall, blinds and curtains window, mirrors objects, shelves and cabinets furniture). Classes
 * of no room (sky, road, car...) are in no group: they are taken out like unknown classes.
 */
export const ADE20K_TO_NYU13: ClassGroupPreset = {
  id: 'nyu13',
  title: 'NYUv2-13 (the paper: ceiling, picture, TV, window novel)',
  groups: {
    wall: ['wall', 'door', 'screen door', 'column', 'bannister', 'railing'],
    floor: ['floor', 'rug', 'step', 'stairs', 'stairway'],
    ceiling: ['ceiling'],
    bed: ['bed', 'cradle'],
    chair: ['chair', 'armchair', 'seat', 'swivel chair', 'stool', 'bench', 'ottoman'],
    sofa: ['sofa'],
    table: ['table', 'desk', 'coffee table', 'pool table', 'kitchen island'],
    window: ['windowpane', 'blind', 'curtain'],
    picture: ['painting', 'poster', 'bulletin board'],
    tv: ['television receiver', 'crt screen', 'monitor', 'screen'],
    book: ['book'],
    furniture: [
      'cabinet',
      'shelf',
      'wardrobe',
      'chest of drawers',
      'counter',
      'countertop',
      'bookcase',
      'buffet',
      'case',
      'refrigerator',
      'stove',
      'oven',
      'dishwasher',
      'washer',
      'fireplace',
    ],
    objects: [
      'lamp',
      'light',
      'chandelier',
      'sconce',
      'box',
      'cushion',
      'pillow',
      'blanket',
      'towel',
      'apparel',
      'bottle',
      'vase',
      'basket',
      'bag',
      'clock',
      'plant',
      'flower',
      'pot',
      'plate',
      'tray',
      'glass',
      'food',
      'ball',
      'plaything',
      'sculpture',
      'mirror',
      'toilet',
      'sink',
      'bathtub',
      'shower',
      'radiator',
      'fan',
      'ashcan',
      'microwave',
      'computer',
      'person',
      'animal',
      'barrel',
      'base',
      'hood',
      'signboard',
      'trade name',
    ],
  },
  novel: ['ceiling', 'picture', 'tv', 'window'],
};

export const CLASS_GROUP_PRESETS: readonly ClassGroupPreset[] = [ADE20K_TO_NYU13];

/** A --known / --unknown name that is not a class (or group), or a catch-all marked known. */
export class ClassSelectionError extends Error {
  override name = 'ClassSelectionError';
}

/** What the user asked for; absent fields keep the model's defaults. */
export interface ClassChoice {
  /** Only these are known (class names, or group names with a preset). */
  known?: readonly string[];
  /** These are not known, whatever else is. */
  unknown?: readonly string[];
  /** A preset's id (CLASS_GROUP_PRESETS). */
  preset?: string | null;
}

function listed(names: readonly string[], max = 12): string {
  return names.length > max ? `${names.slice(0, max).join(', ')}, ... (${names.length} in all)` : names.join(', ');
}

/**
 * The known classes of a segmenter under the user's choice. Without one: the manifest's known
 * classes (all of them but the catch-all, for a downloaded model), or with a preset, its known
 * groups. Every name is checked; a wrong one is an error that lists what there is.
 */
export function selectClasses(
  manifest: Pick<SegmenterManifest, 'classes' | 'knownClasses' | 'catchAll'>,
  choice: ClassChoice = {},
): ClassSelection {
  const names = manifest.classes.map((c) => c.name);
  const channelOf = new Map(names.map((n, c) => [n, c]));
  const catchAll = manifest.catchAll;
  const preset = choice.preset ? CLASS_GROUP_PRESETS.find((p) => p.id === choice.preset) : null;
  if (choice.preset && !preset) {
    throw new ClassSelectionError(`unknown class preset '${choice.preset}' (there is ${listed(CLASS_GROUP_PRESETS.map((p) => p.id))})`);
  }
  // The units the user names: the preset's groups (with the classes of this model in each; a
  // class named like a group belongs to it, so a model that already speaks the preset's classes
  // keeps them), or the classes.
  const units: { name: string; channels: number[]; id?: number }[] = preset
    ? Object.entries(preset.groups).map(([name, members]) => ({
        name,
        channels: [...new Set([name, ...members])]
          .map((m) => channelOf.get(m))
          .filter((c): c is number => c !== undefined && names[c] !== catchAll),
      }))
    : manifest.classes.map((c: SegmenterClass, channel) => ({
        name: c.name,
        channels: [channel],
        ...(c.id !== undefined && { id: c.id }),
      }));
  if (preset && units.every((u) => u.channels.length === 0)) {
    throw new ClassSelectionError(`the preset '${preset.id}' names none of this segmenter's classes`);
  }
  const byName = new Map(units.map((u) => [u.name, u]));
  const check = (flag: string, list: readonly string[] | undefined): void => {
    for (const name of list ?? []) {
      if (!byName.has(name)) {
        const what = preset ? `a group of the preset '${preset.id}'` : 'a class of this segmenter';
        throw new ClassSelectionError(`${flag}: '${name}' is not ${what} (${listed([...byName.keys()])})`);
      }
    }
  };
  check('known', choice.known);
  check('unknown', choice.unknown);
  if (catchAll && choice.known?.includes(catchAll)) {
    throw new ClassSelectionError(`known: '${catchAll}' is the segmenter's catch-all class, which names no object and is never known`);
  }
  const defaults = preset
    ? units.filter((u) => !preset.novel.includes(u.name)).map((u) => u.name)
    : manifest.knownClasses.filter((n) => n !== catchAll);
  const knownNames = new Set((choice.known ?? defaults).filter((n) => !(choice.unknown ?? []).includes(n)));
  const known = units.filter((u) => knownNames.has(u.name) && u.channels.length > 0 && u.name !== catchAll);
  if (known.length === 0) throw new ClassSelectionError('no class is left known: discovery needs at least one');
  return {
    known: known.map((u) => ({ name: u.name, channels: u.channels, ...(u.id !== undefined && { id: u.id }) })),
    unknown: units.filter((u) => !known.includes(u)).map((u) => u.name),
    preset: preset?.id ?? null,
    absent: [],
  };
}

/** The selection with only the known classes at `keep` (indices into `known`, in order); the others become absent. */
export function keepKnownClasses(selection: ClassSelection, keep: readonly number[]): ClassSelection {
  const kept = new Set(keep);
  return {
    ...selection,
    known: keep.map((i) => selection.known[i]!),
    absent: [...selection.absent, ...selection.known.filter((_, i) => !kept.has(i)).map((k) => k.name)],
  };
}

/** Whether the selection keeps every class of the segmenter as it is (one channel each, in order). */
export function isIdentitySelection(selection: ClassSelection, classCount: number): boolean {
  return selection.known.length === classCount && selection.known.every((k, i) => k.channels.length === 1 && k.channels[0] === i);
}

/**
 * The segmenter's logits (channel-major K x n) as logits over the known classes: each known class
 * gets log Σ exp(l_c) over its channels (a log-sum-exp, so that a softmax of the result is the
 * distribution renormalised over the known classes), and the unknown channels are gone.
 */
export function selectLogits(logits: FeatureMap, selection: ClassSelection): FeatureMap {
  const { width, height, data, channels } = logits;
  const n = width * height;
  const known = selection.known;
  const out = new Float32Array(known.length * n);
  for (let p = 0; p < n; p++) {
    // One shift per pixel keeps every exp in range.
    let max = -Infinity;
    for (let c = 0; c < channels; c++) max = Math.max(max, data[c * n + p]!);
    for (let g = 0; g < known.length; g++) {
      let sum = 0;
      for (const c of known[g]!.channels) sum += Math.exp(data[c * n + p]! - max);
      // A group whose channels all underflow is as unlikely as a float can say.
      out[g * n + p] = sum > 0 ? max + Math.log(sum) : max - 104;
    }
  }
  return { channels: known.length, width, height, data: out };
}
