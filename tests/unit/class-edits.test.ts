/**
 * The user's edits of discovered classes, laid over each update: names kept by id, merged classes
 * folded into their target with their shares summed, chains followed, cycles refused.
 */
import { describe, expect, it } from 'vitest';
import type { ClassSummary } from '../../src/discover/class-discovery.ts';
import { ClassEdits } from '../../src/discover/class-edits.ts';

const cls = (id: number, name: string, share: number, known = false): ClassSummary => ({ id, name, known, share, since: 0 });
const update = [cls(0, 'wall', 0.5, true), cls(9, 'novel-1', 0.2), cls(10, 'novel-2', 0.2), cls(11, 'novel-3', 0.1)];

describe('class edits', () => {
  it('show an update unchanged until the user edits it', () => {
    expect(new ClassEdits().apply(update)).toEqual(update);
  });

  it('keep a name given to a class id through later updates', () => {
    const edits = new ClassEdits();
    edits.rename(10, 'lamp');
    expect(edits.apply(update).find((c) => c.id === 10)!.name).toBe('lamp');
    const later = [cls(0, 'wall', 0.6, true), cls(10, 'novel-2', 0.4)];
    expect(edits.apply(later).map((c) => c.name)).toEqual(['wall', 'lamp']);
  });

  it('fold a merged class into its target, shares summed, and follow chains of merges', () => {
    const edits = new ClassEdits();
    expect(edits.merge(9, 10)).toBe(true);
    expect(edits.apply(update).map((c) => [c.id, c.name, c.share])).toEqual([
      [0, 'wall', 0.5],
      [9, 'novel-1', 0.4],
      [11, 'novel-3', 0.1],
    ]);
    // novel-1 (with novel-2 in it) into novel-3: both now show as 11.
    edits.merge(11, 9);
    expect(edits.mergedInto(10)).toBe(11);
    expect(edits.mergedInto(9)).toBe(11);
    const shown = edits.apply(update);
    expect(shown.map((c) => c.id)).toEqual([0, 11]);
    expect(shown[1]!.share).toBeCloseTo(0.5, 12);
  });

  it('refuse a merge that would make a cycle, and a merge of a class into itself', () => {
    const edits = new ClassEdits();
    edits.merge(9, 10);
    expect(edits.merge(10, 9)).toBe(false);
    expect(edits.merge(9, 9)).toBe(false);
    expect(edits.mergedInto(9)).toBe(9);
    expect(edits.mergedInto(10)).toBe(9);
  });

  it('take the target’s name when the target is not in this update, and forget everything on clear()', () => {
    const edits = new ClassEdits();
    edits.merge(12, 10);
    edits.rename(12, 'shelf');
    expect(edits.apply(update).find((c) => c.id === 12)).toEqual(cls(12, 'shelf', 0.2));
    edits.clear();
    expect(edits.apply(update)).toEqual(update);
    expect(edits.names.size).toBe(0);
  });
});
