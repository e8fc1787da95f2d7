/**
 * Known classes as the user chooses them: the model's own by default (never its catch-all), a
 * list to keep or to drop, a preset that groups ADE20K's classes into the paper's NYUv2-13 with
 * its split, every wrong name refused with the names there are, and logits taken out and
 * renormalised so that a softmax of the result is the distribution over the known classes.
 */
import { describe, expect, it } from 'vitest';
import { ADE20K_TO_NYU13, ClassSelectionError, keepKnownClasses, selectClasses, selectLogits } from '../../src/segment/class-selection.ts';
import { parseManifest } from '../../src/segment/segmenter-manifest.ts';
import { readFileSync } from 'node:fs';

const ade20k = parseManifest(JSON.parse(readFileSync('public/models/deeplabv3-mnv2-ade20k/manifest.json', 'utf8')));
const synth = parseManifest(JSON.parse(readFileSync('public/models/neurncd-synth-seg/manifest.json', 'utf8')));
const small = {
  classes: ['other', 'wall', 'window', 'chair'].map((name) => ({ name })),
  knownClasses: ['wall', 'window', 'chair'],
  catchAll: 'other',
};

describe('class selection', () => {
  it('keeps the model’s known classes by default, without its catch-all', () => {
    const s = selectClasses(small);
    expect(s.known.map((k) => [k.name, k.channels])).toEqual([
      ['wall', [1]],
      ['window', [2]],
      ['chair', [3]],
    ]);
    expect(s.unknown).toEqual(['other']);
    const all = selectClasses(ade20k);
    expect(all.known.length).toBe(150);
    expect(all.known.map((k) => k.name)).not.toContain('other');
  });

  it('takes --known as the whole known set and --unknown out of it', () => {
    expect(selectClasses(small, { known: ['wall', 'chair'] }).known.map((k) => k.name)).toEqual(['wall', 'chair']);
    expect(selectClasses(small, { unknown: ['window'] }).known.map((k) => k.name)).toEqual(['wall', 'chair']);
    expect(selectClasses(small, { known: ['wall', 'chair'], unknown: ['chair'] }).known.map((k) => k.name)).toEqual(['wall']);
  });

  it('refuses a name it does not have, the catch-all as known, and an empty known set', () => {
    expect(() => selectClasses(small, { known: ['wall', 'lamp'] })).toThrow(ClassSelectionError);
    expect(() => selectClasses(small, { known: ['wall', 'lamp'] })).toThrow(
      "known: 'lamp' is not a class of this segmenter (other, wall, window, chair)",
    );
    expect(() => selectClasses(small, { unknown: ['lamp'] })).toThrow(/^unknown: 'lamp' is not a class/);
    expect(() => selectClasses(small, { known: ['other', 'wall'] })).toThrow(
      "known: 'other' is the segmenter's catch-all class, which names no object and is never known",
    );
    expect(() => selectClasses(small, { known: ['wall'], unknown: ['wall'] })).toThrow('no class is left known');
    expect(() => selectClasses(small, { preset: 'coco' })).toThrow(/unknown class preset 'coco'/);
  });

  it('groups ADE20K into NYUv2-13 with the paper’s split (ceiling, picture, TV, window novel)', () => {
    const s = selectClasses(ade20k, { preset: 'nyu13' });
    expect(s.known.map((k) => k.name)).toEqual(['wall', 'floor', 'bed', 'chair', 'sofa', 'table', 'book', 'furniture', 'objects']);
    expect(s.unknown).toEqual(['ceiling', 'window', 'picture', 'tv']);
    const channel = (name: string) => ade20k.classes.findIndex((c) => c.name === name);
    const chair = s.known.find((k) => k.name === 'chair')!;
    expect(chair.channels).toEqual(expect.arrayContaining([channel('chair'), channel('armchair'), channel('swivel chair')]));
    // Every class of the preset exists in the model (a typo would silently drop it).
    for (const members of Object.values(ADE20K_TO_NYU13.groups)) for (const m of members) expect(channel(m), m).toBeGreaterThanOrEqual(0);
    // A group may be named known or unknown like a class.
    expect(selectClasses(ade20k, { preset: 'nyu13', unknown: ['book'] }).unknown).toContain('book');
  });

  it('lists the known classes the field leaves out as absent, apart from the unknown ones', () => {
    const all = selectClasses(small, { unknown: ['window'] });
    const kept = keepKnownClasses(all, [1]);
    expect(kept.known.map((k) => k.name)).toEqual(['chair']);
    expect(kept.absent).toEqual(['wall']);
    expect(kept.unknown).toEqual(all.unknown);
  });

  it('keeps a model that already speaks the preset’s classes as it is', () => {
    const s = selectClasses(synth, { preset: 'nyu13' });
    expect(s.known.map((k) => [k.name, k.channels.length]).sort()).toEqual(synth.knownClasses.map((n) => [n, 1]).sort());
  });

  it('renormalises the logits over the known classes (a group sums its classes)', () => {
    // 2 pixels, 4 channels: other, wall, window, chair.
    const logits = { channels: 4, width: 2, height: 1, data: Float32Array.from([3, 0, 1, 1, 0, 2, 2, -1, 1, 0, 0, 0].slice(0, 8)) };
    // channel-major: other [3, 0], wall [1, 1], window [0, 2], chair [2, -1]
    const s = selectClasses(small, { unknown: ['window'] });
    const out = selectLogits(logits, s);
    expect(out.channels).toBe(2);
    const softmax = (a: number, b: number) => [Math.exp(a) / (Math.exp(a) + Math.exp(b)), Math.exp(b) / (Math.exp(a) + Math.exp(b))];
    // Pixel 0: wall 1, chair 2 -> the same as softmax over just those two.
    const [w0, c0] = softmax(out.data[0]!, out.data[2]!);
    expect(w0).toBeCloseTo(Math.exp(1) / (Math.exp(1) + Math.exp(2)), 6);
    expect(c0).toBeCloseTo(Math.exp(2) / (Math.exp(1) + Math.exp(2)), 6);
    // A group: wall + window as one class against chair.
    const grouped = selectLogits(logits, {
      known: [
        { name: 'w', channels: [1, 2] },
        { name: 'c', channels: [3] },
      ],
      unknown: [],
      preset: null,
      absent: [],
    });
    const [g1] = softmax(grouped.data[1]!, grouped.data[3]!);
    expect(g1).toBeCloseTo((Math.exp(1) + Math.exp(2)) / (Math.exp(1) + Math.exp(2) + Math.exp(-1)), 6);
  });
});
